#include "runtime/handlers/customers.hpp"

#include "common/pg/error.hpp"
#include "common/pg/transaction.hpp"
#include "runtime/db/customer_queries.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
namespace q = db::customers;

const server::StringRule kName{1, 200};
const server::StringRule kEmail{3, 254};
const server::StringRule kPhone{1, 40};
const server::StringRule kAddress{1, 1000};

json Nullable(const pg::Result& r, int row, const char* col) {
  auto v = r.Optional(row, col);
  return v ? json(*v) : json(nullptr);
}

json CustomerJson(const pg::Result& r, int row) {
  return {{"id", r.Int64(row, "id")},
          {"name", r.Value(row, "name")},
          {"email", Nullable(r, row, "email")},
          {"phone", Nullable(r, row, "phone")},
          {"address", Nullable(r, row, "address")},
          {"version", r.Int64(row, "version")},
          {"created_at", r.Value(row, "created_at")},
          {"updated_at", r.Value(row, "updated_at")}};
}

server::Response WithETag(int status, const pg::Result& r) {
  auto resp = server::Response::Json(status, CustomerJson(r, 0));
  resp.SetHeader("ETag", ETag(r.Int64(0, "version")));
  return resp;
}

void CheckEmail(server::JsonObject& in, const std::optional<std::string>& email) {
  // Deliberately loose: one '@' with text on both sides; real validation is a mail loop.
  if (email) {
    auto at = email->find('@');
    if (at == std::string::npos || at == 0 || at + 1 == email->size() ||
        email->find('@', at + 1) != std::string::npos) {
      in.AddError("email", "must be an e-mail address");
    }
  }
}

server::HttpError EmailTaken() {
  return server::HttpError(409, "duplicate_email", "Duplicate e-mail",
                           "a customer with this e-mail already exists",
                           {{"email", "already exists"}});
}

// A nullable string field of a PATCH: absent (no change), null (clear) or a value.
struct NullableField {
  bool present = false;
  std::optional<std::string> value;
};

NullableField ReadNullable(server::JsonObject& in, const json& body, const std::string& name,
                           server::StringRule rule) {
  NullableField f;
  auto it = body.find(name);
  if (it == body.end()) return f;
  f.present = true;
  if (it->is_null()) {
    in.OptionalString(name, rule);  // marks the field known; null is not an error below
    return f;
  }
  f.value = in.OptionalString(name, rule);
  return f;
}

pg::Param ToParam(const std::optional<std::string>& v) {
  if (v) return pg::Param(*v);
  return pg::Param(std::nullopt);
}

server::Response Create(Domain& d, server::Request& req) {
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto name = in.RequiredString("name", kName);
  auto email = in.OptionalString("email", kEmail);
  auto phone = in.OptionalString("phone", kPhone);
  auto address = in.OptionalString("address", kAddress);
  CheckEmail(in, email);
  in.Finish();

  return RunWrite(d, req, body, [&](db::Pool::Lease& lease) {
    pg::Result r;
    try {
      r = lease.Exec(q::kInsert, {*name, ToParam(email), ToParam(phone), ToParam(address)});
    } catch (const pg::UniqueViolation&) {
      throw EmailTaken();
    }
    const std::string id = std::to_string(r.Int64(0, "id"));
    Audit(lease, req, "create", "customer", id);
    auto resp = WithETag(201, r);
    resp.SetHeader("Location", "/api/v1/customers/" + id);
    return resp;
  });
}

server::Response Get(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kGet, {id});
  if (r.empty()) throw server::NotFound("customer not found");
  return WithETag(200, r);
}

server::Response List(Domain& d, server::Request& req) {
  auto page = ParsePage(req);
  pg::Param name = std::nullopt, email = std::nullopt;
  if (auto v = req.Query("q")) {
    if (v->size() > 200) throw server::ValidationFailed({{"q", "must be at most 200 characters"}});
    name = ContainsPattern(*v);
  }
  if (auto v = req.Query("email")) email = *v;
  auto lease = Acquire(d, req);
  pg::Result r = lease.Exec(q::kList, {page.after_id, page.limit + 1, name, email});
  json items = json::array();
  const int shown = std::min(r.rows(), page.limit);
  for (int i = 0; i < shown; ++i) items.push_back(CustomerJson(r, i));
  const std::int64_t last = shown > 0 ? r.Int64(shown - 1, "id") : 0;
  return server::Response::Json(200, PageBody(std::move(items), r.rows() > page.limit, last));
}

[[noreturn]] void MissOrConflict(db::Pool::Lease& lease, std::int64_t id) {
  if (lease.Exec(q::kExists, {id}).empty()) throw server::NotFound("customer not found");
  throw server::PreconditionFailed("the customer was modified; fetch it again for the current ETag");
}

server::Response Update(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  const IfMatch if_match = ParseIfMatch(req.Header("if-match"));
  if (!if_match.present) {
    throw server::HttpError(428, "precondition_required", "Precondition required",
                            "send If-Match with the ETag from your last read");
  }
  json body = server::ParseJsonBody(req);
  server::JsonObject in(body);
  auto name = in.OptionalString("name", kName);
  NullableField email, phone, address;
  if (body.is_object()) {
    email = ReadNullable(in, body, "email", kEmail);
    phone = ReadNullable(in, body, "phone", kPhone);
    address = ReadNullable(in, body, "address", kAddress);
  }
  CheckEmail(in, email.value);
  in.Finish();

  pg::Param expected = std::nullopt;
  if (auto v = ExpectedVersion(if_match)) expected = *v;
  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  pg::Result r;
  try {
    r = lease.Exec(q::kUpdate, {id, expected, name.has_value(), ToParam(name), email.present,
                                ToParam(email.value), phone.present, ToParam(phone.value),
                                address.present, ToParam(address.value)});
  } catch (const pg::UniqueViolation&) {
    throw EmailTaken();
  }
  if (r.empty()) MissOrConflict(lease, id);
  Audit(lease, req, "update", "customer", std::to_string(id));
  tx.Commit();
  return WithETag(200, r);
}

server::Response Delete(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  pg::Param expected = std::nullopt;
  if (auto v = ExpectedVersion(ParseIfMatch(req.Header("if-match")))) expected = *v;
  auto lease = Acquire(d, req);
  pg::Transaction tx(lease.conn());
  pg::Result r;
  try {
    r = lease.Exec(q::kDelete, {id, expected});
  } catch (const pg::ForeignKeyViolation&) {
    throw server::Conflict("customer_in_use", "the customer has orders and cannot be deleted");
  }
  if (r.empty()) MissOrConflict(lease, id);
  Audit(lease, req, "delete", "customer", std::to_string(id));
  tx.Commit();
  return server::Response::NoContent();
}

}  // namespace

void RegisterCustomerRoutes(server::Router& router, Domain& d) {
  const auto writers = server::RouteOptions::Roles({"admin", "manager"});
  auto bind = [&d](server::Response (*fn)(Domain&, server::Request&)) {
    return WithDbErrors([&d, fn](server::Request& req) { return fn(d, req); });
  };
  router.Post("/api/v1/customers", bind(Create), server::RouteOptions(writers).Json());
  router.Get("/api/v1/customers", bind(List), {});
  router.Get("/api/v1/customers/{id}", bind(Get), {});
  router.Patch("/api/v1/customers/{id}", bind(Update), server::RouteOptions(writers).Json());
  router.Delete("/api/v1/customers/{id}", bind(Delete), writers);
}

}  // namespace tenant::api::handlers
