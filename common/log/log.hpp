#pragma once

#include <string_view>

namespace tenant::log {

// Configures the default spdlog logger to write one JSON object per line to stderr,
// with the given component name and level ("debug", "info", "warn", "error").
void Configure(std::string_view component, std::string_view level);

}  // namespace tenant::log
