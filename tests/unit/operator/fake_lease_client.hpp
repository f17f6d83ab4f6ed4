#pragma once
// In-memory Lease store with resourceVersion checks for the leader-election unit tests;
// Update can be made to hang like a request on a dead connection. A fake for pure logic only.
#include <condition_variable>
#include <mutex>
#include <string>

#include "operator/kube/client.hpp"
#include "operator/kube/errors.hpp"

namespace tenant::test {

using namespace tenant::kube;

class FakeLeaseClient final : public Client {
 public:
  Json Get(const Resource&, std::string_view, std::string_view) override {
    std::lock_guard l(mu_);
    if (lease_.is_null()) ThrowStatus(Status{404, "NotFound", "not found", {}, {}});
    return lease_;
  }
  Json Create(const Resource&, std::string_view, const Json& obj) override {
    std::lock_guard l(mu_);
    if (!lease_.is_null()) ThrowStatus(Status{409, "AlreadyExists", "exists", {}, {}});
    lease_ = obj;
    lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
    return lease_;
  }
  Json Update(const Resource&, std::string_view, const Json& obj) override {
    std::unique_lock l(mu_);
    cv_.wait(l, [&] { return !hang_; });
    if (obj["metadata"].value("resourceVersion", "") != std::to_string(rv_)) {
      ThrowStatus(Status{409, "Conflict", "conflict", {}, {}});
    }
    lease_ = obj;
    lease_["metadata"]["resourceVersion"] = std::to_string(++rv_);
    ++updates_;
    return lease_;
  }
  Json List(const Resource&, std::string_view, const ListOptions&) override { return {}; }
  Json UpdateStatus(const Resource&, std::string_view, const Json&) override { return {}; }
  Json Patch(const Resource&, std::string_view, std::string_view, PatchType, const Json&, std::string_view,
             std::string_view) override {
    return {};
  }
  Json Apply(const Resource&, std::string_view, const Json&, const ApplyOptions&) override { return {}; }
  void Delete(const Resource&, std::string_view, std::string_view, const DeleteOptions&) override {}
  void Watch(const Resource&, std::string_view, const WatchOptions&, const WatchHandler&, std::stop_token) override {}

  void SetHang(bool h) {
    {
      std::lock_guard l(mu_);
      hang_ = h;
    }
    cv_.notify_all();
  }
  std::string Holder() {
    std::lock_guard l(mu_);
    return lease_.is_null() ? "" : lease_["spec"].value("holderIdentity", "");
  }
  int Transitions() {
    std::lock_guard l(mu_);
    return lease_.is_null() ? -1 : lease_["spec"].value("leaseTransitions", -1);
  }
  int Updates() {
    std::lock_guard l(mu_);
    return updates_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hang_ = false;
  Json lease_;
  int rv_ = 0;
  int updates_ = 0;
};

}  // namespace tenant::test
