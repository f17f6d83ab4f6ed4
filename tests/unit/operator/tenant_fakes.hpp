#pragma once
// Fakes of the two small I/O interfaces of the Tenant controller, for unit tests of its
// decisions: an in-memory "API server" backed by the same Stores the reconciler reads as
// caches, and an in-memory PostgreSQL model driven by Statement::action. Both count writes.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>

#include "common/migrations/migration_set.hpp"
#include "common/pg/error.hpp"
#include "operator/api/resources.hpp"
#include "operator/controller/tenant_indexes.hpp"
#include "operator/database/executor.hpp"
#include "operator/kube/client.hpp"
#include "operator/kube/errors.hpp"
#include "operator/kube/events.hpp"
#include "operator/kube/objects.hpp"
#include "operator/kube/store.hpp"

namespace tenant::test {

using nlohmann::json;

class FakeClient final : public kube::Client {
 public:
  std::map<std::string, std::shared_ptr<kube::Store>> stores;  // by resource plural
  int writes = 0;
  int gets = 0;
  std::vector<std::string> log;  // "apply secrets acme-db", ...
  long long next_rv = 100;
  bool deployments_become_available = true;

  std::shared_ptr<kube::Store> StoreFor(const kube::Resource& r) {
    auto& s = stores[r.resource];
    if (!s) {
      // The Tenant cache needs the operator's indexes (tenant_indexes.hpp).
      s = r.resource == api::kTenants.resource ? std::make_shared<kube::Store>(controller::TenantStoreOptions())
                                               : std::make_shared<kube::Store>();
      s->MarkSynced();
    }
    return s;
  }

  json Get(const kube::Resource& r, std::string_view ns, std::string_view name) override {
    ++gets;
    auto o = StoreFor(r)->Get(r.namespaced ? ns : "", name);
    if (!o) kube::ThrowStatus(kube::Status{404, "NotFound", std::string(name) + " not found", {}, {}});
    return *o;
  }
  json List(const kube::Resource& r, std::string_view, const kube::ListOptions&) override {
    json items = json::array();
    for (const auto& o : StoreFor(r)->List()) items.push_back(*o);
    return json{{"items", items}, {"metadata", {{"resourceVersion", std::to_string(next_rv)}}}};
  }
  json Create(const kube::Resource& r, std::string_view ns, const json& obj) override {
    return Store(r, ns, obj, "create");
  }
  json Update(const kube::Resource& r, std::string_view ns, const json& obj) override {
    return Store(r, ns, obj, "update");
  }
  json UpdateStatus(const kube::Resource& r, std::string_view ns, const json& obj) override {
    ++writes;
    json cur = Get(r, ns, kube::Name(obj));
    --gets;
    cur["status"] = obj["status"];
    cur["metadata"]["resourceVersion"] = std::to_string(++next_rv);
    log.push_back("status " + r.resource + " " + kube::Name(obj));
    StoreFor(r)->Upsert(cur);
    return cur;
  }
  json Patch(const kube::Resource& r, std::string_view ns, std::string_view name, kube::PatchType type,
             const json& patch, std::string_view, std::string_view) override {
    ++writes;
    json cur = Get(r, ns, name);
    --gets;
    if (type == kube::PatchType::kJsonPatch) {
      try {
        cur = cur.patch(patch);
      } catch (const json::exception& e) {  // a failed "test" op: the API server answers 409
        kube::ThrowStatus(kube::Status{409, "Conflict", e.what(), {}, {}});
      }
    } else {
      cur.merge_patch(patch);
    }
    cur["metadata"]["resourceVersion"] = std::to_string(++next_rv);
    log.push_back("patch " + r.resource + " " + std::string(name));
    // A finalizer removed from an object being deleted lets it go.
    if (cur["metadata"].contains("deletionTimestamp") &&
        (!cur["metadata"].contains("finalizers") || cur["metadata"]["finalizers"].empty())) {
      StoreFor(r)->Remove(kube::ObjectKey(cur));
      return cur;
    }
    StoreFor(r)->Upsert(cur);
    return cur;
  }
  json Apply(const kube::Resource& r, std::string_view ns, const json& obj, const kube::ApplyOptions&) override {
    return Store(r, ns, obj, "apply");
  }
  void Delete(const kube::Resource& r, std::string_view ns, std::string_view name, const kube::DeleteOptions&) override {
    ++writes;
    log.push_back("delete " + r.resource + " " + std::string(name));
    if (!StoreFor(r)->Remove(kube::MakeKey(r.namespaced ? ns : "", name))) {
      kube::ThrowStatus(kube::Status{404, "NotFound", "not found", {}, {}});
    }
  }
  void Watch(const kube::Resource&, std::string_view, const kube::WatchOptions&, const kube::WatchHandler&,
             std::stop_token) override {}

  int CountLog(const std::string& prefix) const {
    int n = 0;
    for (const auto& l : log) n += l.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

 private:
  json Store(const kube::Resource& r, std::string_view ns, json obj, const std::string& verb) {
    ++writes;
    log.push_back(verb + " " + r.resource + " " + kube::Name(obj));
    if (r.namespaced) obj["metadata"]["namespace"] = std::string(ns);
    auto prev = StoreFor(r)->Get(kube::ObjectKey(obj));
    obj["metadata"]["uid"] = prev ? (*prev)["metadata"]["uid"] : json("uid-" + kube::Name(obj));
    long long gen = prev ? (*prev)["metadata"].value("generation", 1LL) : 0;
    obj["metadata"]["generation"] = gen + 1;
    obj["metadata"]["resourceVersion"] = std::to_string(++next_rv);
    if (r.resource == "deployments" && deployments_become_available) {
      long long replicas = obj["spec"].value("replicas", 1LL);
      obj["status"] = {{"observedGeneration", gen + 1},   {"replicas", replicas},
                       {"updatedReplicas", replicas},     {"readyReplicas", replicas},
                       {"availableReplicas", replicas},
                       {"conditions", json::array({{{"type", "Available"}, {"status", "True"}}})}};
    }
    StoreFor(r)->Upsert(obj);
    return obj;
  }
};

class FakeEvents final : public kube::EventRecorder {
 public:
  std::vector<std::string> reasons;
  void Event(const json&, kube::EventType, std::string_view reason, std::string_view, std::string_view) override {
    reasons.emplace_back(reason);
  }
  bool Has(const std::string& r) const { return std::find(reasons.begin(), reasons.end(), r) != reasons.end(); }
};

// A PostgreSQL server as the statements see it.
class FakeExecutor final : public database::SqlExecutor {
 public:
  struct Role {
    bool member = false;
    std::string verifier;  // "" = no password
  };
  struct Database {
    std::string owner;
    int connlimit = -1;
    std::string comment;
    bool public_privileges = true;
    std::string schema_owner = "pg_database_owner";
    bool public_schema_privileges = true;
    int schema_version = 0;
    int users = 0;
    std::vector<std::string> user_hashes;  // bcrypt hashes of seeded users
    bool mismatch = false;
  };
  std::map<std::string, Role> roles;
  std::map<std::string, Database> databases;
  std::vector<std::string> executed;  // actions of write statements, in order
  int queries = 0;
  bool down = false;  // simulate an unreachable server
  bool admin_superuser = true;
  std::set<std::string> admin_member_of;  // roles granted to a non-superuser admin

  database::Rows Query(std::string_view db, const database::Statement& st) override {
    CheckUp();
    ++queries;
    database::Rows out;
    if (st.action == "ObserveTenantDb") {
      out.columns = {"admin_superuser", "owner_login", "a_login", "b_login", "a_member", "b_member",
                     "admin_owner", "admin_a", "admin_b", "datname", "database_owner", "datconnlimit",
                     "comment", "public_has_privileges", "owner_can_connect"};
      using Opt = std::optional<std::string>;
      auto tf = [](bool b) { return Opt(b ? "t" : "f"); };
      const std::string owner = st.params[0].value(), a = st.params[1].value(), b = st.params[2].value();
      auto login = [&](const std::string& r) { return roles.count(r) ? tf(r != owner) : Opt(); };
      auto member = [&](const std::string& r) { return roles.count(r) && roles.count(owner) ? tf(roles.at(r).member) : Opt(); };
      auto admin = [&](const std::string& r) {
        return roles.count(r) ? tf(admin_superuser || admin_member_of.count(r) > 0) : Opt();
      };
      std::vector<Opt> row = {tf(admin_superuser), login(owner), login(a), login(b), member(a), member(b),
                              admin(owner), admin(a), admin(b)};
      auto it = databases.find(st.params[3].value());
      if (it == databases.end()) {
        for (int i = 0; i < 6; ++i) row.push_back(Opt());
      } else {
        row.push_back(it->first);
        row.push_back(it->second.owner);
        row.push_back(std::to_string(it->second.connlimit));
        row.push_back(it->second.comment.empty() ? Opt() : Opt(it->second.comment));
        row.push_back(tf(it->second.public_privileges));
        row.push_back(tf(true));
      }
      out.rows.push_back(row);
    } else if (st.action == "SelectPublicSchema") {
      auto& d = databases.at(std::string(db));
      out.columns = {"public_has_privileges", "owner"};
      out.rows.push_back({d.public_schema_privileges ? "t" : "f", d.schema_owner});
    } else if (st.action == "SeedFirstAdmin") {  // a write that returns the new id
      executed.push_back(st.action);
      if (st.params.at(1).value().rfind("$2b$", 0) != 0) throw std::logic_error("not a bcrypt hash");
      auto& d = databases.at(std::string(db));
      out.columns = {"id"};
      if (d.users == 0) {  // first-user form: only into an empty users table
        d.users++;
        d.user_hashes.push_back(st.params.at(1).value());
        out.rows.push_back({"1"});
      }
    } else if (st.action == "CountUsers") {
      out.columns = {"count", "audit_log"};
      out.rows.push_back({std::to_string(databases.at(std::string(db)).users), "t"});
    } else if (st.action == "SelectServerInfo") {
      out.columns = {"server_version", "is_superuser"};
      out.rows.push_back({"15.99", "t"});
    } else {
      throw std::logic_error("unexpected query " + st.action);
    }
    return out;
  }

  void Execute(std::string_view db, const database::Statement& st) override {
    CheckUp();
    executed.push_back(st.action);
    const std::string& a = st.action;
    auto ident = [&](std::size_t nth) {  // nth double-quoted identifier in the SQL
      std::size_t pos = 0;
      for (std::size_t i = 0; i <= nth; ++i) {
        pos = st.sql.find('"', pos);
        if (pos == std::string::npos) throw std::logic_error("no identifier in " + st.sql);
        if (i < nth) pos = st.sql.find('"', pos + 1) + 1;
      }
      auto end = st.sql.find('"', pos + 1);
      return st.sql.substr(pos + 1, end - pos - 1);
    };
    if (a == "CreateOwnerRole") {
      roles[ident(0)] = Role{};
    } else if (a == "CreateLoginRole") {
      roles[ident(0)] = Role{true, ""};
    } else if (a == "GrantRoleToAdmin") {
      if (!roles.count(ident(0))) throw std::logic_error("GRANT of a missing role " + ident(0));
      admin_member_of.insert(ident(0));
    } else if (a == "CreateDatabase" && !admin_superuser && !admin_member_of.count(ident(1))) {
      throw pg::Error("must be able to SET ROLE \"" + ident(1) + "\"", "42501");
    } else if (a == "GrantOwnerRole") {
      roles[ident(1)].member = true;
    } else if (a == "SetPassword") {
      roles.at(ident(0)).verifier = st.sql.substr(st.sql.find("PASSWORD '") + 10);
    } else if (a == "RemovePassword") {
      roles.at(ident(0)).verifier.clear();
    } else if (a == "CreateDatabase") {
      Database d;
      d.owner = ident(1);
      d.connlimit = std::stoi(st.sql.substr(st.sql.rfind(' ') + 1));
      databases[ident(0)] = d;
    } else if (a == "SetConnectionLimit") {
      databases.at(ident(0)).connlimit = std::stoi(st.sql.substr(st.sql.rfind(' ') + 1));
    } else if (a == "RevokeDatabaseFromPublic") {
      databases.at(ident(0)).public_privileges = false;
    } else if (a == "CommentOnDatabase") {
      auto start = st.sql.find(" IS '") + 5;
      databases.at(ident(0)).comment = st.sql.substr(start, st.sql.size() - start - 1);
    } else if (a == "AlterPublicSchemaOwner") {
      databases.at(std::string(db)).schema_owner = ident(0);
    } else if (a == "RevokePublicSchemaFromPublic") {
      databases.at(std::string(db)).public_schema_privileges = false;
    } else if (a == "DropDatabase") {
      databases.erase(ident(0));
    } else if (a == "DropRole") {
      roles.erase(ident(0));
    }
    // TerminateSessions, TerminateBackends, RevokeConnect, ReassignOwned, DropOwned: no state.
  }

  std::string ScramVerifier(std::string_view role, std::string_view password) override {
    return "SCRAM-SHA-256$fake:" + std::string(role) + ":" + std::string(password);
  }

  migrations::Status SchemaStatus(std::string_view db) override {
    CheckUp();
    ++queries;
    const auto& d = databases.at(std::string(db));
    migrations::Status s;
    s.current_version = d.schema_version;
    s.latest_version = migrations::Embedded().latest();
    for (const auto& m : migrations::Embedded().migrations()) {
      migrations::MigrationStatus ms;
      ms.version = m.version;
      ms.name = m.name;
      ms.state = m.version <= d.schema_version ? migrations::State::kApplied : migrations::State::kPending;
      if (d.mismatch && m.version == 1) {
        ms.state = migrations::State::kMismatched;
        ms.expected_checksum = m.checksum;
        ms.applied_checksum = std::string(64, '0');
      }
      s.migrations.push_back(ms);
    }
    return s;
  }

  database::MigrationOutcome Migrate(std::string_view db, std::string_view, int target, bool allow_downgrade) override {
    CheckUp();
    auto& d = databases.at(std::string(db));
    if (target < d.schema_version && !allow_downgrade) throw migrations::DowngradeNotAllowed(d.schema_version, target);
    executed.push_back("Migrate");
    database::MigrationOutcome out{d.schema_version, target, std::abs(target - d.schema_version)};
    d.schema_version = target;
    return out;
  }

  std::string PasswordOf(const std::string& role) const {
    const auto& v = roles.at(role).verifier;
    auto pos = v.rfind(':');
    return pos == std::string::npos ? "" : v.substr(pos + 1, v.size() - pos - 2);  // strip trailing quote
  }

 private:
  void CheckUp() const {
    if (down) throw pg::ConnectionError("connection refused", "08006");
  }
};

}  // namespace tenant::test
