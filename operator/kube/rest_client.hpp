#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/config.hpp"

namespace tenant::kube {

// The Client over HTTPS to a real API server (cpprestsdk). Thread-safe.
//  - TLS: the CA bundle from the config alone (the system store only when there is none),
//    client certificate/key,
//    verification disabled only when the kubeconfig says insecure-skip-tls-verify.
//  - Auth: bearer token; a token file is re-read every minute (projected tokens rotate).
//  - Retries: 429 and 5xx answers carrying Retry-After (header or Status details) are
//    retried after that delay, at most kMaxRetries times, like client-go.
//  - Metric rest_client_requests_total{code,method} ("<error>" code for transport failures).
class RestClient final : public Client {
 public:
  static constexpr int kMaxRetries = 10;
  // Unsent requests (a dead pooled keep-alive connection after an API server restart).
  static constexpr int kMaxStaleRetries = 4;
  static constexpr std::chrono::seconds kMaxRetryAfter{30};

  explicit RestClient(RestConfig cfg, metrics::Registry* registry = nullptr,
                      std::chrono::seconds request_timeout = std::chrono::seconds(30));
  ~RestClient() override;

  Json Get(const Resource& r, std::string_view ns, std::string_view name) override;
  Json List(const Resource& r, std::string_view ns, const ListOptions& opts) override;
  Json ListEach(const Resource& r, std::string_view ns, const ListOptions& opts,
                const std::function<void(Json&&)>& on_item) override;
  Json Create(const Resource& r, std::string_view ns, const Json& obj) override;
  Json Update(const Resource& r, std::string_view ns, const Json& obj) override;
  Json UpdateStatus(const Resource& r, std::string_view ns, const Json& obj) override;
  Json Patch(const Resource& r, std::string_view ns, std::string_view name, PatchType type, const Json& patch,
             std::string_view subresource = {}, std::string_view field_manager = kFieldManager) override;
  Json Apply(const Resource& r, std::string_view ns, const Json& obj, const ApplyOptions& opts = {}) override;
  void Delete(const Resource& r, std::string_view ns, std::string_view name, const DeleteOptions& opts = {}) override;
  void Watch(const Resource& r, std::string_view ns, const WatchOptions& opts, const WatchHandler& handler,
             std::stop_token stop) override;

  using Query = std::vector<std::pair<std::string, std::string>>;
  // Any request: path like "/apis/...", JSON (or empty) answer. Throws like the rest.
  Json Request(const std::string& method, const std::string& path, const Query& query = {},
               const std::string& body = {}, const std::string& content_type = {});

  const RestConfig& config() const { return cfg_; }

 private:
  struct Impl;
  std::string Token();
  // Request's core: the body of a 2xx answer as text (errors thrown as in Request).
  std::string RequestText(const std::string& method, const std::string& path, const Query& query = {},
                          const std::string& body = {}, const std::string& content_type = {});

  RestConfig cfg_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenant::kube
