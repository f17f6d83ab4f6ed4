#include "runtime/handlers/customers.hpp"

#include "common/pg/error.hpp"
#include "runtime/db/customer_queries.hpp"
#include "runtime/handlers/page.hpp"
#include "runtime/handlers/support.hpp"
#include "runtime/handlers/versioned.hpp"
#include "runtime/server/json_body.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
namespace q = db::customers;

const server::StringRule kName{1, 200};
const server::StringRule kEmail{3, 254};
const server::StringRule kPhone{1, 40};
const server::StringRule kAddress{1, 1000};
const VersionedTable kTable{q::kExists, "customer"};

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
  return JsonWithETag(status, CustomerJson(r, 0), r.Int64(0, "version"));
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
    return Created(lease, req, "customer", "/api/v1/customers", r, CustomerJson);
  });
}

server::Response Get(Domain& d, server::Request& req) {
  return GetVersioned(d, req, q::kGet, "customer", CustomerJson);
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
  return PageResponse(ToPage(r, page, CustomerJson));
}

server::Response Update(Domain& d, server::Request& req) {
  const auto id = PathId(req);
  const pg::Param expected = ExpectedVersionParam(RequireIfMatch(req));
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

  pg::Result r = GuardedWrite(d, req, kTable, id, "update", json::object(), [&](db::Pool::Lease& lease) {
    try {
      return lease.Exec(q::kUpdate, {id, expected, name.has_value(), ToParam(name), email.present,
                                     ToParam(email.value), phone.present, ToParam(phone.value),
                                     address.present, ToParam(address.value)});
    } catch (const pg::UniqueViolation&) {
      throw EmailTaken();
    }
  });
  return WithETag(200, r);
}

server::Response Delete(Domain& d, server::Request& req) {
  return DeleteVersioned(d, req, kTable, q::kDelete,
                         server::Conflict("customer_in_use", "the customer has orders and cannot be deleted"));
}

}  // namespace

void RegisterCustomerRoutes(server::Router& router, Domain& d) {
  RegisterCrudRoutes(router, d, "/api/v1/customers",
                     {Create, List, Get, Update, Delete, GetVersionedAsync(d, q::kGet, "customer", CustomerJson)},
                     server::RouteOptions::Roles({"admin", "manager"}));
}

}  // namespace tenant::api::handlers
