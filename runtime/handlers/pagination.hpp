#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tenant::api {

// Keyset (cursor) pagination over the ascending primary key: a page is "id > after ORDER BY
// id LIMIT n". Rows inserted while a client pages get larger ids, so they never shift
// earlier pages: no row is skipped or repeated, unlike OFFSET paging.
inline constexpr int kDefaultPageLimit = 50;
inline constexpr int kMaxPageLimit = 200;

// The cursor is opaque to clients ("c1." + base64url of the last id seen) so its format can
// change; a version prefix lets old cursors be rejected cleanly.
std::string EncodeCursor(std::int64_t last_id);
// nullopt for anything this build did not produce (-> 422 on the `cursor` field).
std::optional<std::int64_t> DecodeCursor(std::string_view cursor);

// Parses the `limit` query value: empty -> default; nullopt if not an integer in 1..max.
std::optional<int> ParseLimit(std::string_view text);

}  // namespace tenant::api
