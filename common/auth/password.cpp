#include "common/auth/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace tenant::auth {
namespace {

std::string RandomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

// libxcrypt's scratch area is ~32 KiB and must start zeroed: on the heap, not the stack
// of a worker thread.
std::string Crypt(std::string_view password, const char* setting) {
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), setting, data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') return {};
  return out;
}

bool BcryptMatches(std::string_view password, std::string_view stored_hash) {
  const std::string computed = Crypt(password, std::string(stored_hash).c_str());
  return !computed.empty() && computed.size() == stored_hash.size() &&
         CRYPTO_memcmp(computed.data(), stored_hash.data(), computed.size()) == 0;
}

const std::string& DummyHash() {
  // The random password is never known to anyone: a check against it never succeeds
  // but costs one bcrypt at production cost. Thread-safe one-time initialisation.
  static const std::string dummy = [] {
    std::string pw;
    for (unsigned char c : RandomBytes(24)) pw.push_back(static_cast<char>('a' + c % 26));
    return HashPassword(pw, kBcryptCost);
  }();
  return dummy;
}

// DummyHash at any cost, made once per cost on first use.
const std::string& DummyHashAt(unsigned cost) {
  static std::mutex mu;
  static std::map<unsigned, std::string> by_cost;
  std::lock_guard lock(mu);
  auto it = by_cost.find(cost);
  if (it == by_cost.end()) {
    std::string pw;
    for (unsigned char c : RandomBytes(24)) pw.push_back(static_cast<char>('a' + c % 26));
    it = by_cost.emplace(cost, HashPassword(pw, cost)).first;
  }
  return it->second;  // std::map never moves its elements
}

}  // namespace

std::string HashPassword(std::string_view password, unsigned cost) {
  if (password.size() > kMaxPasswordBytes || password.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("password not hashable with bcrypt");
  }
  const std::string random = RandomBytes(16);
  std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
  if (crypt_gensalt_rn("$2b$", cost, random.data(), static_cast<int>(random.size()), setting.data(),
                       static_cast<int>(setting.size())) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  std::string out = Crypt(password, setting.data());
  if (out.empty()) throw std::runtime_error("crypt_rn failed");
  return out;
}

unsigned BcryptCostOf(std::string_view stored_hash) {
  if (stored_hash.size() < 7 || stored_hash.substr(0, 4) != "$2b$" || stored_hash[6] != '$') return 0;
  const char tens = stored_hash[4], ones = stored_hash[5];
  if (tens < '0' || tens > '3' || ones < '0' || ones > '9') return 0;
  return static_cast<unsigned>((tens - '0') * 10 + (ones - '0'));
}

bool VerifyPassword(std::string_view password, std::string_view stored_hash, unsigned min_cost) {
  const unsigned cost = BcryptCostOf(stored_hash);
  const bool acceptable =
      password.size() <= kMaxPasswordBytes && password.find('\0') == std::string_view::npos && cost != 0;
  if (!acceptable) {
    BcryptMatches(password.substr(0, std::min(password.find('\0'), kMaxPasswordBytes)), DummyHash());
    return false;
  }
  const bool matches = BcryptMatches(password, stored_hash);
  // bcrypt at cost c does 2^c rounds, and 2^min - 2^c is the sum of 2^k for k in [c, min):
  // one extra check against a never-matching hash of each of those costs.
  for (unsigned k = cost; k < min_cost && k < 32; ++k) BcryptMatches(password, DummyHashAt(k));
  return matches;
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

}  // namespace tenant::auth
