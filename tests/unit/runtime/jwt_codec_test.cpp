#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"
#include "runtime/auth/jwt.hpp"

using namespace tenant::api::auth;
using nlohmann::json;
using std::chrono::seconds;

namespace {

const std::string kKey = "0123456789abcdef0123456789abcdef-tenant-a";
const auto kNow = std::chrono::system_clock::time_point(seconds(1'800'000'000));

json Claims(int64_t iat, int64_t exp, std::string tenant = "acme") {
  return {{"sub", "42"}, {"role", "manager"}, {"tenant", tenant}, {"iat", iat}, {"exp", exp}, {"jti", "abc"}};
}

int64_t NowS() { return 1'800'000'000; }

}  // namespace

TEST_CASE("jwt: issued token verifies and carries the claims", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  const std::string token = codec.Issue("42", Role::kManager, kNow);
  auto r = codec.Verify(token, kNow);
  REQUIRE(r.ok());
  CHECK(r.claims().subject == "42");
  CHECK(r.claims().role == Role::kManager);
  CHECK(r.claims().tenant == "acme");
  CHECK(r.claims().issued_at == NowS());
  CHECK(r.claims().expires_at == NowS() + 900);
  CHECK(r.claims().jti.size() >= 16);
  // header is exactly HS256/JWT
  auto header = Base64UrlDecode(token.substr(0, token.find('.')));
  REQUIRE(header);
  CHECK(json::parse(*header) == json({{"alg", "HS256"}, {"typ", "JWT"}}));
  // two tokens never share a jti
  CHECK(codec.Verify(codec.Issue("42", Role::kManager, kNow), kNow).claims().jti != r.claims().jti);
}

TEST_CASE("jwt: alg none is rejected, signed or unsigned", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  const std::string payload = Base64UrlEncode(Claims(NowS(), NowS() + 900).dump());
  const std::string header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  auto unsigned_token = codec.Verify(header + "." + payload + ".", kNow);
  REQUIRE_FALSE(unsigned_token.ok());
  CHECK(unsigned_token.error() == JwtError::kBadAlgorithm);
  // even with a valid HMAC over the none-header the algorithm decides first
  auto signed_none = codec.SignRaw(R"({"alg":"none","typ":"JWT"})", Claims(NowS(), NowS() + 900).dump());
  CHECK(codec.Verify(signed_none, kNow).error() == JwtError::kBadAlgorithm);
  // case variants of none / HS256
  for (const char* alg : {"None", "NONE", "hs256", "HS256 ", ""}) {
    auto t = codec.SignRaw(json({{"alg", alg}}).dump(), Claims(NowS(), NowS() + 900).dump());
    CHECK(codec.Verify(t, kNow).error() == JwtError::kBadAlgorithm);
  }
  auto no_alg = codec.SignRaw(R"({"typ":"JWT"})", Claims(NowS(), NowS() + 900).dump());
  CHECK(codec.Verify(no_alg, kNow).error() == JwtError::kBadAlgorithm);
}

TEST_CASE("jwt: HS/RS confusion and other algorithms are rejected", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  // The classic confusion attack: RS256 header, HMAC-signed with the key material the
  // server would use as "public key". The signature is a valid HMAC, the alg is not ours.
  for (const char* alg : {"RS256", "ES256", "PS256", "HS384", "HS512"}) {
    auto t = codec.SignRaw(json({{"alg", alg}, {"typ", "JWT"}}).dump(), Claims(NowS(), NowS() + 900).dump());
    auto r = codec.Verify(t, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error() == JwtError::kBadAlgorithm);
  }
  auto not_string = codec.SignRaw(R"({"alg":["HS256"]})", Claims(NowS(), NowS() + 900).dump());
  CHECK(codec.Verify(not_string, kNow).error() == JwtError::kBadAlgorithm);
}

TEST_CASE("jwt: tampered payload or signature fails the signature check", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  const std::string token = codec.Issue("42", Role::kClerk, kNow);
  const size_t d1 = token.find('.');
  const size_t d2 = token.rfind('.');
  // promote ourselves to admin, keep the signature
  json claims = json::parse(*Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1)));
  claims["role"] = "admin";
  const std::string forged = token.substr(0, d1 + 1) + Base64UrlEncode(claims.dump()) + token.substr(d2);
  CHECK(codec.Verify(forged, kNow).error() == JwtError::kBadSignature);
  // flip one bit of the signature
  std::string sig = *Base64UrlDecode(token.substr(d2 + 1));
  sig[0] = static_cast<char>(sig[0] ^ 1);
  CHECK(codec.Verify(token.substr(0, d2 + 1) + Base64UrlEncode(sig), kNow).error() == JwtError::kBadSignature);
  // truncated signature
  CHECK(codec.Verify(token.substr(0, d2 + 1) + Base64UrlEncode(sig.substr(0, 16)), kNow).error() ==
        JwtError::kBadSignature);
  // empty signature
  CHECK(codec.Verify(token.substr(0, d2 + 1), kNow).error() == JwtError::kBadSignature);
}

TEST_CASE("jwt: expiry and not-before honour 30 s of clock skew", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  const std::string token = codec.Issue("42", Role::kClerk, kNow);
  CHECK(codec.Verify(token, kNow + seconds(900 + 29)).ok());
  CHECK(codec.Verify(token, kNow + seconds(900 + 30)).error() == JwtError::kExpired);
  CHECK(codec.Verify(token, kNow + seconds(3600)).error() == JwtError::kExpired);
  // issued in the future (clock of the issuer ahead) beyond the skew
  CHECK(codec.Verify(token, kNow - seconds(29)).ok());
  CHECK(codec.Verify(token, kNow - seconds(31)).error() == JwtError::kNotYetValid);
  json c = Claims(NowS(), NowS() + 900);
  c["nbf"] = NowS() + 100;
  auto nbf = codec.SignRaw(R"({"alg":"HS256","typ":"JWT"})", c.dump());
  CHECK(codec.Verify(nbf, kNow).error() == JwtError::kNotYetValid);
  CHECK(codec.Verify(nbf, kNow + seconds(71)).ok());
}

TEST_CASE("jwt: another tenant's key or tenant claim is refused", "[jwt]") {
  JwtCodec acme(kKey, "acme");
  JwtCodec globex("another-tenant-key-of-at-least-32-bytes!", "globex");
  const std::string globex_token = globex.Issue("42", Role::kAdmin, kNow);
  CHECK(acme.Verify(globex_token, kNow).error() == JwtError::kBadSignature);
  // same key by mistake, other tenant claim: still refused
  JwtCodec acme_key_other_tenant(kKey, "globex");
  CHECK(acme.Verify(acme_key_other_tenant.Issue("42", Role::kAdmin, kNow), kNow).error() ==
        JwtError::kWrongTenant);
}

TEST_CASE("jwt: malformed tokens and missing claims", "[jwt]") {
  JwtCodec codec(kKey, "acme");
  const std::string huge(5000, 'a');
  for (const char* t : {"", "abc", "a.b", "a.b.c.d", "!!.e30.", "e30.e30.e30", "..", huge.c_str()}) {
    auto r = codec.Verify(t, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK((r.error() == JwtError::kMalformed || r.error() == JwtError::kBadAlgorithm));
  }
  const auto sign = [&](json claims) {
    return codec.SignRaw(R"({"alg":"HS256","typ":"JWT"})", claims.dump());
  };
  for (const char* missing : {"sub", "role", "tenant", "iat", "exp", "jti"}) {
    json c = Claims(NowS(), NowS() + 900);
    c.erase(missing);
    CHECK(codec.Verify(sign(c), kNow).error() == JwtError::kInvalidClaims);
  }
  json bad_role = Claims(NowS(), NowS() + 900);
  bad_role["role"] = "root";
  CHECK(codec.Verify(sign(bad_role), kNow).error() == JwtError::kInvalidClaims);
  json exp_string = Claims(NowS(), NowS() + 900);
  exp_string["exp"] = "never";
  CHECK(codec.Verify(sign(exp_string), kNow).error() == JwtError::kInvalidClaims);
  // payload that is not an object
  auto array_payload = codec.SignRaw(R"({"alg":"HS256"})", "[1,2]");
  CHECK(codec.Verify(array_payload, kNow).error() == JwtError::kMalformed);
  // crit header we do not understand
  auto crit = codec.SignRaw(R"({"alg":"HS256","crit":["exp"]})", Claims(NowS(), NowS() + 900).dump());
  CHECK(codec.Verify(crit, kNow).error() == JwtError::kMalformed);
}

TEST_CASE("jwt: error reasons are stable metric labels", "[jwt]") {
  CHECK(JwtErrorReason(JwtError::kBadAlgorithm) == "bad_algorithm");
  CHECK(JwtErrorReason(JwtError::kExpired) == "expired");
  CHECK(JwtErrorReason(JwtError::kWrongTenant) == "wrong_tenant");
  Role r{};
  CHECK(ParseRole("admin", r));
  CHECK(r == Role::kAdmin);
  CHECK_FALSE(ParseRole("Admin", r));
}
