#pragma once
// Errors of libpq's asynchronous calls (pipeline mode, non-blocking queries), raised as the
// same typed exceptions (common/pg/error.hpp) the blocking calls throw.
#include <libpq-fe.h>

#include <exception>
#include <string_view>

namespace tenant::api::db {

// The typed pg::Error for a failed statement's result (SQLSTATE, message, detail fields).
// When `conn` is no longer usable (the server closed the session mid-statement) it is a
// pg::ConnectionError whatever the code, as pg::Connection's blocking calls report it:
// callers map that to 503 and drop the connection.
std::exception_ptr StatementError(PGconn* conn, const PGresult* result);
// pg::ConnectionError "<what>: <libpq's message>" (SQLSTATE 08006).
[[noreturn]] void ThrowConnectionLost(PGconn* conn, std::string_view what);

}  // namespace tenant::api::db
