#include <catch2/catch.hpp>

#include "runtime/auth/base64url.hpp"
#include "runtime/auth/crypto.hpp"
#include "runtime/auth/password.hpp"
#include "runtime/auth/refresh_token.hpp"
#include "common/auth/seed_user.hpp"

using namespace tenant::api::auth;
using tenant::auth::NormalizeUsername;
using tenant::auth::SeedUserSql;

TEST_CASE("base64url: RFC 4648 vectors without padding", "[auth]") {
  CHECK(Base64UrlEncode("") == "");
  CHECK(Base64UrlEncode("f") == "Zg");
  CHECK(Base64UrlEncode("fo") == "Zm8");
  CHECK(Base64UrlEncode("foo") == "Zm9v");
  CHECK(Base64UrlEncode("foobar") == "Zm9vYmFy");
  CHECK(Base64UrlEncode(std::string("\xfb\xff", 2)) == "-_8");
  const std::vector<std::string> samples = {"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)};
  for (const std::string& s : samples) {
    auto back = Base64UrlDecode(Base64UrlEncode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
}

TEST_CASE("base64url: strict decoding", "[auth]") {
  CHECK_FALSE(Base64UrlDecode("Zg=="));   // padding
  CHECK_FALSE(Base64UrlDecode("Z"));      // impossible length
  CHECK_FALSE(Base64UrlDecode("Zm9v+"));  // standard alphabet
  CHECK_FALSE(Base64UrlDecode("Zh"));     // non-zero trailing bits ("Zg" is canonical)
  CHECK(Base64UrlDecode("Zg"));
}

TEST_CASE("crypto: SHA-256 and HMAC-SHA256 known answers", "[auth]") {
  CHECK(HexEncode(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2
  CHECK(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK(RandomBytes(32).size() == 32);
  CHECK(RandomBytes(32) != RandomBytes(32));
}

TEST_CASE("password: bcrypt $2b$ cost 12 hashes verify, wrong passwords do not", "[auth][bcrypt]") {
  const std::string hash = HashPassword("correct horse battery staple");
  CHECK(hash.rfind("$2b$12$", 0) == 0);
  CHECK(hash.size() == 60);
  CHECK(VerifyPassword("correct horse battery staple", hash));
  CHECK_FALSE(VerifyPassword("correct horse battery stapl", hash));
  CHECK_FALSE(VerifyPassword("", hash));
  CHECK_FALSE(VerifyPassword("correct horse battery staple", "$2b$12$invalid"));
  CHECK_FALSE(VerifyPassword("correct horse battery staple", "plain"));
  // salted: the same password hashes differently
  CHECK(HashPassword("correct horse battery staple", 4) != HashPassword("correct horse battery staple", 4));
  CHECK_FALSE(VerifyAgainstDummy("correct horse battery staple"));
  CHECK_FALSE(VerifyPassword(std::string(73, 'a'), hash));
}

TEST_CASE("password: a cheaper stored hash is still checked correctly when padded to the login cost", "[auth]") {
  const std::string cheap = HashPassword("operator generated pw", 4);
  CHECK(tenant::auth::BcryptCostOf(cheap) == 4);
  CHECK(tenant::auth::BcryptCostOf("$2b$12$abc") == 12);
  CHECK(tenant::auth::BcryptCostOf("$2a$10$abc") == 0);
  CHECK(tenant::auth::BcryptCostOf("$2b$1x$abc") == 0);
  CHECK(tenant::auth::BcryptCostOf("plain") == 0);
  // Padding (extra checks at costs 4..6) never changes the answer.
  CHECK(VerifyPassword("operator generated pw", cheap, 7));
  CHECK_FALSE(VerifyPassword("operator generated px", cheap, 7));
  CHECK(VerifyPassword("operator generated pw", cheap, 4));
}

TEST_CASE("password: policy", "[auth]") {
  CHECK_FALSE(PasswordPolicyViolation("short").empty());
  CHECK(PasswordPolicyViolation("twelve bytes").empty());
  CHECK_FALSE(PasswordPolicyViolation(std::string(73, 'x')).empty());
  CHECK_FALSE(PasswordPolicyViolation(std::string("abcdefghijkl\0m", 14)).empty());
  CHECK_THROWS_AS(HashPassword(std::string(73, 'x')), std::invalid_argument);
}

TEST_CASE("refresh tokens: 256 random bits, only the SHA-256 is kept", "[auth]") {
  auto a = GenerateRefreshToken();
  auto b = GenerateRefreshToken();
  CHECK(a.token != b.token);
  CHECK(a.token.size() == 43);
  CHECK(a.hash.size() == 32);
  CHECK(a.hash == HashRefreshToken(a.token));
  CHECK(a.hash != HashRefreshToken(b.token));
}

TEST_CASE("usernames are normalized to lower case", "[auth]") {
  CHECK(NormalizeUsername("Alice.Smith@Example") == std::optional<std::string>("alice.smith@example"));
  CHECK_FALSE(NormalizeUsername(""));
  CHECK_FALSE(NormalizeUsername("with space"));
  CHECK_FALSE(NormalizeUsername(std::string(65, 'a')));
  CHECK_FALSE(NormalizeUsername("robert'); drop table"));
  CHECK(SeedUserSql().find("ON CONFLICT") != std::string_view::npos);
}
