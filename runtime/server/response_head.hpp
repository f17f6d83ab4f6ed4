#pragma once
// The status line and header block of a Response, serialized in one string. The server
// writes it and the body as two buffers of one write. Building a beast::http::response per
// reply cost an allocation per header field (about 14 of them: security headers, request
// id, RateLimit-*, ETag, ...) plus beast's buffer-sequence serializer, measurable on every
// GET; the framing below is the same as beast's (prepare_payload / keep_alive).
#include <string>

#include "runtime/server/response.hpp"

namespace tenant::api::server {

// HTTP/1.1 head of `res`: Content-Type (when set), `res.headers` in order, Content-Length
// (none for 1xx, 204 and 304 unless `head_request`, where it is the body's size), and
// "Connection: close" unless `keep_alive`. A field whose name or value contains CR, LF or
// NUL is left out (it could split the response).
std::string SerializeResponseHead(const Response& res, bool keep_alive, bool head_request);

// Whether the body of `res` is sent at all (not for HEAD, 1xx, 204, 304).
bool ResponseHasBody(const Response& res, bool head_request);

}  // namespace tenant::api::server
