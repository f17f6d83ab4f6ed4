#pragma once
// Keyset paging of the list endpoints: ?cursor= and ?limit= in, one page of items and the
// next cursor out (the cursor format itself is in pagination.hpp).
#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "common/pg/result.hpp"
#include "runtime/server/request.hpp"
#include "runtime/server/response.hpp"

namespace tenant::api::handlers {

// Keyset page request from ?cursor= and ?limit= (422 listing both problems).
struct PageRequest {
  std::int64_t after_id = 0;
  int limit = 50;
};
PageRequest ParsePage(const server::Request& req);

// One page built from rows fetched with LIMIT page.limit + 1: the extra row only tells
// that more follow, so no count query is needed.
struct Page {
  nlohmann::json items = nlohmann::json::array();
  bool has_more = false;
  std::int64_t last_id = 0;  // id of the last item returned
};
using RowJson = std::function<nlohmann::json(const pg::Result&, int row)>;
// `rows` must have an "id" column and be ordered by it.
Page ToPage(const pg::Result& rows, const PageRequest& page, const RowJson& row_json);

// 200 {"items": [...], "next_cursor": cursor-or-null}.
server::Response PageResponse(Page page);

}  // namespace tenant::api::handlers
