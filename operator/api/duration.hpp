#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tenant::api {

// Parses a Go duration ("720h", "1h30m", "90s", "1.5h"); units ns, us, ms, s, m, h.
// std::nullopt when malformed or negative. Pure.
std::optional<std::chrono::milliseconds> ParseGoDuration(std::string_view text);

// "40s", "2m0s"-style short form for messages ("retrying in 40s").
std::string FormatDuration(std::chrono::milliseconds d);

}  // namespace tenant::api
