#pragma once

#include <string_view>

#include "common/pg/connection.hpp"

namespace tenant::pg {

enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::kReadCommitted;
  bool read_only = false;
};

// BEGIN on construction (std::logic_error if the connection is already in a transaction); ROLLBACK on destruction unless Commit() succeeded (errors during
// that rollback are swallowed: the destructor may run while an exception unwinds, and a
// broken connection drops the transaction anyway).
class Transaction {
 public:
  explicit Transaction(Connection& conn, TransactionOptions options = {});
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Result Exec(std::string_view sql, const Params& params = {}) { return conn_.Exec(sql, params); }
  Connection& connection() noexcept { return conn_; }

  void Commit();
  void Rollback();
  bool active() const noexcept { return active_; }

 private:
  Connection& conn_;
  bool active_ = true;
};

// Pure: the BEGIN statement for the options, e.g. "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY".
std::string_view BeginStatement(TransactionOptions options);

}  // namespace tenant::pg
