#include "common/pg/scram.hpp"

#include <memory>

namespace tenant::pg {

std::string ScramVerifier(Connection& conn, std::string_view role, std::string_view password) {
  const std::string r(role);
  const std::string p(password);
  std::unique_ptr<char, decltype(&PQfreemem)> out(
      PQencryptPasswordConn(conn.native(), p.c_str(), r.c_str(), "scram-sha-256"), &PQfreemem);
  if (!out) {
    // PQerrorMessage here describes the hashing failure; it never contains the password.
    std::string msg = PQerrorMessage(conn.native());
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    throw Error("could not compute SCRAM verifier: " + msg, "");
  }
  return out.get();
}

}  // namespace tenant::pg
