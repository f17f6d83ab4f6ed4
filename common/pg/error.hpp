#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace tenant::pg {

// Diagnostic fields the server attaches to an error (PQresultErrorField). Empty when absent.
// Callers use them to map errors to precise API answers (e.g. which unique constraint).
struct ErrorFields {
  std::string detail;
  std::string hint;
  std::string schema;
  std::string table;
  std::string column;
  std::string constraint;
};

// Base of every PostgreSQL/libpq failure. what() is "<message> (SQLSTATE xxxxx)" and never
// contains a password: connection failures only name host and port.
class Error : public std::runtime_error {
 public:
  Error(std::string message, std::string sqlstate, ErrorFields fields = {});

  // Five-character SQLSTATE; empty when libpq failed without a server error code.
  const std::string& sqlstate() const noexcept { return sqlstate_; }
  // The server's primary message, without the SQLSTATE suffix.
  const std::string& message() const noexcept { return message_; }
  const ErrorFields& fields() const noexcept { return fields_; }

 private:
  std::string message_;
  std::string sqlstate_;
  ErrorFields fields_;
};

// Class 08 (connection exception), admin shutdown (57P01..57P03), authentication
// (class 28) failures at connect time, and any error after which the connection is gone.
class ConnectionError : public Error { using Error::Error; };
class AuthenticationError : public ConnectionError { using ConnectionError::ConnectionError; };  // 28xxx

// Class 23: integrity constraint violations.
class IntegrityViolation : public Error { using Error::Error; };
class UniqueViolation : public IntegrityViolation { using IntegrityViolation::IntegrityViolation; };          // 23505
class ForeignKeyViolation : public IntegrityViolation { using IntegrityViolation::IntegrityViolation; };      // 23503
class NotNullViolation : public IntegrityViolation { using IntegrityViolation::IntegrityViolation; };         // 23502
class CheckViolation : public IntegrityViolation { using IntegrityViolation::IntegrityViolation; };           // 23514
class ExclusionViolation : public IntegrityViolation { using IntegrityViolation::IntegrityViolation; };       // 23P01

// Class 40: the transaction was rolled back by the server; retrying it may succeed.
class TransactionRollback : public Error { using Error::Error; };
class SerializationFailure : public TransactionRollback { using TransactionRollback::TransactionRollback; };  // 40001
class DeadlockDetected : public TransactionRollback { using TransactionRollback::TransactionRollback; };      // 40P01

class QueryCanceled : public Error { using Error::Error; };          // 57014 (statement_timeout, cancel)
class LockNotAvailable : public Error { using Error::Error; };       // 55P03 (lock_timeout, NOWAIT)
class ObjectInUse : public Error { using Error::Error; };            // 55006 (e.g. DROP DATABASE in use)
class InsufficientPrivilege : public Error { using Error::Error; };  // 42501
class UndefinedObject : public Error { using Error::Error; };        // 42704 (role), 42P01 (table), 3D000 (db)
class DuplicateObject : public Error { using Error::Error; };        // 42710 (role), 42P04 (db), 42P07 (table)
class SyntaxError : public Error { using Error::Error; };            // 42601
class DataException : public Error { using Error::Error; };          // class 22 (bad input value)

// Throws the most specific Error subclass for `sqlstate` (pure; unit-tested).
[[noreturn]] void ThrowForSqlState(std::string message, std::string sqlstate, ErrorFields fields = {});

// One line an admin can act on from libpq's connect-failure text, which repeats the
// endpoint and adds hints over several lines:
//   connection to server at "h" (10.0.0.1), port 5432 failed: Connection refused\n\tIs the...
// becomes "connection refused" (the caller names the endpoint once). Pure; unit-tested.
std::string SummarizeConnectFailure(std::string_view libpq_message);

// True for errors where running the same transaction again can succeed
// (serialization failure, deadlock, connection lost).
bool IsTransient(const Error& error) noexcept;

}  // namespace tenant::pg
