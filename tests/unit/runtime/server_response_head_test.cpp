// The response head the server writes itself (response_head.hpp): the same framing beast's
// prepare_payload / keep_alive produced.
#include <catch2/catch.hpp>

#include "runtime/server/response_head.hpp"

using tenant::api::server::Response;
using tenant::api::server::ResponseHasBody;
using tenant::api::server::SerializeResponseHead;

TEST_CASE("response head: status line, fields in order, Content-Length", "[server]") {
  Response r;
  r.status = 200;
  r.body = R"({"a":1})";
  r.headers = {{"ETag", "\"v3\""}, {"X-Request-ID", "abc"}};
  CHECK(SerializeResponseHead(r, true, false) ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"v3\"\r\nX-Request-ID: abc\r\n"
        "Content-Length: 7\r\n\r\n");
  CHECK(ResponseHasBody(r, false));
}

TEST_CASE("response head: Connection: close when the connection ends", "[server]") {
  Response r;
  r.status = 503;
  r.content_type = "application/problem+json";
  r.body = "{}";
  CHECK(SerializeResponseHead(r, false, false) ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nConnection: close\r\n"
        "Content-Length: 2\r\n\r\n");
}

TEST_CASE("response head: 204 and 304 carry no Content-Length and no body", "[server]") {
  Response r = Response::NoContent();
  const std::string head = SerializeResponseHead(r, true, false);
  CHECK(head.rfind("HTTP/1.1 204 No Content\r\n", 0) == 0);
  CHECK(head.find("Content-Length") == std::string::npos);
  CHECK_FALSE(ResponseHasBody(r, false));
  r.status = 304;
  CHECK(SerializeResponseHead(r, true, false).find("Content-Length") == std::string::npos);
}

TEST_CASE("response head: HEAD announces the body's length but sends none", "[server]") {
  Response r;
  r.body = "hello";
  r.content_type = "text/plain";
  CHECK(SerializeResponseHead(r, true, true) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
  CHECK_FALSE(ResponseHasBody(r, true));
}

TEST_CASE("response head: a field with CR, LF or NUL is left out", "[server]") {
  Response r;
  r.content_type.clear();
  r.headers = {{"X-Bad", "a\r\nSet-Cookie: x=1"}, {"X-Nul", std::string("a\0b", 3)}, {"X-Ok", "fine"}};
  CHECK(SerializeResponseHead(r, true, false) == "HTTP/1.1 200 OK\r\nX-Ok: fine\r\nContent-Length: 0\r\n\r\n");
}
