// JWT verification (the domain engineer's JwtCodec) on arbitrary tokens: never crashes and
// never accepts one. The fuzzer cannot produce an HMAC-SHA256 under a key it does not know,
// so any accepted input is a verification bug (alg confusion, signature check skipped...).
// The seed corpus therefore holds only tokens NOT signed with this key.
#include <cstdint>
#include <cstdlib>

#include "runtime/auth/jwt.hpp"

using namespace tenant::api::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const JwtCodec codec("fuzz-key-0123456789abcdefghijklmnopqrstuvwxyz", "acme");
  std::string_view token(reinterpret_cast<const char*>(data), size);
  auto result = codec.Verify(token);
  if (result.ok()) abort();
  if (JwtErrorReason(result.error()).empty()) abort();
  return 0;
}
