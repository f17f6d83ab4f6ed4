#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tenant::pg {

// Builds a libpq "key='value' ..." conninfo with every value quoted and escaped
// (backslash and single quote), so callers never concatenate conninfo strings.
//   ConnInfoBuilder().Host(h).Port(5432).DbName(db).User(u).Password(p)
//       .SslMode("verify-full").SslRootCert(ca).Build();
class ConnInfoBuilder {
 public:
  ConnInfoBuilder() = default;
  // Starts from an existing conninfo or URI (parsed with PQconninfoParse; keys given in it
  // are kept, later setters override). Throws std::invalid_argument if it does not parse;
  // the message never contains the input (it may hold a password).
  static ConnInfoBuilder From(std::string_view conninfo);

  ConnInfoBuilder& Set(std::string_view key, std::string_view value);
  ConnInfoBuilder& Unset(std::string_view key);
  ConnInfoBuilder& Host(std::string_view v) { return Set("host", v); }
  ConnInfoBuilder& Port(int port) { return Set("port", std::to_string(port)); }
  ConnInfoBuilder& DbName(std::string_view v) { return Set("dbname", v); }
  ConnInfoBuilder& User(std::string_view v) { return Set("user", v); }
  ConnInfoBuilder& Password(std::string_view v) { return Set("password", v); }
  ConnInfoBuilder& SslMode(std::string_view v) { return Set("sslmode", v); }
  ConnInfoBuilder& SslRootCert(std::string_view path) { return Set("sslrootcert", path); }
  ConnInfoBuilder& ApplicationName(std::string_view v) { return Set("application_name", v); }
  ConnInfoBuilder& ConnectTimeoutSeconds(int s) { return Set("connect_timeout", std::to_string(s)); }
  // Server options sent at startup, e.g. Options("-c statement_timeout=5000").
  ConnInfoBuilder& Options(std::string_view v) { return Set("options", v); }

  std::optional<std::string> Get(std::string_view key) const;

  // "host='h' port='5432' ..." in insertion order.
  std::string Build() const;
  // Same with the password value replaced by "<redacted>" — safe to log.
  std::string BuildRedacted() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Quotes one conninfo value: 'value' with \ and ' backslash-escaped.
std::string QuoteConnInfoValue(std::string_view value);

// Parses a conninfo or URI into its explicitly set keywords (PQconninfoParse).
// Throws std::invalid_argument (message without the input) when it does not parse.
std::map<std::string, std::string> ParseConnInfo(std::string_view conninfo);

// A loggable form of a conninfo/URI: parsed and rebuilt with the password redacted.
// Returns "<unparseable conninfo>" when parsing fails (never echoes the input).
std::string RedactConnInfo(std::string_view conninfo);

}  // namespace tenant::pg
