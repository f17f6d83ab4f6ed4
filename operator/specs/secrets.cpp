#include "operator/specs/secrets.hpp"

#include "operator/api/names.hpp"
#include "operator/specs/encoding.hpp"
#include "operator/specs/metadata.hpp"

namespace tenant::specs {

using nlohmann::json;

namespace {

std::string HostForUri(const std::string& host) {
  // IPv6 literals need brackets in URIs.
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// .pgpass fields escape ':' and '\' with a backslash.
std::string PgpassField(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == ':' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

json SecretObject(const api::Tenant& t, const std::string& name, const std::map<std::string, std::string>& data) {
  json d = json::object();
  for (const auto& [k, v] : data) d[k] = Base64Encode(v);
  return json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", ObjectMeta(t, name)}, {"type", "Opaque"}, {"data", d}};
}

}  // namespace

std::string CredentialsVersion(const std::string& username, const std::string& password) {
  return Sha256Hex(username + ":" + password).substr(0, 16);
}

std::map<std::string, std::string> DbSecretData(const DbConnection& c) {
  const std::string port = std::to_string(c.port);
  std::map<std::string, std::string> d;
  d["host"] = c.host;
  d["port"] = port;
  d["dbname"] = c.dbname;
  d["database"] = c.dbname;
  d["username"] = c.username;
  d["user"] = c.username;
  d["password"] = c.password;
  d["sslmode"] = c.sslmode;
  d["uri"] = "postgresql://" + PercentEncode(c.username) + ":" + PercentEncode(c.password) + "@" + HostForUri(c.host) +
             ":" + port + "/" + PercentEncode(c.dbname) + "?sslmode=" + c.sslmode;
  d["jdbc-uri"] = "jdbc:postgresql://" + HostForUri(c.host) + ":" + port + "/" + PercentEncode(c.dbname) +
                  "?user=" + PercentEncode(c.username) + "&password=" + PercentEncode(c.password) +
                  "&sslmode=" + c.sslmode;
  d["pgpass"] = PgpassField(c.host) + ":" + port + ":" + PgpassField(c.dbname) + ":" + PgpassField(c.username) + ":" +
                PgpassField(c.password) + "\n";
  d["type"] = "postgresql";
  d["provider"] = "tenant-operator";
  if (!c.ca_pem.empty()) d["ca.crt"] = c.ca_pem;
  return d;
}

json BuildDbSecret(const api::Tenant& t, const DbConnection& c, const CredentialsState& state) {
  json s = SecretObject(t, api::DbSecretName(t.metadata.name), DbSecretData(c));
  json ann = json::object();
  ann[std::string(api::kCredentialsVersionAnnotation)] = CredentialsVersion(c.username, c.password);
  if (!state.rotated_at.empty()) ann[std::string(api::kRotatedAtAnnotation)] = state.rotated_at;
  if (!state.retiring_role.empty()) ann[std::string(api::kRetiringRoleAnnotation)] = state.retiring_role;
  if (!state.rotation_request.empty()) ann[std::string(api::kRotationRequestAnnotation)] = state.rotation_request;
  s["metadata"]["annotations"] = ann;
  return s;
}

json BuildApiSecret(const api::Tenant& t, const std::string& jwt_signing_key) {
  return SecretObject(t, api::ApiSecretName(t.metadata.name), {{kJwtKey, jwt_signing_key}});
}

json BuildAdminSecret(const api::Tenant& t, const std::string& username, const std::string& password) {
  return SecretObject(t, api::AdminSecretName(t.metadata.name), {{"username", username}, {"password", password}});
}

std::map<std::string, std::string> DecodeSecretData(const json& secret) {
  std::map<std::string, std::string> out;
  auto it = secret.find("data");
  if (it == secret.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) continue;
    if (auto decoded = Base64Decode(v.get<std::string>())) out[k] = *decoded;
  }
  return out;
}

CredentialsState ParseCredentialsState(const json& secret) {
  CredentialsState s;
  const json* ann = nullptr;
  if (secret.contains("metadata") && secret["metadata"].contains("annotations")) ann = &secret["metadata"]["annotations"];
  if (ann == nullptr || !ann->is_object()) return s;
  auto get = [ann](std::string_view key) {
    auto it = ann->find(std::string(key));
    return it != ann->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  s.rotated_at = get(api::kRotatedAtAnnotation);
  s.retiring_role = get(api::kRetiringRoleAnnotation);
  s.rotation_request = get(api::kRotationRequestAnnotation);
  return s;
}

}  // namespace tenant::specs
