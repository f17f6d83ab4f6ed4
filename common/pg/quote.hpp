#pragma once

#include <string>
#include <string_view>

namespace tenant::pg {

// Quotes an SQL identifier exactly like PQescapeIdentifier on a UTF-8 connection:
// wraps in double quotes and doubles inner double quotes. Throws std::invalid_argument
// for an empty identifier, an embedded NUL byte or invalid UTF-8. Pure (no connection).
// Note: PostgreSQL truncates identifiers to 63 bytes; callers validate lengths.
std::string QuoteIdentifier(std::string_view identifier);

// Quotes a string literal like PQescapeLiteral (standard_conforming_strings=on): single
// quotes doubled; if the value contains a backslash the result is " E'...'" (leading space,
// backslashes doubled). Throws std::invalid_argument for NUL or invalid UTF-8.
// Only for utility statements that cannot take bound parameters (e.g. CREATE ROLE ...
// PASSWORD, COMMENT ON ... IS). Everything else uses Params.
std::string QuoteLiteral(std::string_view value);

// True when `text` is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view text) noexcept;

}  // namespace tenant::pg
