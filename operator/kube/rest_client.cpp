#include "operator/kube/rest_client.hpp"

#include <boost/asio/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <new>
#include <cpprest/http_client.h>
#include <cpprest/uri_builder.h>

#include <thread>

#include "operator/kube/json_framer.hpp"
#include "operator/kube/list_stream.hpp"

namespace tenant::kube {

namespace http = web::http;
using http::client::http_client;
using http::client::http_client_config;

struct RestClient::Impl {
  std::unique_ptr<http_client> client;
  http_client_config base_config;
  metrics::CounterFamily* requests = nullptr;
  std::mutex token_mu;
  std::string token;
  std::chrono::steady_clock::time_point token_read{};
};

namespace {

constexpr auto kTokenRefresh = std::chrono::minutes(1);

http_client_config MakeConfig(const RestConfig& cfg, std::chrono::seconds timeout) {
  http_client_config c;
  c.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  c.set_validate_certificates(!cfg.insecure_skip_tls_verify);
  // The callback runs for every new TLS connection, after cpprestsdk loaded the system CA
  // store into its fresh context. With a cluster CA, that CA alone is trusted (as client-go
  // does): a store replaced here also frees the ~140 parsed system certificates, which
  // every open connection (one per watch) otherwise kept, ~1.3 MB each.
  c.set_ssl_context_callback([ca = cfg.ca_pem, cert = cfg.client_cert_pem, key = cfg.client_key_pem](
                                 boost::asio::ssl::context& ctx) {
    if (!ca.empty()) {
      X509_STORE* only_cluster_ca = X509_STORE_new();
      if (only_cluster_ca == nullptr) throw std::bad_alloc();
      SSL_CTX_set_cert_store(ctx.native_handle(), only_cluster_ca);  // frees the system store
      ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
    }
    if (!cert.empty()) {
      ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
      ctx.use_private_key(boost::asio::buffer(key.data(), key.size()), boost::asio::ssl::context::pem);
    }
  });
  return c;
}

http::method ToMethod(const std::string& m) {
  if (m == "GET") return http::methods::GET;
  if (m == "POST") return http::methods::POST;
  if (m == "PUT") return http::methods::PUT;
  if (m == "PATCH") return http::methods::PATCH;
  if (m == "DELETE") return http::methods::DEL;
  return http::method(m);
}

std::optional<int> RetryAfterHeader(const http::http_response& resp) {
  auto& h = resp.headers();
  auto it = h.find("Retry-After");
  if (it == h.end()) return std::nullopt;
  try {
    return std::stoi(it->second);
  } catch (const std::exception&) {
    return std::nullopt;  // HTTP-date form: not used by the API server
  }
}

const char* PatchContentType(PatchType t) {
  switch (t) {
    case PatchType::kJsonPatch: return "application/json-patch+json";
    case PatchType::kMergePatch: return "application/merge-patch+json";
    case PatchType::kStrategicMergePatch: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/json";
}

std::string RequireName(const Json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->contains("name") || !(*m)["name"].is_string()) {
    throw std::invalid_argument("object has no metadata.name");
  }
  return (*m)["name"].get<std::string>();
}

std::string NsOf(std::string_view ns, const Json& obj) {
  if (!ns.empty()) return std::string(ns);
  auto m = obj.find("metadata");
  if (m != obj.end() && m->contains("namespace") && (*m)["namespace"].is_string()) {
    return (*m)["namespace"].get<std::string>();
  }
  return {};
}

}  // namespace

RestClient::RestClient(RestConfig cfg, metrics::Registry* registry, std::chrono::seconds request_timeout)
    : cfg_(std::move(cfg)), impl_(std::make_unique<Impl>()) {
  impl_->base_config = MakeConfig(cfg_, request_timeout);
  impl_->client = std::make_unique<http_client>(cfg_.server, impl_->base_config);
  if (registry) {
    impl_->requests = &registry->Counter("rest_client_requests_total",
                                         "Number of HTTP requests, partitioned by status code and method.",
                                         {"code", "method"});
  }
  impl_->token = cfg_.bearer_token;
  impl_->token_read = std::chrono::steady_clock::now();
}

RestClient::~RestClient() = default;

std::string RestClient::Token() {
  std::lock_guard lock(impl_->token_mu);
  if (!cfg_.token_file.empty() && std::chrono::steady_clock::now() - impl_->token_read >= kTokenRefresh) {
    try {
      auto t = ReadFile(cfg_.token_file);
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
      impl_->token = std::move(t);
    } catch (const std::exception&) {
      // Keep the previous token; a rotation in progress must not break requests.
    }
    impl_->token_read = std::chrono::steady_clock::now();
  }
  return impl_->token;
}

Json RestClient::Request(const std::string& method, const std::string& path, const Query& query,
                         const std::string& body, const std::string& content_type) {
  const std::string text = RequestText(method, path, query, body, content_type);
  if (text.empty()) return Json();
  auto j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) throw TransportError(method + " " + path + ": response is not JSON");
  return j;
}

std::string RestClient::RequestText(const std::string& method, const std::string& path, const Query& query,
                                    const std::string& body, const std::string& content_type) {
  web::uri_builder ub(path);
  for (const auto& [k, v] : query) ub.append_query(k, v, /*do_encoding=*/true);
  const std::string target = ub.to_string();
  for (int attempt = 0;; ++attempt) {
    http::http_request req(ToMethod(method));
    req.set_request_uri(target);
    req.headers().add("Accept", "application/json");
    req.headers().add("User-Agent", cfg_.user_agent);
    if (auto t = Token(); !t.empty()) req.headers().add("Authorization", "Bearer " + t);
    if (!body.empty() || !content_type.empty()) req.set_body(body, content_type.empty() ? "application/json" : content_type);

    http::http_response resp;
    std::string text;
    try {
      resp = impl_->client->request(req).get();
      text = resp.extract_utf8string(true).get();
    } catch (const std::exception& e) {
      if (impl_->requests) impl_->requests->WithLabelValues({"<error>", method}).Inc();
      // A pooled keep-alive connection may have been closed by a restarted API server: the
      // request never reached it (write/connect failure), or it is a read. The pool can hold
      // several dead connections, so an unsent request is retried a few times.
      const std::string what = e.what();
      const bool unsent = what.find("write") != std::string::npos || what.find("connect") != std::string::npos;
      if ((unsent && attempt < kMaxStaleRetries) || (method == "GET" && attempt == 0)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      throw TransportError(method + " " + path + ": " + what);
    }
    const int code = resp.status_code();
    if (impl_->requests) impl_->requests->WithLabelValues({std::to_string(code), method}).Inc();
    if (code >= 200 && code < 300) return text;
    Status st = ParseStatus(code, text);
    if (auto ra = RetryAfterHeader(resp)) st.retry_after_seconds = *ra;
    if ((code == 429 || code >= 500) && st.retry_after_seconds && attempt < kMaxRetries) {
      auto wait = std::min<std::chrono::seconds>(std::chrono::seconds(std::max(*st.retry_after_seconds, 1)), kMaxRetryAfter);
      std::this_thread::sleep_for(wait);
      continue;
    }
    ThrowStatus(std::move(st));
  }
}

Json RestClient::Get(const Resource& r, std::string_view ns, std::string_view name) {
  return Request("GET", r.Path(ns, name));
}

namespace {

RestClient::Query ListQuery(const ListOptions& o) {
  RestClient::Query q;
  if (!o.label_selector.empty()) q.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) q.emplace_back("fieldSelector", o.field_selector);
  if (o.resource_version) q.emplace_back("resourceVersion", *o.resource_version);
  if (!o.resource_version_match.empty()) q.emplace_back("resourceVersionMatch", o.resource_version_match);
  if (o.limit > 0) q.emplace_back("limit", std::to_string(o.limit));
  if (!o.continue_token.empty()) q.emplace_back("continue", o.continue_token);
  return q;
}

}  // namespace

Json RestClient::List(const Resource& r, std::string_view ns, const ListOptions& o) {
  return Request("GET", r.Path(ns), ListQuery(o));
}

Json RestClient::ListEach(const Resource& r, std::string_view ns, const ListOptions& o,
                          const std::function<void(Json&&)>& on_item) {
  const std::string path = r.Path(ns);
  Json list = ParseListItems(RequestText("GET", path, ListQuery(o)), on_item);
  if (list.is_discarded()) throw TransportError("GET " + path + ": response is not JSON");
  return list;
}

Json RestClient::Create(const Resource& r, std::string_view ns, const Json& obj) {
  return Request("POST", r.Path(NsOf(ns, obj)), {}, obj.dump());
}

Json RestClient::Update(const Resource& r, std::string_view ns, const Json& obj) {
  return Request("PUT", r.Path(NsOf(ns, obj), RequireName(obj)), {}, obj.dump());
}

Json RestClient::UpdateStatus(const Resource& r, std::string_view ns, const Json& obj) {
  return Request("PUT", r.Path(NsOf(ns, obj), RequireName(obj), "status"), {}, obj.dump());
}

Json RestClient::Patch(const Resource& r, std::string_view ns, std::string_view name, PatchType type,
                       const Json& patch, std::string_view subresource, std::string_view field_manager) {
  Query q;
  if (!field_manager.empty()) q.emplace_back("fieldManager", std::string(field_manager));
  return Request("PATCH", r.Path(ns, name, subresource), q, patch.dump(), PatchContentType(type));
}

Json RestClient::Apply(const Resource& r, std::string_view ns, const Json& obj, const ApplyOptions& o) {
  Query q{{"fieldManager", o.field_manager}};
  if (o.force) q.emplace_back("force", "true");
  // JSON is YAML, so the apply-patch+yaml content type takes the JSON body as is.
  return Request("PATCH", r.Path(NsOf(ns, obj), RequireName(obj), o.subresource), q, obj.dump(),
                 PatchContentType(PatchType::kApply));
}

void RestClient::Delete(const Resource& r, std::string_view ns, std::string_view name, const DeleteOptions& o) {
  Json body{{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", o.propagation_policy}};
  if (o.precondition_uid || o.precondition_resource_version) {
    Json pre = Json::object();
    if (o.precondition_uid) pre["uid"] = *o.precondition_uid;
    if (o.precondition_resource_version) pre["resourceVersion"] = *o.precondition_resource_version;
    body["preconditions"] = pre;
  }
  if (o.grace_period_seconds) body["gracePeriodSeconds"] = *o.grace_period_seconds;
  Request("DELETE", r.Path(ns, name), {}, body.dump());
}

void RestClient::Watch(const Resource& r, std::string_view ns, const WatchOptions& o, const WatchHandler& handler,
                       std::stop_token stop) {
  Query q{{"watch", "1"}};
  if (!o.resource_version.empty()) q.emplace_back("resourceVersion", o.resource_version);
  if (o.allow_bookmarks) q.emplace_back("allowWatchBookmarks", "true");
  if (o.timeout_seconds > 0) q.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds));
  if (!o.label_selector.empty()) q.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) q.emplace_back("fieldSelector", o.field_selector);
  web::uri_builder ub(r.Path(ns));
  for (const auto& [k, v] : q) ub.append_query(k, v, true);

  // A dedicated client per watch: its timeout is an inactivity limit (reset on every
  // chunk) that must outlast the server-side timeout and the ~1 min bookmark interval.
  auto cfg = MakeConfig(cfg_, std::chrono::seconds(std::max(o.timeout_seconds, 0) + 90));
  http_client client(cfg_.server, cfg);
  http::http_request req(http::methods::GET);
  req.set_request_uri(ub.to_string());
  req.headers().add("Accept", "application/json");
  req.headers().add("User-Agent", cfg_.user_agent);
  if (auto t = Token(); !t.empty()) req.headers().add("Authorization", "Bearer " + t);

  pplx::cancellation_token_source cts;
  std::stop_callback on_stop(stop, [&cts] { cts.cancel(); });
  http::http_response resp;
  try {
    resp = client.request(req, cts.get_token()).get();
  } catch (const std::exception& e) {
    if (impl_->requests) impl_->requests->WithLabelValues({"<error>", "WATCH"}).Inc();
    if (stop.stop_requested()) return;
    throw TransportError("WATCH " + r.String() + ": " + e.what());
  }
  const int code = resp.status_code();
  if (impl_->requests) impl_->requests->WithLabelValues({std::to_string(code), "WATCH"}).Inc();
  if (code != 200) {
    std::string text;
    try {
      text = resp.extract_utf8string(true).get();
    } catch (const std::exception&) {
    }
    Status st = ParseStatus(code, text);
    if (auto ra = RetryAfterHeader(resp)) st.retry_after_seconds = *ra;
    ThrowStatus(std::move(st));
  }
  auto body = resp.body().streambuf();
  JsonFramer framer;
  std::vector<char> buf(64 * 1024);
  while (!stop.stop_requested()) {
    std::size_t n = 0;
    try {
      // The body is a producer/consumer buffer whose getn(count) waits for `count` bytes:
      // wait for one byte, then take only what has already arrived, so events are handed
      // over as soon as the server sends them.
      auto* data = reinterpret_cast<uint8_t*>(buf.data());
      n = body.getn(data, 1).get();
      if (n > 0) {
        std::size_t avail = body.in_avail();
        if (avail > 0) n += body.getn(data + 1, std::min(avail, buf.size() - 1)).get();
      }
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return;
      throw TransportError("WATCH " + r.String() + " stream: " + e.what());
    }
    if (n == 0) return;  // server closed the watch normally (timeoutSeconds)
    for (auto& text : framer.Feed(std::string_view(buf.data(), n))) {
      auto j = Json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_object()) throw TransportError("WATCH " + r.String() + ": malformed event");
      WatchEvent ev{j.value("type", ""), j.contains("object") ? std::move(j["object"]) : Json()};
      if (!handler(std::move(ev))) {
        cts.cancel();
        return;
      }
    }
  }
}

}  // namespace tenant::kube

// cpprestsdk runs its I/O on a process-wide thread pool that is never joined at exit, so
// OpenSSL's per-thread error state on those threads is still allocated when LeakSanitizer
// checks (ERR_clear_error from asio's SSL engine; the fast unwinder stops inside libcrypto,
// so that is the frame to match). Only OpenSSL-owned allocations are suppressed; our code
// does not allocate OpenSSL objects outside RAII. Weak so another definition may win.
extern "C" __attribute__((weak)) const char* __lsan_default_suppressions() {
  return "leak:libcrypto.so\nleak:libcpprest.so\n";
}
