#pragma once
// Helpers for the common/ integration tests: connections to the shared test PostgreSQL
// (TLS verify-full, SCRAM) and throwaway databases/roles with unique names.
#include <atomic>
#include <chrono>
#include <random>
#include <string>

#include "common/pg/connection.hpp"
#include "common/pg/quote.hpp"
#include "tests/support/postgres_server.hpp"

namespace tenant::test {

inline pg::Connection ConnectTo(const std::string& dbname = "postgres") {
  return pg::Connection::Connect(PostgresServer::Shared().ConnInfo(dbname));
}

// Unique lower-case name with `prefix` (valid unquoted identifier too).
inline std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned seed = std::random_device{}();
  return prefix + "_" + std::to_string(seed % 100000) + "_" + std::to_string(++counter);
}

// CREATE DATABASE on construction, DROP DATABASE ... WITH (FORCE) on destruction.
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& prefix = "common_test")
      : name_(UniqueName(prefix)) {
    auto admin = ConnectTo();
    admin.Exec("CREATE DATABASE " + pg::QuoteIdentifier(name_));
  }
  ~ScratchDatabase() {
    try {
      auto admin = ConnectTo();
      admin.Exec("DROP DATABASE IF EXISTS " + pg::QuoteIdentifier(name_) + " WITH (FORCE)");
    } catch (...) {  // the server may be stopped by an outage test; its dir goes at exit
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string ConnInfo() const { return PostgresServer::Shared().ConnInfo(name_); }
  pg::Connection Connect() const { return pg::Connection::Connect(ConnInfo()); }

 private:
  std::string name_;
};

}  // namespace tenant::test
