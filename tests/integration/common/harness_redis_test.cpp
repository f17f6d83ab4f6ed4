// The Redis the harness starts is real, requires its password, and can be stopped and
// started again on the same port for outage tests.
#include <hiredis/hiredis.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "tests/support/redis_server.hpp"

using tenant::test::RedisServer;

namespace {

using Context = std::unique_ptr<redisContext, decltype(&redisFree)>;
using Reply = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

Context Connect(const RedisServer& redis) {
  return Context(redisConnect(redis.host().c_str(), redis.port()), &redisFree);
}

template <typename... Args>
Reply Command(redisContext* ctx, const char* format, Args... args) {
  return Reply(static_cast<redisReply*>(redisCommand(ctx, format, args...)), &freeReplyObject);
}

std::string Text(const Reply& reply) {
  return reply && reply->str != nullptr ? std::string(reply->str, reply->len) : "";
}

// A connected, authenticated context (REQUIREs success).
Context Authenticated(const RedisServer& redis) {
  Context ctx = Connect(redis);
  REQUIRE(ctx);
  INFO((ctx->err != 0 ? ctx->errstr : "") << "\nserver log:\n" << redis.LogTail());
  REQUIRE(ctx->err == 0);
  Reply auth = Command(ctx.get(), "AUTH %s", redis.password().c_str());
  REQUIRE(auth);
  REQUIRE(auth->type == REDIS_REPLY_STATUS);
  CHECK(Text(auth) == "OK");
  return ctx;
}

}  // namespace

TEST_CASE("Redis harness: AUTH with the password works", "[harness][redis]") {
  auto& redis = RedisServer::Shared();
  CHECK(redis.host() == "127.0.0.1");
  CHECK(redis.url() ==
        "redis://:" + redis.password() + "@127.0.0.1:" + std::to_string(redis.port()) + "/0");
  Context ctx = Authenticated(redis);
  CHECK(Text(Command(ctx.get(), "SET %s %s", "harness:key", "value")) == "OK");
  CHECK(Text(Command(ctx.get(), "GET %s", "harness:key")) == "value");
  CHECK(Text(Command(ctx.get(), "INFO server")).find("redis_version:7.") != std::string::npos);
  // Bound to loopback only, no persistence.
  Reply bind = Command(ctx.get(), "CONFIG GET bind");
  REQUIRE(bind->type == REDIS_REPLY_ARRAY);
  REQUIRE(bind->elements == 2);
  CHECK(std::string(bind->element[1]->str) == "127.0.0.1");
  Reply save = Command(ctx.get(), "CONFIG GET save");
  REQUIRE(save->elements == 2);
  CHECK(std::string(save->element[1]->str).empty());
}

TEST_CASE("Redis harness: commands need AUTH and a wrong password fails", "[harness][redis]") {
  auto& redis = RedisServer::Shared();
  Context ctx = Connect(redis);
  REQUIRE(ctx);
  REQUIRE(ctx->err == 0);
  Reply ping = Command(ctx.get(), "PING");
  REQUIRE(ping);
  REQUIRE(ping->type == REDIS_REPLY_ERROR);
  CHECK_THAT(Text(ping), Catch::StartsWith("NOAUTH"));
  Reply auth = Command(ctx.get(), "AUTH %s", "not-the-password");
  REQUIRE(auth);
  REQUIRE(auth->type == REDIS_REPLY_ERROR);
  CHECK_THAT(Text(auth), Catch::StartsWith("WRONGPASS"));
}

TEST_CASE("Redis harness: Shared() reuses one server per process", "[harness][redis]") {
  auto& first = RedisServer::Shared();
  auto& second = RedisServer::Shared();
  CHECK(&first == &second);
  Context a = Authenticated(first);
  Context b = Authenticated(second);
  auto run_id = [](redisContext* ctx) {
    std::string info = Text(Command(ctx, "INFO server"));
    auto at = info.find("run_id:");
    REQUIRE(at != std::string::npos);
    return info.substr(at, info.find('\r', at) - at);
  };
  CHECK(run_id(a.get()) == run_id(b.get()));
}

TEST_CASE("Redis harness: Stop/Start gives an outage on the same port", "[harness][redis]") {
  auto& redis = RedisServer::Shared();
  const int port = redis.port();
  REQUIRE(redis.running());

  redis.Stop();
  CHECK_FALSE(redis.running());
  Context down = Connect(redis);
  REQUIRE(down);
  CHECK(down->err != 0);
  redis.Stop();  // idempotent

  redis.Start();
  CHECK(redis.running());
  CHECK(redis.port() == port);
  Context up = Authenticated(redis);
  CHECK(Text(Command(up.get(), "PING")) == "PONG");
}
