// OpenAPI 3.1 paths and schemas of the /api/v1 endpoints. Kept next to the handlers and
// checked by tests against real responses, so the document cannot drift silently.
#include "runtime/handlers/pagination.hpp"
#include "runtime/handlers/routes.hpp"

namespace tenant::api::handlers {
namespace {

using nlohmann::json;
using openapi::Document;

json Str(int min_len, int max_len) {
  return {{"type", "string"}, {"minLength", min_len}, {"maxLength", max_len}};
}
json Int(std::int64_t min) { return {{"type", "integer"}, {"format", "int64"}, {"minimum", min}}; }
json NullableStr() { return {{"type", {"string", "null"}}}; }
const json kTimestamp = {{"type", "string"}, {"format", "date-time"}};
const json kCurrency = {{"type", "string"}, {"pattern", "^[A-Z]{3}$"},
                        {"description", "ISO 4217 alphabetic code"}};

json Object(json properties, json required, bool closed = true) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
  if (closed) o["additionalProperties"] = false;
  return o;
}

json PageOf(const std::string& schema) {
  return Object({{"items", {{"type", "array"}, {"items", Document::Ref(schema)}}},
                 {"next_cursor", {{"type", {"string", "null"}},
                                  {"description", "pass as ?cursor= for the next page; null on the last"}}}},
                {"items", "next_cursor"});
}

json Param(const std::string& name, const std::string& in, json schema, bool required = false,
           const std::string& description = {}) {
  json p = {{"name", name}, {"in", in}, {"required", required}, {"schema", std::move(schema)}};
  if (!description.empty()) p["description"] = description;
  return p;
}

const json kIdParam = Param("id", "path", Int(1), true);
const json kIdempotencyKey =
    Param("Idempotency-Key", "header", Str(1, 255), false,
          "retrying with the same key and body returns the original response without repeating "
          "the effect (Idempotent-Replayed: true); the same key with another body gives 422");
const json kIfMatchRequired = Param("If-Match", "header", {{"type", "string"}}, true,
                                    "the ETag of the last read; 412 when the resource changed");
const json kIfMatchOptional = Param("If-Match", "header", {{"type", "string"}}, false,
                                    "the ETag of the last read; 412 when the resource changed");

json PageParams() {
  return json::array({Param("cursor", "query", {{"type", "string"}}, false, "opaque cursor from next_cursor"),
                      Param("limit", "query",
                            {{"type", "integer"}, {"minimum", 1}, {"maximum", kMaxPageLimit},
                             {"default", kDefaultPageLimit}})});
}

json Ok(const std::string& description, const json& schema, bool etag = false) {
  json r = {{"description", description}, {"content", Document::JsonContent(schema)}};
  if (etag) r["headers"] = {{"ETag", {{"schema", {{"type", "string"}}}}}};
  return r;
}

json Errors(std::initializer_list<std::string_view> names) {
  json out = json::object();
  static const std::map<std::string_view, std::string> kCodes = {
      {"Problem", "400"},           {"Unauthorized", "401"},     {"Forbidden", "403"},
      {"NotFound", "404"},          {"Conflict", "409"},         {"PreconditionFailed", "412"},
      {"ValidationError", "422"},   {"TooManyRequests", "429"},  {"ServiceUnavailable", "503"}};
  for (auto n : names) out[kCodes.at(n)] = Document::ErrorResponse(n);
  return out;
}

json Op(const std::string& id, const std::string& summary, const std::string& tag, json responses,
        json parameters = json::array(), const json* body_schema = nullptr, bool anonymous = false) {
  json op = {{"operationId", id}, {"summary", summary}, {"tags", {tag}}, {"responses", std::move(responses)}};
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  if (body_schema != nullptr) {
    op["requestBody"] = {{"required", true}, {"content", Document::JsonContent(*body_schema)}};
  }
  if (anonymous) op["security"] = json::array();
  return op;
}

void Merge(json& into, const json& more) {
  for (auto it = more.begin(); it != more.end(); ++it) into[it.key()] = it.value();
}

void Schemas(Document& doc) {
  doc.AddSchema("TokenRequest", Object({{"username", Str(1, 256)}, {"password", Str(1, 1024)}},
                                       {"username", "password"}));
  doc.AddSchema("RefreshRequest", Object({{"refresh_token", Str(1, 256)}}, {"refresh_token"}));
  doc.AddSchema("TokenResponse",
                Object({{"access_token", {{"type", "string"}}},
                        {"token_type", {{"const", "Bearer"}}},
                        {"expires_in", {{"type", "integer"}}},
                        {"refresh_token", {{"type", "string"}}},
                        {"refresh_expires_in", {{"type", "integer"}}},
                        {"role", {{"enum", {"admin", "manager", "clerk"}}}}},
                       {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in", "role"}));
  const json role = {{"enum", {"admin", "manager", "clerk"}}};
  doc.AddSchema("User", Object({{"id", Int(1)}, {"username", {{"type", "string"}}}, {"role", role},
                                {"active", {{"type", "boolean"}}}, {"version", Int(1)},
                                {"created_at", kTimestamp}, {"updated_at", kTimestamp}},
                               {"id", "username", "role", "active", "version", "created_at", "updated_at"}));
  doc.AddSchema("UserCreate", Object({{"username", {{"type", "string"}, {"pattern", "^[A-Za-z0-9._@-]{1,64}$"}}},
                                      {"password", Str(12, 72)}, {"role", role}},
                                     {"username", "password", "role"}));
  doc.AddSchema("PasswordChange", Object({{"password", Str(12, 72)}}, {"password"}));
  doc.AddSchema("UserPage", PageOf("User"));

  doc.AddSchema("Customer", Object({{"id", Int(1)}, {"name", {{"type", "string"}}},
                                    {"email", NullableStr()}, {"phone", NullableStr()},
                                    {"address", NullableStr()}, {"version", Int(1)},
                                    {"created_at", kTimestamp}, {"updated_at", kTimestamp}},
                                   {"id", "name", "email", "phone", "address", "version", "created_at", "updated_at"}));
  doc.AddSchema("CustomerCreate", Object({{"name", Str(1, 200)}, {"email", Str(3, 254)},
                                          {"phone", Str(1, 40)}, {"address", Str(1, 1000)}},
                                         {"name"}));
  doc.AddSchema("CustomerUpdate",
                Object({{"name", Str(1, 200)},
                        {"email", {{"type", {"string", "null"}}, {"maxLength", 254}}},
                        {"phone", {{"type", {"string", "null"}}, {"maxLength", 40}}},
                        {"address", {{"type", {"string", "null"}}, {"maxLength", 1000}}}},
                       json::array()));
  doc.AddSchema("CustomerPage", PageOf("Customer"));

  const json sku = {{"type", "string"}, {"pattern", "^[A-Za-z0-9._-]{1,64}$"}};
  const json money = {{"type", "integer"}, {"format", "int64"}, {"minimum", 0},
                      {"description", "amount in minor units of currency (cents), never fractional"}};
  doc.AddSchema("Product",
                Object({{"id", Int(1)}, {"sku", sku}, {"name", {{"type", "string"}}},
                        {"description", {{"type", "string"}}}, {"unit_price_minor", money},
                        {"currency", kCurrency}, {"stock_quantity", Int(0)},
                        {"active", {{"type", "boolean"}}}, {"version", Int(1)},
                        {"created_at", kTimestamp}, {"updated_at", kTimestamp}},
                       {"id", "sku", "name", "description", "unit_price_minor", "currency",
                        "stock_quantity", "active", "version", "created_at", "updated_at"}));
  const json product_fields = {{"sku", sku}, {"name", Str(1, 200)}, {"description", Str(0, 4000)},
                               {"unit_price_minor", money}, {"currency", kCurrency},
                               {"stock_quantity", Int(0)}, {"active", {{"type", "boolean"}}}};
  doc.AddSchema("ProductCreate", Object(product_fields, {"sku", "name", "unit_price_minor", "currency"}));
  doc.AddSchema("ProductUpdate", Object(product_fields, json::array()));
  doc.AddSchema("ProductPage", PageOf("Product"));

  doc.AddSchema("OrderLine", Object({{"line_no", Int(1)}, {"product_id", Int(1)}, {"quantity", Int(1)},
                                     {"unit_price_minor", money}, {"line_total_minor", money}},
                                    {"line_no", "product_id", "quantity", "unit_price_minor", "line_total_minor"}));
  doc.AddSchema("Order",
                Object({{"id", Int(1)}, {"customer_id", {{"type", {"integer", "null"}}}},
                        {"status", {{"enum", {"confirmed", "cancelled", "shipped"}}}},
                        {"total_minor", money}, {"currency", kCurrency},
                        {"created_by", {{"type", {"integer", "null"}}}}, {"version", Int(1)},
                        {"created_at", kTimestamp}, {"updated_at", kTimestamp},
                        {"lines", {{"type", "array"}, {"items", Document::Ref("OrderLine")}}}},
                       {"id", "customer_id", "status", "total_minor", "currency", "created_by",
                        "version", "created_at", "updated_at", "lines"}));
  doc.AddSchema("OrderCreate",
                Object({{"customer_id", Int(1)},
                        {"lines", {{"type", "array"}, {"minItems", 1}, {"maxItems", 100},
                                   {"items", Object({{"product_id", Int(1)},
                                                     {"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}}},
                                                    {"product_id", "quantity"})}}}},
                       {"lines"}));
  doc.AddSchema("OrderPage", PageOf("Order"));
}

// Create / list / get / update / delete of one catalogue resource.
void Crud(Document& doc, const std::string& plural, const std::string& schema, const std::string& tag,
          json list_filters) {
  const std::string base = "/api/v1/" + plural;
  const json create = Document::Ref(schema + "Create");
  const json update = Document::Ref(schema + "Update");
  json created = {{"201", Ok(schema + " created", Document::Ref(schema), true)}};
  Merge(created, Errors({"Problem", "Unauthorized", "Forbidden", "Conflict", "ValidationError",
                         "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("POST", base, Op("create" + schema, "Create a " + tag, tag, created,
                                    json::array({kIdempotencyKey}), &create));
  json params = PageParams();
  for (auto& f : list_filters) params.push_back(f);
  json listed = {{"200", Ok("A page", Document::Ref(schema + "Page"))}};
  Merge(listed, Errors({"Unauthorized", "Forbidden", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", base, Op("list" + schema + "s", "List " + plural, tag, listed, params));
  json got = {{"200", Ok("The " + tag, Document::Ref(schema), true)}};
  Merge(got, Errors({"Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", base + "/{id}", Op("get" + schema, "Get a " + tag, tag, got, json::array({kIdParam})));
  json updated = {{"200", Ok("Updated", Document::Ref(schema), true)},
                  {"428", {{"description", "If-Match missing"},
                           {"content", {{"application/problem+json", {{"schema", Document::Ref("Problem")}}}}}}}};
  Merge(updated, Errors({"Problem", "Unauthorized", "Forbidden", "NotFound", "Conflict",
                         "PreconditionFailed", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("PATCH", base + "/{id}",
                   Op("update" + schema, "Update a " + tag + " (partial)", tag, updated,
                      json::array({kIdParam, kIfMatchRequired}), &update));
  json deleted = {{"204", {{"description", "Deleted"}}}};
  Merge(deleted, Errors({"Unauthorized", "Forbidden", "NotFound", "Conflict", "PreconditionFailed",
                         "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("DELETE", base + "/{id}", Op("delete" + schema, "Delete a " + tag, tag, deleted,
                                                json::array({kIdParam, kIfMatchOptional})));
}

}  // namespace

void DescribeApi(Document& doc) {
  Schemas(doc);
  const json token_req = Document::Ref("TokenRequest");
  const json refresh_req = Document::Ref("RefreshRequest");
  json tokens = {{"200", Ok("Access and refresh tokens", Document::Ref("TokenResponse"))}};
  Merge(tokens, Errors({"Problem", "Unauthorized", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("POST", "/api/v1/auth/token",
                   Op("login", "Log in with username and password", "auth", tokens, json::array(), &token_req, true));
  doc.AddOperation("POST", "/api/v1/auth/refresh",
                   Op("refresh", "Rotate a refresh token (single use; reuse revokes the family)", "auth",
                      tokens, json::array(), &refresh_req, true));
  json logout = {{"204", {{"description", "Logged out (also for unknown tokens)"}}}};
  Merge(logout, Errors({"Problem", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("POST", "/api/v1/auth/logout",
                   Op("logout", "Revoke a refresh token and its family", "auth", logout, json::array(),
                      &refresh_req, true));

  // users
  const json user_create = Document::Ref("UserCreate");
  const json password = Document::Ref("PasswordChange");
  json user_created = {{"201", Ok("User created", Document::Ref("User"), true)}};
  Merge(user_created, Errors({"Problem", "Unauthorized", "Forbidden", "Conflict", "ValidationError",
                              "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("POST", "/api/v1/users", Op("createUser", "Create a user (admin)", "users", user_created,
                                               json::array({kIdempotencyKey}), &user_create));
  json user_params = PageParams();
  user_params.push_back(Param("role", "query", {{"enum", {"admin", "manager", "clerk"}}}));
  user_params.push_back(Param("active", "query", {{"type", "boolean"}}));
  json users = {{"200", Ok("A page", Document::Ref("UserPage"))}};
  Merge(users, Errors({"Unauthorized", "Forbidden", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", "/api/v1/users", Op("listUsers", "List users (admin)", "users", users, user_params));
  json user = {{"200", Ok("The user", Document::Ref("User"), true)}};
  Merge(user, Errors({"Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", "/api/v1/users/{id}", Op("getUser", "Get a user (admin)", "users", user,
                                                    json::array({kIdParam})));
  json deact = user;
  Merge(deact, Errors({"Conflict"}));
  doc.AddOperation("POST", "/api/v1/users/{id}/deactivate",
                   Op("deactivateUser", "Deactivate a user and revoke their refresh tokens (admin)", "users",
                      deact, json::array({kIdParam, kIdempotencyKey})));
  json changed = {{"204", {{"description", "Password changed; refresh tokens revoked"}}}};
  Merge(changed, Errors({"Problem", "Unauthorized", "Forbidden", "NotFound", "ValidationError",
                         "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("POST", "/api/v1/users/{id}/password",
                   Op("changePassword", "Set a user's password (admin)", "users", changed,
                      json::array({kIdParam, kIdempotencyKey}), &password));

  Crud(doc, "customers", "Customer", "customer",
       json::array({Param("q", "query", Str(0, 200), false, "name contains (case-insensitive)"),
                    Param("email", "query", {{"type", "string"}})}));
  Crud(doc, "products", "Product", "product",
       json::array({Param("q", "query", Str(0, 200), false, "name contains (case-insensitive)"),
                    Param("sku", "query", {{"type", "string"}}),
                    Param("active", "query", {{"type", "boolean"}}),
                    Param("currency", "query", kCurrency)}));

  // orders
  const json order_create = Document::Ref("OrderCreate");
  json order_created = {{"201", Ok("Order confirmed; stock taken", Document::Ref("Order"), true)}};
  Merge(order_created, Errors({"Problem", "Unauthorized", "Forbidden", "Conflict", "ValidationError",
                               "TooManyRequests", "ServiceUnavailable"}));
  order_created["409"] = {
      {"description", "insufficient_stock: the problem's `products` lists product_id, sku, requested, available"},
      {"content", {{"application/problem+json", {{"schema", Document::Ref("Problem")}}}}}};
  doc.AddOperation("POST", "/api/v1/orders",
                   Op("createOrder", "Place an order (stock checked and taken atomically)", "orders",
                      order_created, json::array({kIdempotencyKey}), &order_create));
  json order_params = PageParams();
  order_params.push_back(Param("status", "query", {{"enum", {"confirmed", "cancelled", "shipped"}}}));
  order_params.push_back(Param("customer_id", "query", Int(1)));
  json orders = {{"200", Ok("A page", Document::Ref("OrderPage"))}};
  Merge(orders, Errors({"Unauthorized", "Forbidden", "ValidationError", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", "/api/v1/orders", Op("listOrders", "List orders", "orders", orders, order_params));
  json order = {{"200", Ok("The order", Document::Ref("Order"), true)}};
  Merge(order, Errors({"Unauthorized", "Forbidden", "NotFound", "TooManyRequests", "ServiceUnavailable"}));
  doc.AddOperation("GET", "/api/v1/orders/{id}", Op("getOrder", "Get an order", "orders", order,
                                                     json::array({kIdParam})));
  json transition = order;
  Merge(transition, Errors({"Conflict"}));
  doc.AddOperation("POST", "/api/v1/orders/{id}/cancel",
                   Op("cancelOrder", "Cancel a confirmed order (stock restored)", "orders", transition,
                      json::array({kIdParam, kIdempotencyKey})));
  doc.AddOperation("POST", "/api/v1/orders/{id}/ship",
                   Op("shipOrder", "Ship a confirmed order", "orders", transition,
                      json::array({kIdParam, kIdempotencyKey})));
}

}  // namespace tenant::api::handlers
