#include <catch2/catch.hpp>

#include <mutex>
#include <set>

#include "operator/kube/informer.hpp"
#include "operator/kube/objects.hpp"
#include "tests/e2e/operator/kube_e2e_support.hpp"

using namespace tenant;
using namespace tenant::kube_e2e;
using namespace std::chrono_literals;

namespace {
struct Recorder {
  std::mutex mu;
  std::vector<std::string> log;  // "ADD name", "UPDATE name v", "DELETE name"
  kube::InformerHandlers Handlers() {
    kube::InformerHandlers h;
    h.on_add = [this](const kube::ObjectPtr& o) { Push("ADD " + kube::Name(*o)); };
    h.on_update = [this](const kube::ObjectPtr&, const kube::ObjectPtr& o) {
      Push("UPDATE " + kube::Name(*o) + " " + o->value("data", kube::Json::object()).value("v", ""));
    };
    h.on_delete = [this](const kube::ObjectPtr& o) { Push("DELETE " + kube::Name(*o)); };
    return h;
  }
  void Push(std::string s) {
    std::lock_guard l(mu);
    log.push_back(std::move(s));
  }
  bool Has(const std::string& s) {
    std::lock_guard l(mu);
    return std::find(log.begin(), log.end(), s) != log.end();
  }
};
}  // namespace

TEST_CASE("informer sees create, update and delete and resumes after watch timeouts without relisting",
          "[e2e][kube][informer]") {
  auto& cluster = test::LocalCluster::Shared();
  auto client = ClientFor(cluster);
  auto ns = NewNamespace(*client, "inf");
  client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "pre", {{"v", "0"}}));

  kube::InformerOptions opts;
  opts.watch_timeout_min_seconds = 2;  // the server ends every watch after 2 s
  opts.watch_timeout_max_seconds = 2;
  kube::Informer inf(client, kube::resources::kConfigMaps, ns, "", opts);
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  REQUIRE(inf.WaitForSync(std::stop_token{}, 30s));
  CHECK(rec.Has("ADD pre"));
  CHECK(inf.store()->Get(ns, "pre"));

  client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "a", {{"v", "1"}}));
  REQUIRE(Eventually([&] { return rec.Has("ADD a"); }, 10s));
  auto a = client->Get(kube::resources::kConfigMaps, ns, "a");
  a["data"]["v"] = "2";
  client->Update(kube::resources::kConfigMaps, ns, a);
  REQUIRE(Eventually([&] { return rec.Has("UPDATE a 2"); }, 10s));
  client->Delete(kube::resources::kConfigMaps, ns, "a");
  REQUIRE(Eventually([&] { return rec.Has("DELETE a"); }, 10s));
  CHECK_FALSE(inf.store()->Get(ns, "a"));

  // Several server-side timeouts later the informer still delivers events, from the same
  // single LIST: a normally ended watch resumes from the last resourceVersion.
  const auto watches_before = inf.watches();
  std::this_thread::sleep_for(5s);
  CHECK(inf.watches() >= watches_before + 2);
  client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "after-timeouts", {{"v", "3"}}));
  REQUIRE(Eventually([&] { return rec.Has("ADD after-timeouts"); }, 10s));
  CHECK(inf.lists() == 1);
  // ADD for "pre" arrived exactly once: no relist replayed it.
  {
    std::lock_guard l(rec.mu);
    CHECK(std::count(rec.log.begin(), rec.log.end(), "ADD pre") == 1);
  }
  inf.Stop();
  client->Delete(kube::resources::kNamespaces, "", ns);
}

TEST_CASE("informer pages the initial list, indexes by owner and filters by label", "[e2e][kube][informer]") {
  auto& cluster = test::LocalCluster::Shared();
  auto client = ClientFor(cluster);
  auto ns = NewNamespace(*client, "inf-page");
  auto owner = client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "owner", {}));
  for (int i = 0; i < 30; ++i) {
    auto cm = ConfigMap(ns, "cm-" + std::to_string(i), {{"i", std::to_string(i)}}, {{"parity", i % 2 ? "odd" : "even"}});
    if (i < 5) kube::SetControllerReference(cm, owner);
    client->Create(kube::resources::kConfigMaps, ns, cm);
  }
  kube::InformerOptions opts;
  opts.page_size = 7;
  kube::Informer all(client, kube::resources::kConfigMaps, ns, "", opts);
  kube::Informer odd(client, kube::resources::kConfigMaps, ns, "parity=odd", opts);
  all.Start();
  odd.Start();
  REQUIRE(all.WaitForSync(std::stop_token{}, 30s));
  REQUIRE(odd.WaitForSync(std::stop_token{}, 30s));
  // 31 plus, eventually, kube-root-ca.crt from the controller manager.
  CHECK(all.store()->List(ns).size() >= 31);
  CHECK(odd.store()->Size() == 15);
  CHECK(all.store()->List(ns, kube::LabelSelector::Parse("parity=even")).size() == 15);
  CHECK(all.store()->ByOwnerUid(kube::Uid(owner)).size() == 5);
  all.Stop();
  odd.Stop();
  client->Delete(kube::resources::kNamespaces, "", ns);
}
