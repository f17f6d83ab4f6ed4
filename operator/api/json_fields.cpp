#include "operator/api/json_fields.hpp"

#include <limits>

#include "operator/api/tenant.hpp"

namespace tenant::api::detail {
namespace {
std::string Path(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}
}  // namespace

const nlohmann::json* Member(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<std::string> OptString(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  const auto* m = Member(obj, key);
  if (m == nullptr) return std::nullopt;
  if (!m->is_string()) throw InvalidObject(Path(path, key) + " must be a string");
  return m->get<std::string>();
}

std::optional<long long> OptInt(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  const auto* m = Member(obj, key);
  if (m == nullptr) return std::nullopt;
  if (!m->is_number_integer()) throw InvalidObject(Path(path, key) + " must be an integer");
  return m->get<long long>();
}

std::optional<bool> OptBool(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  const auto* m = Member(obj, key);
  if (m == nullptr) return std::nullopt;
  if (!m->is_boolean()) throw InvalidObject(Path(path, key) + " must be a boolean");
  return m->get<bool>();
}

const nlohmann::json* OptObject(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  const auto* m = Member(obj, key);
  if (m != nullptr && !m->is_object()) throw InvalidObject(Path(path, key) + " must be an object");
  return m;
}

const nlohmann::json* OptArray(const nlohmann::json& obj, std::string_view key, std::string_view path) {
  const auto* m = Member(obj, key);
  if (m != nullptr && !m->is_array()) throw InvalidObject(Path(path, key) + " must be an array");
  return m;
}

}  // namespace tenant::api::detail
