#include <catch2/catch.hpp>

#include <thread>

#include "operator/kube/event_recorder.hpp"
#include "operator/kube/objects.hpp"
#include "tests/e2e/operator/kube_e2e_support.hpp"

using namespace tenant;
using namespace tenant::kube_e2e;
using namespace std::chrono_literals;

namespace {
const kube::Resource kWidgets{"e2e.tenancy.erp.dev", "v1", "widgets", "Widget", true};

void EnsureWidgetCrd(kube::Client& client) {
  kube::Json crd = kube::Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.e2e.tenancy.erp.dev"},
    "spec": {"group": "e2e.tenancy.erp.dev", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
          "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}})");
  try {
    client.Create(kube::resources::kCustomResourceDefinitions, "", crd);
  } catch (const kube::AlreadyExistsError&) {
  }
  REQUIRE(Eventually([&] {
    auto c = client.Get(kube::resources::kCustomResourceDefinitions, "", "widgets.e2e.tenancy.erp.dev");
    for (const auto& cond : c["status"].value("conditions", kube::Json::array())) {
      if (cond["type"] == "Established" && cond["status"] == "True") {
        // Discovery may lag Established by a moment: wait until the resource answers.
        client.List(kWidgets, "default", {});
        return true;
      }
    }
    return false;
  }, 30s));
}
}  // namespace

TEST_CASE("API failures arrive as typed errors", "[e2e][kube][client]") {
  auto client = ClientFor(test::LocalCluster::Shared());
  auto ns = NewNamespace(*client, "errs");
  CHECK_THROWS_AS(client->Get(kube::resources::kConfigMaps, ns, "missing"), kube::NotFoundError);
  CHECK_FALSE(client->GetOrNull(kube::resources::kConfigMaps, ns, "missing"));
  auto cm = client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "x", {{"a", "1"}}));
  CHECK_THROWS_AS(client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "x", {})), kube::AlreadyExistsError);
  auto stale = cm;
  cm["data"]["a"] = "2";
  client->Update(kube::resources::kConfigMaps, ns, cm);
  stale["data"]["a"] = "3";
  CHECK_THROWS_AS(client->Update(kube::resources::kConfigMaps, ns, stale), kube::ConflictError);
  try {
    client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "Not_A_Valid_Name", {}));
    FAIL("invalid name accepted");
  } catch (const kube::InvalidError& e) {
    REQUIRE_FALSE(e.status().causes.empty());
    CHECK(e.status().causes[0].field == "metadata.name");
  }
  client->Delete(kube::resources::kNamespaces, "", ns);
}

TEST_CASE("server-side apply keeps fields owned by another manager", "[e2e][kube][ssa]") {
  auto client = ClientFor(test::LocalCluster::Shared());
  auto ns = NewNamespace(*client, "ssa");
  kube::ApplyOptions other;
  other.field_manager = "someone-else";
  client->Apply(kube::resources::kConfigMaps, ns, ConfigMap(ns, "shared", {{"theirs", "1"}}), other);
  auto first = client->Apply(kube::resources::kConfigMaps, ns, ConfigMap(ns, "shared", {{"ours", "a"}}));
  CHECK(first["data"]["theirs"] == "1");
  CHECK(first["data"]["ours"] == "a");
  // Applying the same intent again changes nothing (no new resourceVersion).
  auto again = client->Apply(kube::resources::kConfigMaps, ns, ConfigMap(ns, "shared", {{"ours", "a"}}));
  CHECK(kube::ResourceVersion(again) == kube::ResourceVersion(first));
  // Dropping our field removes only ours.
  auto dropped = client->Apply(kube::resources::kConfigMaps, ns, ConfigMap(ns, "shared", {{"ours2", "b"}}));
  CHECK(dropped["data"]["theirs"] == "1");
  CHECK_FALSE(dropped["data"].contains("ours"));
  bool manager_recorded = false;
  for (const auto& mf : dropped["metadata"]["managedFields"]) {
    if (mf["manager"] == "tenant-operator" && mf["operation"] == "Apply") manager_recorded = true;
  }
  CHECK(manager_recorded);
  client->Delete(kube::resources::kNamespaces, "", ns);
}

TEST_CASE("status writes through /status with conflicts converge", "[e2e][kube][status]") {
  auto client = ClientFor(test::LocalCluster::Shared());
  EnsureWidgetCrd(*client);
  auto ns = NewNamespace(*client, "status");
  client->Create(kWidgets, ns, {{"apiVersion", "e2e.tenancy.erp.dev/v1"}, {"kind", "Widget"},
                                {"metadata", {{"name", "w"}, {"namespace", ns}}}, {"spec", {{"size", 1}}}});
  constexpr int kWriters = 4, kEach = 8;
  std::vector<std::jthread> writers;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        try {
          kube::UpdateStatusWithRetry(*client, kWidgets, ns, "w", [](kube::Json& obj) {
            int n = obj.contains("status") ? obj["status"].value("count", 0) : 0;
            obj["status"]["count"] = n + 1;
            return true;
          }, 50);
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  writers.clear();
  auto w = client->Get(kWidgets, ns, "w");
  CHECK(failures.load() == 0);
  CHECK(w["status"]["count"] == kWriters * kEach);  // no lost update
  // The status subresource never changes spec.
  CHECK(w["spec"]["size"] == 1);
  auto obj = w;
  obj["spec"]["size"] = 99;
  obj["status"]["count"] = 0;
  auto after = client->UpdateStatus(kWidgets, ns, obj);
  CHECK(after["spec"]["size"] == 1);
  CHECK(after["status"]["count"] == 0);
  client->Delete(kube::resources::kNamespaces, "", ns);
}

TEST_CASE("finalizers are added and removed without clobbering others", "[e2e][kube][finalizers]") {
  auto client = ClientFor(test::LocalCluster::Shared());
  auto ns = NewNamespace(*client, "fin");
  auto cm = ConfigMap(ns, "f", {});
  cm["metadata"]["finalizers"] = {"other.io/keep"};
  auto created = client->Create(kube::resources::kConfigMaps, ns, cm);
  // Someone else edits the object after we read it: the guarded patch retries on the new version.
  auto live = client->Get(kube::resources::kConfigMaps, ns, "f");
  live["metadata"]["labels"] = {{"touched", "yes"}};
  client->Update(kube::resources::kConfigMaps, ns, live);
  auto added = kube::AddFinalizer(*client, kube::resources::kConfigMaps, created, "tenancy.erp.dev/cleanup");
  CHECK(kube::HasFinalizer(added, "tenancy.erp.dev/cleanup"));
  CHECK(kube::HasFinalizer(added, "other.io/keep"));
  CHECK(added["metadata"]["labels"]["touched"] == "yes");
  auto removed = kube::RemoveFinalizer(*client, kube::resources::kConfigMaps, created, "tenancy.erp.dev/cleanup");
  CHECK_FALSE(kube::HasFinalizer(removed, "tenancy.erp.dev/cleanup"));
  CHECK(kube::HasFinalizer(removed, "other.io/keep"));
  // Clean up the foreign finalizer so the namespace can go.
  kube::RemoveFinalizer(*client, kube::resources::kConfigMaps, removed, "other.io/keep");
  client->Delete(kube::resources::kNamespaces, "", ns);
}

TEST_CASE("repeated events fold into one events.k8s.io Event series", "[e2e][kube][events]") {
  auto client = ClientFor(test::LocalCluster::Shared());
  auto ns = NewNamespace(*client, "ev");
  auto cm = client->Create(kube::resources::kConfigMaps, ns, ConfigMap(ns, "subject", {}));
  {
    kube::ApiEventRecorder rec(client, "tenant-operator", "e2e-pod");
    for (int i = 0; i < 5; ++i) {
      rec.Event(cm, kube::EventType::kWarning, "ReconcileFailed", "Reconcile", "database unreachable");
      std::this_thread::sleep_for(50ms);
    }
    rec.Event(cm, kube::EventType::kNormal, "Created", "Reconcile", std::string(3000, 'x'));
    rec.Flush(10s);
  }
  auto list = client->List(kube::resources::kEvents, ns, {});
  int failed = 0, created = 0;
  for (const auto& e : list["items"]) {
    CHECK(e["reportingController"] == "tenant-operator");
    CHECK(e["reportingInstance"] == "e2e-pod");
    CHECK(e["regarding"]["uid"] == kube::Uid(cm));
    if (e["reason"] == "ReconcileFailed") {
      ++failed;
      CHECK(e["type"] == "Warning");
      CHECK(e["series"]["count"] == 5);
    }
    if (e["reason"] == "Created") {
      ++created;
      CHECK(e["note"].get<std::string>().size() == 1024);
    }
  }
  CHECK(failed == 1);
  CHECK(created == 1);
  client->Delete(kube::resources::kNamespaces, "", ns);
}
