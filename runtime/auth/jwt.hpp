#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tenant::api::auth {

enum class Role { kAdmin, kManager, kClerk };

std::string_view RoleName(Role role);
// Returns false for anything but "admin", "manager", "clerk".
bool ParseRole(std::string_view name, Role& out);

// The claims of an access token (issue section 5): sub, role, tenant, iat, exp, jti.
struct AccessClaims {
  std::string subject;  // the user id, decimal
  Role role = Role::kClerk;
  std::string tenant;
  int64_t issued_at = 0;   // seconds since the epoch
  int64_t expires_at = 0;
  int64_t not_before = 0;  // 0 when absent
  std::string jti;
};

// Why a token was refused; also the `reason` label of auth_failures_total.
enum class JwtError {
  kMalformed,       // not three base64url parts of JSON objects
  kBadAlgorithm,    // alg is not exactly HS256 (none, RS256, HS512, missing...)
  kBadSignature,
  kExpired,
  kNotYetValid,
  kWrongTenant,
  kInvalidClaims,   // required claim missing or of the wrong type
};
std::string_view JwtErrorReason(JwtError error);

class JwtVerifyResult {
 public:
  static JwtVerifyResult Ok(AccessClaims claims) { return JwtVerifyResult(std::move(claims)); }
  static JwtVerifyResult Fail(JwtError error) { return JwtVerifyResult(error); }
  bool ok() const { return ok_; }
  const AccessClaims& claims() const { return claims_; }
  JwtError error() const { return error_; }

 private:
  explicit JwtVerifyResult(AccessClaims c) : ok_(true), claims_(std::move(c)) {}
  explicit JwtVerifyResult(JwtError e) : ok_(false), error_(e) {}
  bool ok_;
  AccessClaims claims_;
  JwtError error_ = JwtError::kMalformed;
};

// Issues and verifies HS256 access tokens for exactly one tenant with one key.
// Stateless and thread-safe: one instance serves every request thread.
class JwtCodec {
 public:
  static constexpr std::chrono::seconds kAccessTokenLifetime{15 * 60};
  static constexpr std::chrono::seconds kClockSkew{30};

  JwtCodec(std::string signing_key, std::string tenant);

  // Fills iat/exp/jti from `now` (jti: 128 random bits) and returns the compact JWS.
  std::string Issue(std::string subject, Role role,
                    std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  // Signs arbitrary claims; used by Issue and by tests that need unusual tokens.
  std::string SignRaw(std::string_view header_json, std::string_view payload_json) const;

  JwtVerifyResult Verify(std::string_view token,
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const;

  const std::string& tenant() const { return tenant_; }

 private:
  std::string key_;
  std::string tenant_;
};

}  // namespace tenant::api::auth
