#include "common/pg/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

#include "common/log/log.hpp"

namespace tenant::pg {
namespace {

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* o) const noexcept { PQconninfoFree(o); }
};
struct PqFreeDeleter {
  void operator()(char* p) const noexcept { PQfreemem(p); }
};

std::string Render(const std::vector<std::pair<std::string, std::string>>& entries,
                   bool redact) {
  std::string out;
  for (const auto& [key, value] : entries) {
    if (!out.empty()) out.push_back(' ');
    out += key;
    out.push_back('=');
    out += (redact && key == "password") ? QuoteConnInfoValue(log::kRedacted)
                                         : QuoteConnInfoValue(value);
  }
  return out;
}

// Explicitly set keywords in libpq's keyword order.
std::vector<std::pair<std::string, std::string>> Parse(std::string_view conninfo) {
  char* err_raw = nullptr;
  const std::string text(conninfo);
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> opts(
      PQconninfoParse(text.c_str(), &err_raw));
  std::unique_ptr<char, PqFreeDeleter> err(err_raw);
  if (!opts) {
    // libpq's message may quote the offending fragment; keep it out (it could be a password).
    throw std::invalid_argument("invalid connection string");
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const PQconninfoOption* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val != nullptr) out.emplace_back(o->keyword, o->val);
  }
  return out;
}

}  // namespace

std::string QuoteConnInfoValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out.push_back('\'');
  for (char c : value) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

ConnInfoBuilder ConnInfoBuilder::From(std::string_view conninfo) {
  ConnInfoBuilder b;
  b.entries_ = Parse(conninfo);
  return b;
}

ConnInfoBuilder& ConnInfoBuilder::Set(std::string_view key, std::string_view value) {
  for (auto& [k, v] : entries_) {
    if (k == key) {
      v = std::string(value);
      return *this;
    }
  }
  entries_.emplace_back(std::string(key), std::string(value));
  return *this;
}

ConnInfoBuilder& ConnInfoBuilder::Unset(std::string_view key) {
  std::erase_if(entries_, [&](const auto& e) { return e.first == key; });
  return *this;
}

std::optional<std::string> ConnInfoBuilder::Get(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string ConnInfoBuilder::Build() const { return Render(entries_, false); }
std::string ConnInfoBuilder::BuildRedacted() const { return Render(entries_, true); }

std::map<std::string, std::string> ParseConnInfo(std::string_view conninfo) {
  auto entries = Parse(conninfo);
  return {entries.begin(), entries.end()};
}

std::string RedactConnInfo(std::string_view conninfo) {
  try {
    return Render(Parse(conninfo), true);
  } catch (const std::invalid_argument&) {
    return "<unparseable conninfo>";
  }
}

}  // namespace tenant::pg
