#include "common/pg/error.hpp"

#include <cctype>
#include <utility>

namespace tenant::pg {
namespace {

std::string WhatText(const std::string& message, const std::string& sqlstate) {
  if (sqlstate.empty()) return message;
  return message + " (SQLSTATE " + sqlstate + ")";
}

bool HasClass(std::string_view sqlstate, std::string_view cls) {
  return sqlstate.size() == 5 && sqlstate.substr(0, 2) == cls;
}

}  // namespace

Error::Error(std::string message, std::string sqlstate, ErrorFields fields)
    : std::runtime_error(WhatText(message, sqlstate)),
      message_(std::move(message)),
      sqlstate_(std::move(sqlstate)),
      fields_(std::move(fields)) {}

void ThrowForSqlState(std::string message, std::string sqlstate, ErrorFields fields) {
  const std::string_view s = sqlstate;
  auto raise = [&]<typename E>() -> void {
    throw E(std::move(message), std::move(sqlstate), std::move(fields));
  };
  // Exact codes first, then classes.
  if (s == "23505") raise.operator()<UniqueViolation>();
  if (s == "23503") raise.operator()<ForeignKeyViolation>();
  if (s == "23502") raise.operator()<NotNullViolation>();
  if (s == "23514") raise.operator()<CheckViolation>();
  if (s == "23P01") raise.operator()<ExclusionViolation>();
  if (s == "40001") raise.operator()<SerializationFailure>();
  if (s == "40P01") raise.operator()<DeadlockDetected>();
  if (s == "57014") raise.operator()<QueryCanceled>();
  if (s == "55P03") raise.operator()<LockNotAvailable>();
  if (s == "55006") raise.operator()<ObjectInUse>();
  if (s == "42501") raise.operator()<InsufficientPrivilege>();
  if (s == "42704" || s == "42P01" || s == "3D000" || s == "42883" || s == "3F000")
    raise.operator()<UndefinedObject>();
  if (s == "42710" || s == "42P04" || s == "42P07" || s == "42P06" || s == "42723")
    raise.operator()<DuplicateObject>();
  if (s == "42601") raise.operator()<SyntaxError>();
  // admin_shutdown, crash_shutdown, cannot_connect_now: the session is gone or refused.
  if (s == "57P01" || s == "57P02" || s == "57P03") raise.operator()<ConnectionError>();
  if (HasClass(s, "08")) raise.operator()<ConnectionError>();
  if (HasClass(s, "28")) raise.operator()<AuthenticationError>();
  if (HasClass(s, "23")) raise.operator()<IntegrityViolation>();
  if (HasClass(s, "40")) raise.operator()<TransactionRollback>();
  if (HasClass(s, "22")) raise.operator()<DataException>();
  raise.operator()<Error>();
  __builtin_unreachable();
}

bool IsTransient(const Error& error) noexcept {
  if (dynamic_cast<const TransactionRollback*>(&error) != nullptr) return true;
  // Wrong credentials stay wrong; a dropped or refused connection may come back.
  return dynamic_cast<const ConnectionError*>(&error) != nullptr &&
         dynamic_cast<const AuthenticationError*>(&error) == nullptr;
}

std::string SummarizeConnectFailure(std::string_view text) {
  std::string_view line = text.substr(0, text.find('\n'));
  if (line.rfind("connection to server", 0) == 0) {
    if (auto failed = line.find(" failed: "); failed != std::string_view::npos) line.remove_prefix(failed + 9);
  }
  for (std::string_view level : {"FATAL:  ", "ERROR:  "}) {
    if (line.rfind(level, 0) == 0) line.remove_prefix(level.size());
  }
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  if (line.empty()) return std::string(text.empty() ? "unknown error" : text);
  std::string out(line);
  // "Connection refused" (strerror) reads better mid-sentence in lower case.
  if (out.size() > 1 && std::isupper(static_cast<unsigned char>(out[0])) &&
      std::islower(static_cast<unsigned char>(out[1]))) {
    out[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[0])));
  }
  return out;
}

}  // namespace tenant::pg
