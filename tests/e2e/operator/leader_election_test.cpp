// Two tenant-operator processes with --leader-elect against the real kube-apiserver:
// exactly one reconciles; SIGKILL of the leader hands over within leaseDuration +
// retryPeriod (15 s + 2 s, the spec's bound, measured from the kill to the new holder in
// the Lease); SIGTERM releases the Lease so a standby takes over within seconds.
//
// The processes run as the operator's ServiceAccount with the RBAC of manifests/rbac (a
// minted kubeconfig, not admin), so the Lease lives where the deployment keeps it: in
// tenant-operator-system, under the leader-election Role shipped there (a Lease name of
// this run's own, so nothing else shares it).
//
// They run only the ConfigMap mirror controller in a namespace of their own
// (--tenant-controllers=false): no PostgreSQL or CRDs needed, and nothing they do can
// touch other tests' objects. The mirror carries the annotation of the instance that
// wrote it, which shows who reconciled. ConfigMaps are the one grant this test adds (a
// Role in that namespace): the shipped ClusterRole rightly has none.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "operator/kube/informer.hpp"
#include "operator/manager/mirror_controller.hpp"
#include "tests/e2e/operator/kube_e2e_support.hpp"
#include "tests/e2e/operator/operator_rbac.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/free_port.hpp"
#include "tests/support/temp_dir.hpp"

using namespace tenant;
using namespace tenant::kube_e2e;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The Lease the candidates compete for.
struct LeaseRef {
  std::string ns;
  std::string name;
};

// One tenant-operator process with leader election on, its metrics port and log.
class Candidate {
 public:
  Candidate(const std::filesystem::path& kubeconfig, const test::TempDir& dir, std::string pod, const std::string& ns,
            const LeaseRef& lease)
      : pod_(std::move(pod)), log_(dir.path() / (pod_ + ".log")), metrics_port_(test::FreeLoopbackPort()) {
    test::ChildOptions o;
    const char* bin = std::getenv("TENANT_OPERATOR_BINARY");
    o.argv = {bin != nullptr && *bin != '\0' ? std::string(bin)
                                             : std::string(TENANT_BINARY_DIR) + "/operator/tenant-operator",
              "--kubeconfig=" + kubeconfig.string(),
              "--namespace=" + ns,
              "--leader-elect",
              "--leader-election-id=" + lease.name,
              "--leader-election-namespace=" + lease.ns,
              "--tenant-controllers=false",
              "--mirror-test-controller",
              "--metrics-bind-address=127.0.0.1:" + std::to_string(metrics_port_),
              "--health-probe-bind-address=127.0.0.1:" + std::to_string(test::FreeLoopbackPort()),
              "--log-level=debug"};
    o.extra_env = {"POD_NAME=" + pod_};
    o.log_file = log_;
    o.stop_grace = 20s;
    process_ = std::make_unique<test::ChildProcess>(o);
  }

  const std::string& pod() const { return pod_; }
  // Identity in the Lease: "<pod>_<random hex>".
  bool Holds(const std::string& holder) const { return holder.rfind(pod_ + "_", 0) == 0; }
  bool Running() { return process_->Running(); }
  int Stop(int sig) { return process_->Stop(sig, 20s); }

  // Value of a metric line starting with `prefix` ("name{labels}"), summed over all lines
  // that match; nullopt when the endpoint does not answer.
  std::optional<double> Metric(const std::string& prefix) const {
    auto r = test::LocalCluster::Run({"curl", "-sf", "--max-time", "5",
                                      "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics"},
                                     {}, 10s);
    if (!r.ok()) return std::nullopt;
    double sum = 0;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }
  std::optional<double> MasterStatus(const LeaseRef& lease) const {
    return Metric("leader_election_master_status{name=\"" + lease.name + "\"}");
  }
  std::optional<double> Reconciles() const { return Metric("controller_runtime_reconcile_total{"); }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string LogTail(std::size_t lines = 25) const {
    std::vector<std::string> all;
    std::istringstream in(Log());
    for (std::string l; std::getline(in, l);) all.push_back(l);
    std::string out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
    return out;
  }

 private:
  std::string pod_;
  std::filesystem::path log_;
  int metrics_port_;
  std::unique_ptr<test::ChildProcess> process_;
};

std::string Holder(kube::Client& c, const LeaseRef& lease) {
  auto l = c.GetOrNull(kube::resources::kLeases, lease.ns, lease.name);
  if (!l) return {};
  return (*l)["spec"].value("holderIdentity", "");
}

// Polls the Lease every 25 ms until its holder is `who`; returns the time from `since`.
// The resolution of the measurement is one poll plus one GET.
std::optional<Clock::duration> TimeUntilHolder(kube::Client& c, const LeaseRef& lease, const Candidate& who, Clock::time_point since,
                                               std::chrono::seconds timeout) {
  while (Clock::now() - since < timeout) {
    try {
      if (who.Holds(Holder(c, lease))) return Clock::now() - since;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(25ms);
  }
  return std::nullopt;
}

void SetSource(kube::Client& c, const std::string& ns, const std::string& v) {
  kube::ApplyOptions ao;
  ao.field_manager = "e2e-user";
  c.Apply(kube::resources::kConfigMaps, ns,
          ConfigMap(ns, "src", {{"v", v}}, {{std::string(manager::kMirrorSourceLabel), "true"}}), ao);
}

// True once the mirror has value `v` and was written by `by`.
bool MirroredBy(kube::Client& c, const std::string& ns, const std::string& v, const Candidate& by) {
  auto m = c.GetOrNull(kube::resources::kConfigMaps, ns, "src-mirror");
  if (!m || (*m)["data"].value("v", "") != v) return false;
  return (*m)["metadata"]["annotations"].value(std::string(manager::kMirroredByAnnotation), "") == by.pod();
}

// Exactly one of the two is leading: the Lease names `leader`, its metric says 1 and
// it reconciles; the standby's metric says 0 and it has reconciled nothing.
void CheckOneActive(kube::Client& c, const std::string& ns, const LeaseRef& lease, Candidate& leader,
                    Candidate& standby, const std::string& value) {
  INFO("leader " << leader.pod() << " log tail:\n" << leader.LogTail());
  INFO("standby " << standby.pod() << " log tail:\n" << standby.LogTail());
  CHECK(leader.Holds(Holder(c, lease)));
  SetSource(c, ns, value);
  CHECK(Eventually([&] { return MirroredBy(c, ns, value, leader); }, 30s));
  CHECK(Eventually([&] { return leader.MasterStatus(lease) == 1.0; }, 10s));
  CHECK(Eventually([&] { return standby.MasterStatus(lease) == 0.0; }, 10s));
  auto leader_reconciles = leader.Reconciles();
  REQUIRE(leader_reconciles);
  CHECK(*leader_reconciles > 0);
  auto standby_reconciles = standby.Reconciles();
  REQUIRE(standby_reconciles);
  CHECK(*standby_reconciles == 0);
  CHECK(standby.Log().find("Mirrored ConfigMap") == std::string::npos);
}

// `kubectl auth can-i <args> --as=<the operator's ServiceAccount>`.
bool OperatorCan(const test::LocalCluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), {"auth", "can-i"});
  args.push_back("--as=" + OperatorUser());
  return cluster.Kubectl(args).out.rfind("yes", 0) == 0;
}

// The mirror test controller's access to ConfigMaps in `ns`, for the operator's ServiceAccount.
void GrantMirrorConfigMaps(kube::Client& c, const std::string& ns) {
  const kube::Resource roles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
  const kube::Resource bindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
  c.Create(roles, ns,
           {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "Role"},
            {"metadata", {{"name", "mirror-test-configmaps"}}},
            {"rules", {{{"apiGroups", {""}}, {"resources", {"configmaps"}},
                        {"verbs", {"get", "list", "watch", "create", "patch", "update", "delete"}}}}}});
  c.Create(bindings, ns,
           {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "RoleBinding"},
            {"metadata", {{"name", "mirror-test-configmaps"}}},
            {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "mirror-test-configmaps"}}},
            {"subjects", {{{"kind", "ServiceAccount"}, {"name", kOperatorServiceAccount}, {"namespace", kOperatorNamespace}}}}});
}

}  // namespace

TEST_CASE("two operators with --leader-elect: one active; SIGKILL and SIGTERM hand over in bounded time",
          "[e2e][kube][leader]") {
  auto& cluster = test::LocalCluster::Shared();
  auto client = ClientFor(cluster);
  test::TempDir dir("leader-e2e");
  const auto kubeconfig = InstallOperatorRbac(cluster, dir.path() / "operator.kubeconfig");
  const std::string ns = NewNamespace(*client, "leader");
  const LeaseRef lease{kOperatorNamespace, "tenant-operator-e2e-" + RandomSuffix()};
  GrantMirrorConfigMaps(*client, ns);
  // The authorizer sees a new binding a moment after it is created.
  REQUIRE(Eventually([&] { return OperatorCan(cluster, {"watch", "configmaps", "-n", ns}); }, 30s));
  // Leases only where manifests/rbac's leader-election Role grants them.
  CHECK(OperatorCan(cluster, {"update", "leases.coordination.k8s.io", "-n", lease.ns}));
  CHECK_FALSE(OperatorCan(cluster, {"update", "leases.coordination.k8s.io", "-n", ns}));
  SetSource(*client, ns, "0");

  auto a = std::make_unique<Candidate>(kubeconfig, dir, "le-a", ns, lease);
  auto b = std::make_unique<Candidate>(kubeconfig, dir, "le-b", ns, lease);
  std::string holder;
  REQUIRE(Eventually(
      [&] {
        holder = Holder(*client, lease);
        return !holder.empty();
      },
      60s));
  INFO("holder " << holder);
  REQUIRE((a->Holds(holder) || b->Holds(holder)));
  Candidate* leader = a->Holds(holder) ? a.get() : b.get();
  Candidate* standby = leader == a.get() ? b.get() : a.get();
  // Both are up (the standby serves metrics, leader_election_master_status 0).
  REQUIRE(Eventually([&] { return standby->MasterStatus(lease).has_value(); }, 30s));
  CheckOneActive(*client, ns, lease, *leader, *standby, "1");

  // The standby keeps seeing a renewed Lease: no takeover while the leader lives. Longer
  // than leaseDuration + retryPeriod, so a standby that misjudged expiry would have acted.
  std::this_thread::sleep_for(20s);
  CheckOneActive(*client, ns, lease, *leader, *standby, "2");

  // SIGKILL: no release. The standby must take over within leaseDuration + retryPeriod.
  const auto kill_at = Clock::now();
  CHECK(leader->Stop(SIGKILL) == 128 + SIGKILL);
  auto killed_takeover = TimeUntilHolder(*client, lease, *standby, kill_at, 60s);
  INFO("standby log tail:\n" << standby->LogTail());
  REQUIRE(killed_takeover);
  WARN("takeover after SIGKILL of the leader: " << Seconds(*killed_takeover) << " s (bound 17 s)");
  // The bound plus the measurement's resolution (one 25 ms poll plus one GET).
  CHECK(*killed_takeover <= 17s + 150ms);
  // Not too early either: the standby waits a full lease duration after the last renewal
  // it saw, and that renewal was about one retryPeriod (2 s) at most before the kill.
  CHECK(*killed_takeover >= 12s);

  // The new leader reconciles; a fresh standby joins and stays idle.
  Candidate* new_leader = standby;
  auto c = std::make_unique<Candidate>(kubeconfig, dir, "le-c", ns, lease);
  REQUIRE(Eventually([&] { return c->MasterStatus(lease).has_value(); }, 30s));
  CheckOneActive(*client, ns, lease, *new_leader, *c, "3");

  // SIGTERM: the leader drains, releases the Lease (empty holder, 1 s), and exits 0; the
  // standby sees the free Lease at its next poll (< 2 s).
  const auto term_at = Clock::now();
  CHECK(new_leader->Stop(SIGTERM) == 0);
  const auto exited_after = Clock::now() - term_at;
  auto released_takeover = TimeUntilHolder(*client, lease, *c, term_at, 60s);
  INFO("old leader log tail:\n" << new_leader->LogTail());
  REQUIRE(released_takeover);
  WARN("takeover after SIGTERM of the leader: " << Seconds(*released_takeover) << " s (leader exited after "
                                                << Seconds(exited_after) << " s)");
  CHECK(new_leader->Log().find("Released leader lease") != std::string::npos);
  CHECK(*released_takeover <= 6s);
  auto l = client->Get(kube::resources::kLeases, lease.ns, lease.name);
  CHECK(l["spec"].value("leaseTransitions", 0) >= 2);
  CHECK(l["spec"].value("leaseDurationSeconds", 0) == 15);  // the new holder's duration
  SetSource(*client, ns, "4");
  CHECK(Eventually([&] { return MirroredBy(*client, ns, "4", *c); }, 30s));
  CHECK(c->MasterStatus(lease) == 1.0);

  // The source carries the mirror's finalizer: delete it while an operator still runs, so
  // the namespace does not hang in Terminating.
  client->Delete(kube::resources::kConfigMaps, ns, "src");
  CHECK(Eventually([&] { return !client->GetOrNull(kube::resources::kConfigMaps, ns, "src"); }, 30s));
  c->Stop(SIGTERM);
  client->Delete(kube::resources::kLeases, lease.ns, lease.name);
  client->Delete(kube::resources::kNamespaces, "", ns);
}

// The informer caches objects without metadata.managedFields (memory: see
// tests/bench/informer_bench.sh); writing a cached object back keeps the server's.
TEST_CASE("informer cache drops managedFields; a PUT of a cached object keeps them on the server",
          "[e2e][kube][informer]") {
  auto& cluster = test::LocalCluster::Shared();
  auto client = ClientFor(cluster);
  const std::string ns = NewNamespace(*client, "strip");
  kube::ApplyOptions ao;
  ao.field_manager = "e2e-user";
  client->Apply(kube::resources::kConfigMaps, ns, ConfigMap(ns, "cm", {{"v", "1"}}), ao);

  kube::Informer inf(client, kube::resources::kConfigMaps, ns);
  inf.Start();
  REQUIRE(inf.WaitForSync(std::stop_token{}, 30s));
  auto listed = inf.store()->Get(ns, "cm");
  REQUIRE(listed);
  CHECK_FALSE((*listed)["metadata"].contains("managedFields"));
  CHECK((*listed)["metadata"].contains("resourceVersion"));

  // Through the watch too, and the write-back of a cached object.
  kube::Json changed = *listed;
  changed["data"]["v"] = "2";
  client->Update(kube::resources::kConfigMaps, ns, changed);
  REQUIRE(Eventually([&] { auto o = inf.store()->Get(ns, "cm"); return o && (*o)["data"].value("v", "") == "2"; }, 30s));
  CHECK_FALSE((*inf.store()->Get(ns, "cm"))["metadata"].contains("managedFields"));
  auto server = client->Get(kube::resources::kConfigMaps, ns, "cm");
  bool applied_by_user = false;
  for (const auto& mf : server["metadata"]["managedFields"]) {
    if (mf.value("manager", "") == "e2e-user" && mf.value("operation", "") == "Apply") applied_by_user = true;
  }
  CHECK(applied_by_user);
  inf.Stop();
  client->Delete(kube::resources::kNamespaces, "", ns);
}
