#include "common/migrations/migration_set.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

#include "common/migrations/embedded_files.hpp"

namespace tenant::migrations {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || IsDigit(c) || c == '_'; }

bool IsBlank(std::string_view sql) {
  return std::all_of(sql.begin(), sql.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  });
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 computation failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::optional<ParsedName> ParseFileName(std::string_view f) {
  ParsedName out;
  if (f.ends_with(".up.sql")) {
    out.direction = Direction::kUp;
    f.remove_suffix(7);
  } else if (f.ends_with(".down.sql")) {
    out.direction = Direction::kDown;
    f.remove_suffix(9);
  } else {
    return std::nullopt;
  }
  std::size_t digits = 0;
  while (digits < f.size() && IsDigit(f[digits])) ++digits;
  if (digits < 4 || digits > 9 || digits + 1 >= f.size() || f[digits] != '_') return std::nullopt;
  const std::string_view name = f.substr(digits + 1);
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) return std::nullopt;
  int version = 0;
  for (std::size_t i = 0; i < digits; ++i) version = version * 10 + (f[i] - '0');
  if (version < 1) return std::nullopt;
  out.version = version;
  out.name = std::string(name);
  return out;
}

MigrationSet MigrationSet::FromFiles(const std::vector<SourceFile>& files) {
  struct Pair {
    const SourceFile* up = nullptr;
    const SourceFile* down = nullptr;
    std::string name;
  };
  std::vector<std::string> problems;
  std::map<int, Pair> by_version;
  for (const auto& file : files) {
    const auto parsed = ParseFileName(file.file_name);
    if (!parsed) {
      problems.push_back("\"" + file.file_name +
                         "\" is not named NNNN_name.up.sql or NNNN_name.down.sql");
      continue;
    }
    Pair& pair = by_version[parsed->version];
    if (!pair.name.empty() && pair.name != parsed->name) {
      problems.push_back("version " + std::to_string(parsed->version) + " has two names: \"" +
                         pair.name + "\" and \"" + parsed->name + "\"");
      continue;
    }
    pair.name = parsed->name;
    const SourceFile*& slot = parsed->direction == Direction::kUp ? pair.up : pair.down;
    if (slot != nullptr) {
      problems.push_back("duplicate file \"" + file.file_name + "\"");
      continue;
    }
    slot = &file;
    if (IsBlank(file.contents)) problems.push_back("\"" + file.file_name + "\" is empty");
    if (file.contents.find('\0') != std::string::npos) {
      problems.push_back("\"" + file.file_name + "\" contains a NUL byte");
    }
    if (!file.sha256.empty() && file.sha256 != Sha256Hex(file.contents)) {
      problems.push_back("\"" + file.file_name + "\" does not match its embedded SHA-256");
    }
  }
  int expected = 1;
  for (const auto& [version, pair] : by_version) {
    if (version != expected) {
      problems.push_back("versions must be contiguous from 1: expected " +
                         std::to_string(expected) + ", found " + std::to_string(version));
    }
    expected = version + 1;
    if (pair.up == nullptr) {
      problems.push_back("version " + std::to_string(version) + " (" + pair.name +
                         ") has no .up.sql file");
    }
    if (pair.down == nullptr) {
      problems.push_back("version " + std::to_string(version) + " (" + pair.name +
                         ") has no .down.sql file");
    }
  }
  if (!problems.empty()) {
    std::string msg = "invalid migration set:";
    for (const auto& p : problems) msg += "\n  - " + p;
    throw InvalidMigrationSet(msg);
  }
  MigrationSet set;
  for (const auto& [version, pair] : by_version) {
    Migration m;
    m.version = version;
    m.name = pair.name;
    m.up_sql = pair.up->contents;
    m.down_sql = pair.down->contents;
    m.checksum = pair.up->sha256.empty() ? Sha256Hex(m.up_sql) : pair.up->sha256;
    set.migrations_.push_back(std::move(m));
  }
  return set;
}

const Migration* MigrationSet::Find(int version) const noexcept {
  if (version < 1 || version > latest()) return nullptr;
  return &migrations_[static_cast<std::size_t>(version - 1)];  // contiguous from 1
}

const MigrationSet& Embedded() {
  // Built once; a broken embedded set throws on every call (the build validates too).
  static const MigrationSet set = [] {
    std::vector<SourceFile> files;
    for (const auto& f : detail::EmbeddedFiles()) {
      files.push_back(SourceFile{std::string(f.file_name), std::string(f.contents),
                                 std::string(f.sha256)});
    }
    return MigrationSet::FromFiles(files);
  }();
  return set;
}

}  // namespace tenant::migrations
