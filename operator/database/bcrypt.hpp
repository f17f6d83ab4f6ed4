#pragma once
#include <string>
#include <string_view>

namespace tenant::database {

// bcrypt ($2b$) hash via libxcrypt, for seeding the first admin user of a tenant (the
// same format tenant-api verifies). Throws std::runtime_error on failure.
std::string BcryptHash(std::string_view password, unsigned cost = 12);

}  // namespace tenant::database
