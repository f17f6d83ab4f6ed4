#include "operator/database/bcrypt.hpp"

#include <crypt.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace tenant::database {

std::string BcryptHash(std::string_view password, unsigned cost) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  // NULL random bytes: libxcrypt draws them from the OS CSPRNG.
  if (crypt_gensalt_rn("$2b$", cost, nullptr, 0, salt, sizeof salt) == nullptr) {
    throw std::runtime_error("crypt_gensalt_rn failed");
  }
  auto data = std::make_unique<crypt_data>();
  const std::string pw(password);
  const char* out = crypt_rn(pw.c_str(), salt, data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') throw std::runtime_error("bcrypt hashing failed");
  return out;
}

}  // namespace tenant::database
