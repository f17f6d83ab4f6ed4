#pragma once
// OpenAPI 3.1 document builder served at /openapi.json. The server registers its own
// endpoints (health, metrics, openapi) and the shared components (Problem, ValidationProblem,
// error responses, bearer security scheme); the domain side adds its paths and schemas.
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tenant::api::openapi {

class Document {
 public:
  Document(std::string title, std::string version);

  // Adds one operation: paths[path][lower(method)] = operation. `path` uses the same
  // template syntax as the router ("/api/v1/products/{id}"). Throws std::invalid_argument on
  // a duplicate. If `operation` has no "responses", standard error responses are added.
  void AddOperation(std::string_view method, std::string_view path, nlohmann::json operation);
  // components.schemas[name] = schema (JSON Schema 2020-12 as OpenAPI 3.1 uses).
  void AddSchema(const std::string& name, nlohmann::json schema);

  // Helpers producing JSON fragments.
  static nlohmann::json Ref(std::string_view schema_name);  // {"$ref": "#/components/schemas/X"}
  // {"$ref": "#/components/responses/<Name>"} for Problem, ValidationError, Unauthorized,
  // Forbidden, NotFound, Conflict, PreconditionFailed, TooManyRequests, ServiceUnavailable.
  static nlohmann::json ErrorResponse(std::string_view name);
  static nlohmann::json JsonContent(const nlohmann::json& schema);  // {"application/json": {"schema": ...}}

  nlohmann::json ToJson() const;
  std::string Serialized() const;  // cached text, rebuilt when changed

 private:
  mutable std::mutex mu_;
  nlohmann::json doc_;
  mutable std::string cache_;
  mutable bool dirty_ = true;
};

}  // namespace tenant::api::openapi
