#include "runtime/auth/jwt.hpp"

#include <nlohmann/json.hpp>

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"

namespace tenant::api::auth {
namespace {

using nlohmann::json;

int64_t ToSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Parses a base64url segment that must hold a JSON object.
bool DecodeObject(std::string_view segment, json& out) {
  auto raw = Base64UrlDecode(segment);
  if (!raw) return false;
  out = json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  return out.is_object();
}

bool GetInt(const json& obj, const char* name, int64_t& out) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_integer()) return false;
  out = it->get<int64_t>();
  return true;
}

bool GetString(const json& obj, const char* name, std::string& out) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return !out.empty();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kManager: return "manager";
    case Role::kClerk: return "clerk";
  }
  return "clerk";
}

bool ParseRole(std::string_view name, Role& out) {
  if (name == "admin") out = Role::kAdmin;
  else if (name == "manager") out = Role::kManager;
  else if (name == "clerk") out = Role::kClerk;
  else return false;
  return true;
}

std::string_view JwtErrorReason(JwtError error) {
  switch (error) {
    case JwtError::kMalformed: return "malformed_token";
    case JwtError::kBadAlgorithm: return "bad_algorithm";
    case JwtError::kBadSignature: return "bad_signature";
    case JwtError::kExpired: return "expired";
    case JwtError::kNotYetValid: return "not_yet_valid";
    case JwtError::kWrongTenant: return "wrong_tenant";
    case JwtError::kInvalidClaims: return "invalid_claims";
  }
  return "malformed_token";
}

JwtCodec::JwtCodec(std::string signing_key, std::string tenant)
    : key_(std::move(signing_key)), tenant_(std::move(tenant)) {}

std::string JwtCodec::SignRaw(std::string_view header_json, std::string_view payload_json) const {
  std::string signing_input = Base64UrlEncode(header_json);
  signing_input.push_back('.');
  signing_input += Base64UrlEncode(payload_json);
  std::string signature = HmacSha256(key_, signing_input);
  signing_input.push_back('.');
  signing_input += Base64UrlEncode(signature);
  return signing_input;
}

std::string JwtCodec::Issue(std::string subject, Role role,
                            std::chrono::system_clock::time_point now) const {
  const int64_t iat = ToSeconds(now);
  json payload = {
      {"sub", std::move(subject)},
      {"role", RoleName(role)},
      {"tenant", tenant_},
      {"iat", iat},
      {"exp", iat + kAccessTokenLifetime.count()},
      {"jti", Base64UrlEncode(RandomBytes(16))},
  };
  return SignRaw(R"({"alg":"HS256","typ":"JWT"})", payload.dump());
}

JwtVerifyResult JwtCodec::Verify(std::string_view token,
                                 std::chrono::system_clock::time_point now) const {
  // Tokens larger than this are never ours; refuse before any work.
  if (token.size() > 4096) return JwtVerifyResult::Fail(JwtError::kMalformed);
  const size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return JwtVerifyResult::Fail(JwtError::kMalformed);
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return JwtVerifyResult::Fail(JwtError::kMalformed);
  }
  const std::string_view header_part = token.substr(0, dot1);
  const std::string_view payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view signature_part = token.substr(dot2 + 1);

  json header;
  if (!DecodeObject(header_part, header)) return JwtVerifyResult::Fail(JwtError::kMalformed);
  // The algorithm is fixed by the server, never chosen by the token: anything but the
  // exact string HS256 (none, RS256 with the HMAC key as "public key", HS512...) fails.
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return JwtVerifyResult::Fail(JwtError::kBadAlgorithm);
  }
  // "crit" names extensions we would have to understand (RFC 7515 4.1.11); we understand none.
  if (header.contains("crit")) return JwtVerifyResult::Fail(JwtError::kMalformed);

  auto signature = Base64UrlDecode(signature_part);
  if (!signature) return JwtVerifyResult::Fail(JwtError::kMalformed);
  const std::string expected =
      HmacSha256(key_, token.substr(0, dot2));
  if (!ConstantTimeEquals(expected, *signature)) {
    return JwtVerifyResult::Fail(JwtError::kBadSignature);
  }

  // Only a correctly signed payload is parsed for claims.
  json payload;
  if (!DecodeObject(payload_part, payload)) return JwtVerifyResult::Fail(JwtError::kMalformed);
  AccessClaims claims;
  std::string role_name;
  if (!GetString(payload, "sub", claims.subject) || !GetString(payload, "role", role_name) ||
      !GetString(payload, "tenant", claims.tenant) || !GetString(payload, "jti", claims.jti) ||
      !GetInt(payload, "iat", claims.issued_at) || !GetInt(payload, "exp", claims.expires_at) ||
      !ParseRole(role_name, claims.role)) {
    return JwtVerifyResult::Fail(JwtError::kInvalidClaims);
  }
  if (payload.contains("nbf") && !GetInt(payload, "nbf", claims.not_before)) {
    return JwtVerifyResult::Fail(JwtError::kInvalidClaims);
  }
  // A tenant's key must never be usable for another tenant, even if keys were shared by
  // mistake; compared in constant time like every other secret-derived value.
  if (!ConstantTimeEquals(claims.tenant, tenant_)) {
    return JwtVerifyResult::Fail(JwtError::kWrongTenant);
  }
  const int64_t now_s = ToSeconds(now);
  const int64_t skew = kClockSkew.count();
  if (now_s >= claims.expires_at + skew) return JwtVerifyResult::Fail(JwtError::kExpired);
  if (claims.not_before != 0 && now_s + skew < claims.not_before) {
    return JwtVerifyResult::Fail(JwtError::kNotYetValid);
  }
  if (now_s + skew < claims.issued_at) return JwtVerifyResult::Fail(JwtError::kNotYetValid);
  return JwtVerifyResult::Ok(std::move(claims));
}

}  // namespace tenant::api::auth
