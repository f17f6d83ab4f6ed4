#pragma once
// Typed reads of optional JSON fields that name the offending path on a type mismatch.
// Internal to operator/api (pure).
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tenant::api::detail {

// The member `key` of `obj` or nullptr when obj is not an object / key missing / null.
const nlohmann::json* Member(const nlohmann::json& obj, std::string_view key);

std::optional<std::string> OptString(const nlohmann::json& obj, std::string_view key, std::string_view path);
std::optional<long long> OptInt(const nlohmann::json& obj, std::string_view key, std::string_view path);
std::optional<bool> OptBool(const nlohmann::json& obj, std::string_view key, std::string_view path);
// Member that must be an object when present; nullptr when absent.
const nlohmann::json* OptObject(const nlohmann::json& obj, std::string_view key, std::string_view path);
const nlohmann::json* OptArray(const nlohmann::json& obj, std::string_view key, std::string_view path);

}  // namespace tenant::api::detail
