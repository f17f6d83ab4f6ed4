#include "runtime/handlers/page.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/handlers/pagination.hpp"
#include "runtime/server/http_error.hpp"

namespace tenant::api::handlers {

PageRequest ParsePage(const server::Request& req) {
  PageRequest page;
  std::vector<server::FieldError> errors;
  if (auto cursor = req.Query("cursor"); cursor && !cursor->empty()) {
    if (auto id = DecodeCursor(*cursor)) page.after_id = *id;
    else errors.push_back({"cursor", "is not a cursor returned by this API"});
  }
  if (auto limit = ParseLimit(req.Query("limit").value_or(""))) page.limit = *limit;
  else errors.push_back({"limit", "must be an integer from 1 to " + std::to_string(kMaxPageLimit)});
  if (!errors.empty()) throw server::ValidationFailed(std::move(errors));
  return page;
}

Page ToPage(const pg::Result& rows, const PageRequest& page, const RowJson& row_json) {
  Page out;
  const int shown = std::min(rows.rows(), page.limit);
  for (int i = 0; i < shown; ++i) out.items.push_back(row_json(rows, i));
  out.has_more = rows.rows() > page.limit;
  out.last_id = shown > 0 ? rows.Int64(shown - 1, "id") : 0;
  return out;
}

server::Response PageResponse(Page page) {
  nlohmann::json body = {{"items", std::move(page.items)},
                         {"next_cursor", page.has_more ? nlohmann::json(EncodeCursor(page.last_id))
                                                       : nlohmann::json(nullptr)}};
  return server::Response::Json(200, body);
}

}  // namespace tenant::api::handlers
