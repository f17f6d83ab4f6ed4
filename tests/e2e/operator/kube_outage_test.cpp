#include <catch2/catch.hpp>

#include <thread>

#include "operator/kube/informer.hpp"
#include "operator/kube/objects.hpp"
#include "operator/manager/manager.hpp"
#include "operator/manager/mirror_controller.hpp"
#include "tests/e2e/operator/kube_e2e_support.hpp"

using namespace tenant;
using namespace tenant::kube_e2e;
using namespace std::chrono_literals;

namespace {

bool MirrorHas(kube::Client& c, const std::string& ns, const std::string& source, const std::string& v) {
  auto m = c.GetOrNull(kube::resources::kConfigMaps, ns, source + "-mirror");
  return m && (*m)["data"].value("v", "") == v;
}

void SetSource(kube::Client& c, const std::string& ns, const std::string& name, const std::string& v) {
  kube::ApplyOptions ao;
  ao.field_manager = "e2e-user";
  c.Apply(kube::resources::kConfigMaps, ns,
          ConfigMap(ns, name, {{"v", v}}, {{std::string(manager::kMirrorSourceLabel), "true"}}), ao);
}

}  // namespace

TEST_CASE("controller recovers from kube-apiserver and etcd restarts and reconciles changes made meanwhile",
          "[e2e][kube][outage]") {
  auto cluster = test::LocalCluster::StartPrivate();
  auto client = ClientFor(*cluster);
  auto ns = NewNamespace(*client, "outage");

  manager::Options o;
  o.watch_namespace = ns;
  o.metrics_bind_address = "0";
  o.health_probe_bind_address = "0";
  o.pod_name = "e2e-outage";
  manager::Manager mgr(o, ClientFor(*cluster));
  manager::RegisterMirrorController(mgr);
  std::stop_source stop;
  std::atomic<int> rc{-1};
  std::jthread runner([&] { rc = mgr.Run(stop.get_token()); });

  SetSource(*client, ns, "src", "1");
  REQUIRE(Eventually([&] { return MirrorHas(*client, ns, "src", "1"); }, 30s));

  // API server down for a while: the watch breaks and the informer backs off.
  cluster->StopApiServer();
  std::this_thread::sleep_for(3s);
  cluster->StartApiServer();
  SetSource(*client, ns, "src", "2");
  SetSource(*client, ns, "created-after-restart", "x");
  CHECK(Eventually([&] { return MirrorHas(*client, ns, "src", "2"); }, 60s));
  CHECK(Eventually([&] { return MirrorHas(*client, ns, "created-after-restart", "x"); }, 60s));

  // etcd restart (the API server stays up but loses its storage for a moment).
  cluster->RestartEtcd();
  SetSource(*client, ns, "src", "3");
  CHECK(Eventually([&] { return MirrorHas(*client, ns, "src", "3"); }, 60s));

  // API server restarted right after etcd.
  cluster->RestartEtcd();
  cluster->RestartApiServer();
  SetSource(*client, ns, "src", "4");
  CHECK(Eventually([&] { return MirrorHas(*client, ns, "src", "4"); }, 60s));

  stop.request_stop();
  runner.join();
  CHECK(rc.load() == 0);
}

TEST_CASE("410 Gone after etcd compaction relists and delivers deletions made during the gap",
          "[e2e][kube][relist]") {
  test::LocalCluster::PrivateOptions po;
  po.apiserver_args = {"--watch-cache=false"};  // watches read etcd: compaction makes old versions Gone
  auto cluster = test::LocalCluster::StartPrivate(po);
  auto client = ClientFor(*cluster);
  auto ns = NewNamespace(*client, "gone");
  for (auto n : {"a", "b", "c"}) client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, n, {{"v", "1"}}));

  kube::InformerOptions io;
  // Long enough to restart the API server, change and compact while the informer waits,
  // also on a loaded machine (at 20 s a slow restart let it resume before the compaction).
  io.backoff.initial = 45s;
  io.backoff.jitter = 0;
  kube::Informer inf(client, kube::resources::kConfigMaps, ns, "", io);
  std::mutex mu;
  std::vector<std::string> deleted, added;
  kube::InformerHandlers h;
  h.on_add = [&](const kube::ObjectPtr& x) { std::lock_guard l(mu); added.push_back(kube::Name(*x)); };
  h.on_delete = [&](const kube::ObjectPtr& x) { std::lock_guard l(mu); deleted.push_back(kube::Name(*x)); };
  inf.AddHandlers(h);
  inf.Start();
  REQUIRE(inf.WaitForSync(std::stop_token{}, 30s));
  const std::string old_rv = inf.last_resource_version();
  REQUIRE(inf.lists() == 1);

  cluster->StopApiServer();   // the watch breaks; the informer sleeps 45 s before retrying
  cluster->StartApiServer();
  client->Delete(kube::resources::kConfigMaps, ns, "b");
  client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "d", {{"v", "1"}}));
  client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "e", {{"v", "1"}}));  // moves past b's deletion
  cluster->CompactEtcd();

  // A watch from the compacted version is refused with 410: as an HTTP status (GoneError)
  // or as an ERROR event carrying a 410 Status inside a 200 stream (Client::Watch hands
  // events to the handler; the informer turns that one into GoneError).
  bool gone = false;
  try {
    client->Watch(kube::resources::kConfigMaps, ns, kube::WatchOptions{"", "", old_rv, true, 5},
                  [&](kube::WatchEvent&& ev) {
                    if (ev.type == "ERROR" && ev.object.value("code", 0) == 410) gone = true;
                    return !gone;
                  },
                  std::stop_token{});
  } catch (const kube::GoneError&) {
    gone = true;
  }
  CHECK(gone);

  // The informer hits the same 410, relists, and reports what it missed.
  REQUIRE(Eventually([&] { std::lock_guard l(mu); return std::count(deleted.begin(), deleted.end(), "b") == 1; }, 150s));
  CHECK(Eventually([&] { std::lock_guard l(mu); return std::count(added.begin(), added.end(), "d") == 1; }, 10s));
  CHECK(inf.lists() == 2);
  CHECK_FALSE(inf.store()->Get(ns, "b"));
  CHECK(inf.store()->Get(ns, "d"));
  // It keeps watching after the relist.
  client->Delete(kube::resources::kConfigMaps, ns, "a");
  CHECK(Eventually([&] { std::lock_guard l(mu); return std::count(deleted.begin(), deleted.end(), "a") == 1; }, 30s));
  inf.Stop();
}
