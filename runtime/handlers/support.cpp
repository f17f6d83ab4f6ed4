#include "runtime/handlers/support.hpp"

#include <atomic>
#include <charconv>
#include <thread>


#include "common/log/log.hpp"
#include "common/pg/error.hpp"
#include "common/pg/transaction.hpp"
#include "runtime/auth/crypto.hpp"
#include "runtime/db/support_queries.hpp"
#include "runtime/server/request_log.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;

// At most one purge of expired idempotency keys per 10 minutes per process, run by the
// request that finds the timer expired, after its own transaction (never inside it).
void MaybePurgeIdempotencyKeys(db::Pool::Lease& lease) {
  static std::atomic<std::int64_t> next_purge_ms{0};
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::int64_t due = next_purge_ms.load(std::memory_order_relaxed);
  if (now_ms < due || !next_purge_ms.compare_exchange_strong(due, now_ms + 600'000)) return;
  try {
    lease.Exec(db::support::kIdempotencyPurge);
  } catch (const pg::Error& e) {
    server::request_log::Warn("Purging expired idempotency keys failed", {{"sqlstate", e.sqlstate()}});
  }
}

// Rolls back a transaction begun through Lease::ExecPipeline unless Done() was called
// (pg::Transaction sends its own BEGIN, which would cost the round trip we save).
class OpenTransaction {
 public:
  explicit OpenTransaction(db::Pool::Lease& lease) : lease_(lease) {}
  ~OpenTransaction() {
    if (done_) return;
    try {
      if (lease_.conn().IsOpen() && lease_.conn().TransactionStatus() != PQTRANS_IDLE) lease_.ExecRaw("ROLLBACK");
    } catch (...) {  // a broken connection has nothing left to roll back; the pool drops it
    }
  }
  OpenTransaction(const OpenTransaction&) = delete;
  OpenTransaction& operator=(const OpenTransaction&) = delete;
  void Done() { done_ = true; }

 private:
  db::Pool::Lease& lease_;
  bool done_ = false;
};

bool ValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> ParsePositive(std::string_view text) {
  if (text.empty() || text.size() > 18 || text[0] == '0') return std::nullopt;
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::int64_t PathId(const server::Request& req, const std::string& name) {
  auto id = ParsePositive(req.PathParam(name));
  if (!id) throw server::NotFound("no such resource");
  return *id;
}

std::int64_t CurrentUserId(const server::Request& req) {
  auto id = ParsePositive(req.User().sub);
  if (!id) throw server::Unauthorized("token subject is not a user id");
  return *id;
}

db::Pool::Lease Acquire(Domain& d, const server::Request& req) {
  auto left = req.TimeLeft();
  if (left.count() <= 0) throw server::ServiceUnavailable("request deadline exceeded");
  return d.pool->Acquire(std::min(left, d.pool->acquire_timeout()));
}

void Audit(db::Pool::Lease& lease, const server::Request& req, std::string_view action,
           std::string_view entity, std::string_view entity_id, const json& details,
           std::optional<std::int64_t> actor) {
  pg::Param user = std::nullopt;
  if (actor) user = *actor;
  else if (req.principal) user = req.principal->sub;
  lease.Exec(db::support::kAudit,
             {user, action, entity, entity_id, req.request_id, details.dump()});
}

std::exception_ptr MapDbError(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const db::PoolExhausted&) {
    return std::make_exception_ptr(
        server::ServiceUnavailable("no database connection available, retry later").WithHeader("Retry-After", "1"));
  } catch (const db::DatabaseUnavailable&) {
    return std::make_exception_ptr(
        server::ServiceUnavailable("database unavailable, retry later").WithHeader("Retry-After", "2"));
  } catch (const pg::ConnectionError&) {
    return std::make_exception_ptr(
        server::ServiceUnavailable("database connection lost, retry later").WithHeader("Retry-After", "1"));
  } catch (const pg::QueryCanceled&) {
    return std::make_exception_ptr(
        server::ServiceUnavailable("database statement timed out").WithHeader("Retry-After", "1"));
  } catch (const pg::TransactionRollback&) {
    return std::make_exception_ptr(
        server::ServiceUnavailable("database contention, retry later").WithHeader("Retry-After", "1"));
  } catch (...) {
    return std::current_exception();
  }
}

server::Handler WithDbErrors(server::Handler handler) {
  return [handler = std::move(handler)](server::Request& req) -> server::Response {
    for (int attempt = 0;; ++attempt) {
      try {
        return handler(req);
      } catch (const pg::TransactionRollback& e) {
        // Serialization failure / deadlock: the whole transaction was rolled back, so
        // running the handler again is safe.
        if (attempt < 2 && !req.DeadlineExpired()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5 * (attempt + 1)));
          continue;
        }
        log::Warn("Transaction retries exhausted",
                  {{"sqlstate", e.sqlstate()}, {"request_id", req.request_id}});
        std::rethrow_exception(MapDbError(std::current_exception()));
      } catch (...) {
        std::rethrow_exception(MapDbError(std::current_exception()));
      }
    }
  };
}

server::Handler DomainHandler(Domain& d, server::Response (*fn)(Domain&, server::Request&)) {
  return WithDbErrors([&d, fn](server::Request& req) { return fn(d, req); });
}

void RegisterCrudRoutes(server::Router& router, Domain& d, const std::string& base, const CrudHandlers& fns,
                        const server::RouteOptions& writers) {
  router.Post(base, DomainHandler(d, fns.create), server::RouteOptions(writers).Json());
  router.Get(base, DomainHandler(d, fns.list), {});
  router.Get(base + "/{id}", DomainHandler(d, fns.get), server::RouteOptions().Async(fns.get_async));
  router.Patch(base + "/{id}", DomainHandler(d, fns.update), server::RouteOptions(writers).Json());
  router.Delete(base + "/{id}", DomainHandler(d, fns.remove), writers);
}

server::Response RunWrite(Domain& d, server::Request& req, const json& canonical_body,
                          const std::function<server::Response(db::Pool::Lease&)>& effect) {
  auto key = req.Header("idempotency-key");
  if (key && !ValidIdempotencyKey(*key)) {
    throw server::ValidationFailed(
        {{"Idempotency-Key", "must be 1 to 255 printable ASCII characters"}});
  }
  auto lease = Acquire(d, req);
  if (!key) {
    pg::Transaction tx(lease.conn());
    server::Response resp = effect(lease);
    tx.Commit();
    return resp;
  }

  const std::string scope = req.principal ? "user:" + req.principal->sub : "anonymous";
  const std::string fingerprint = req.method + '\n' + req.path + '\n' + canonical_body.dump();
  const std::string hash = "\\x" + auth::HexEncode(auth::Sha256(fingerprint));
  const std::string key_text(*key);

  // BEGIN and the claim of the key travel together (one round trip), as do the stored
  // response and COMMIT at the end: 4 round trips for an idempotent order instead of 6.
  OpenTransaction tx(lease);
  auto begun = lease.ExecPipeline({{nullptr, "BEGIN", {}},
                                   {&db::support::kIdempotencyClaim, {}, {scope, key_text, hash}}});
  if (begun[1].empty()) {
    pg::Result stored = lease.Exec(db::support::kIdempotencyGet, {scope, key_text});
    if (stored.empty()) {
      // Claimed by a transaction that rolled back between our INSERT and SELECT: rare;
      // the client can simply retry.
      throw server::Conflict("idempotency_key_in_use", "the idempotency key is being processed, retry");
    }
    if (stored.Value(0, 0) != hash) {
      throw server::HttpError(422, "idempotency_key_reused", "Idempotency key reused",
                              "this Idempotency-Key was used with a different request");
    }
    server::Response replay;
    replay.status = static_cast<int>(stored.Int64(0, 1));
    replay.body = std::string(stored.Value(0, 2));
    json meta = json::parse(stored.Value(0, 3));
    replay.content_type = meta.value("content_type", "application/json");
    for (const auto& h : meta.value("headers", json::array())) {
      replay.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    }
    replay.headers.emplace_back("Idempotent-Replayed", "true");
    lease.ExecRaw("COMMIT");
    tx.Done();
    return replay;
  }

  server::Response resp = effect(lease);
  if (resp.status >= 200 && resp.status < 300) {
    json headers = json::array();
    for (const auto& [name, value] : resp.headers) headers.push_back({name, value});
    json meta = {{"content_type", resp.content_type}, {"headers", headers}};
    lease.ExecPipeline({{&db::support::kIdempotencyStore, {}, {scope, key_text, resp.status, resp.body, meta.dump()}},
                        {nullptr, "COMMIT", {}}});
    tx.Done();
    MaybePurgeIdempotencyKeys(lease);
  }
  // A non-2xx response returned (not thrown) by an effect is not stored: the transaction
  // rolls back and releases the key, like a thrown error.
  return resp;
}

std::optional<bool> QueryBool(const server::Request& req, std::string_view name,
                              std::vector<server::FieldError>& errors) {
  auto v = req.Query(name);
  if (!v) return std::nullopt;
  if (*v == "true") return true;
  if (*v == "false") return false;
  errors.push_back({std::string(name), "must be true or false"});
  return std::nullopt;
}

std::string ContainsPattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

}  // namespace tenant::api::handlers
