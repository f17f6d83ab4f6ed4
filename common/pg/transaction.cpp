#include "common/pg/transaction.hpp"

#include <stdexcept>

namespace tenant::pg {

std::string_view BeginStatement(TransactionOptions options) {
  using enum IsolationLevel;
  switch (options.isolation) {
    case kReadCommitted:
      return options.read_only ? "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
                               : "BEGIN ISOLATION LEVEL READ COMMITTED";
    case kRepeatableRead:
      return options.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                               : "BEGIN ISOLATION LEVEL REPEATABLE READ";
    case kSerializable:
      return options.read_only ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY"
                               : "BEGIN ISOLATION LEVEL SERIALIZABLE";
  }
  return "BEGIN";
}

Transaction::Transaction(Connection& conn, TransactionOptions options) : conn_(conn) {
  // PostgreSQL only warns on a nested BEGIN; this guard's ROLLBACK would then end the
  // outer transaction too. Refuse instead (use savepoints explicitly if ever needed).
  if (conn_.TransactionStatus() != PQTRANS_IDLE && conn_.IsOpen()) {
    active_ = false;
    throw std::logic_error("pg::Transaction started on a connection already inside a transaction");
  }
  conn_.Exec(BeginStatement(options));
}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    if (conn_.IsOpen()) conn_.Exec("ROLLBACK");
  } catch (...) {  // NOLINT(bugprone-empty-catch): see header — nothing useful to do here
  }
}

void Transaction::Commit() {
  // Clear first: if COMMIT fails the server has ended the transaction anyway.
  active_ = false;
  conn_.Exec("COMMIT");
}

void Transaction::Rollback() {
  active_ = false;
  conn_.Exec("ROLLBACK");
}

}  // namespace tenant::pg
