#include "runtime/sentry/reporter.hpp"

#include <cpprest/http_client.h>

#include "common/log/log.hpp"

namespace tenant::api::sentry {

Reporter::Reporter(ReporterOptions options, metrics::Registry& registry)
    : options_(std::move(options)),
      sent_(registry.Counter("sentry_events_sent_total", "Sentry envelopes accepted by the server.").Get()),
      dropped_(registry.Counter("sentry_events_dropped_total", "Sentry events dropped because the queue was full.").Get()),
      failed_(registry.Counter("sentry_events_failed_total", "Sentry envelopes that could not be delivered.").Get()) {
  thread_ = std::thread([this] { Loop(); });
}

Reporter::~Reporter() {
  Flush(std::chrono::seconds(2));
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Reporter::Capture(const EventInput& input) {
  // Building the envelope is cheap (a few µs) and keeps request data out of the queue.
  std::string id = NewEventId();
  std::string envelope = BuildEnvelope(BuildEvent(input, id), id, options_.dsn);
  {
    std::lock_guard lock(mu_);
    if (stop_ || queue_.size() >= options_.queue_capacity) {
      dropped_.Inc();
      return false;
    }
    queue_.push_back(std::move(envelope));
  }
  cv_.notify_one();
  return true;
}

bool Reporter::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !sending_; });
}

void Reporter::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    sending_ = true;
    lock.unlock();
    Send(body);
    lock.lock();
    sending_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void Reporter::Send(const std::string& body) {
  try {
    web::http::client::http_client_config config;
    config.set_timeout(options_.send_timeout);
    web::http::client::http_client client(utility::conversions::to_string_t(options_.dsn.EnvelopeUrl()), config);
    web::http::http_request req(web::http::methods::POST);
    req.headers().add(U("X-Sentry-Auth"), utility::conversions::to_string_t(options_.dsn.AuthHeader()));
    req.set_body(body, "application/x-sentry-envelope");
    auto res = client.request(req).get();
    if (res.status_code() >= 200 && res.status_code() < 300) {
      sent_.Inc();
    } else {
      failed_.Inc();
      log::Warn("Sentry rejected an event", {{"status", res.status_code()}});
    }
  } catch (const std::exception& e) {
    failed_.Inc();
    log::Warn("Sending a Sentry event failed", {{"error", ScrubText(e.what())}});
  }
}

}  // namespace tenant::api::sentry
