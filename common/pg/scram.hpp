#pragma once

#include <string>
#include <string_view>

#include "common/pg/connection.hpp"

namespace tenant::pg {

// The SCRAM-SHA-256 verifier ("SCRAM-SHA-256$4096:<salt>$<stored>:<server>") for
// `password`, computed client-side by PQencryptPasswordConn so the plain password never
// reaches the server or its logs. Use it in ALTER/CREATE ROLE ... PASSWORD <QuoteLiteral(v)>.
// Throws pg::Error on failure.
std::string ScramVerifier(Connection& conn, std::string_view role, std::string_view password);

}  // namespace tenant::pg
