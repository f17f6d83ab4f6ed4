#include "runtime/auth/password.hpp"

#include <crypt.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"

namespace tenant::api::auth {

std::string HashPassword(std::string_view password, unsigned cost) {
  if (password.size() > kMaxPasswordBytes || password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("password not hashable with bcrypt");
  }
  const std::string random = RandomBytes(16);
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (crypt_gensalt_rn("$2b$", cost, random.data(), static_cast<int>(random.size()),
                       setting.data(), static_cast<int>(setting.size())) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  crypt_data data{};  // large (~32 KiB) scratch area, zeroed as libxcrypt requires
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting.data(), &data, sizeof data);
  if (out == nullptr || out[0] == '*') throw std::runtime_error("crypt_rn failed");
  return std::string(out);
}

namespace {

bool BcryptMatches(std::string_view password, std::string_view stored_hash) {
  crypt_data data{};
  const std::string pw(password);
  const std::string setting(stored_hash);
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), &data, sizeof data);
  if (out == nullptr || out[0] == '*') return false;
  return ConstantTimeEquals(out, stored_hash);
}

const std::string& DummyHash() {
  // Thread-safe one-time initialisation; the random password is never known to anyone,
  // so a check against it never succeeds but costs one bcrypt at production cost.
  static const std::string dummy = HashPassword(Base64UrlEncode(RandomBytes(24)), kBcryptCost);
  return dummy;
}

}  // namespace

bool VerifyPassword(std::string_view password, std::string_view stored_hash) {
  const bool acceptable = password.size() <= kMaxPasswordBytes &&
                          password.find('\0') == std::string_view::npos &&
                          stored_hash.substr(0, 4) == "$2b$";
  if (!acceptable) {
    // Still spend one bcrypt so an unacceptable input is not distinguishable by timing.
    BcryptMatches(password.substr(0, std::min(password.find('\0'), kMaxPasswordBytes)),
                  DummyHash());
    return false;
  }
  return BcryptMatches(password, stored_hash);
}

bool VerifyAgainstDummy(std::string_view password) {
  VerifyPassword(password, DummyHash());
  return false;
}

std::string PasswordPolicyViolation(std::string_view password) {
  if (password.size() < kMinPasswordBytes) return "must be at least 12 bytes long";
  if (password.size() > kMaxPasswordBytes) return "must be at most 72 bytes long";
  if (password.find('\0') != std::string_view::npos) return "must not contain NUL bytes";
  return {};
}

}  // namespace tenant::api::auth
