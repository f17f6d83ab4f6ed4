#include "runtime/server/response_head.hpp"

#include <boost/beast/http/status.hpp>

#include <string_view>

namespace tenant::api::server {
namespace {

bool SafeFieldText(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  if (name.empty() || !SafeFieldText(name) || !SafeFieldText(value)) return;
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool NoBodyStatus(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

}  // namespace

bool ResponseHasBody(const Response& res, bool head_request) { return !head_request && !NoBodyStatus(res.status); }

std::string SerializeResponseHead(const Response& res, bool keep_alive, bool head_request) {
  std::string out;
  out.reserve(512);
  out.append("HTTP/1.1 ");
  out.append(std::to_string(res.status));
  out.push_back(' ');
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(res.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  if (!res.content_type.empty()) AppendField(out, "Content-Type", res.content_type);
  for (const auto& [name, value] : res.headers) AppendField(out, name, value);
  if (!keep_alive) AppendField(out, "Connection", "close");
  if (head_request || !NoBodyStatus(res.status)) AppendField(out, "Content-Length", std::to_string(res.body.size()));
  out.append("\r\n");
  return out;
}

}  // namespace tenant::api::server
