#pragma once
// One read of everything the operator keeps right about a tenant on the admin connection
// (roles, memberships, the database, its owner, connection limit, comment and PUBLIC
// privileges), and the pure plan of writes that makes it right. Run on every reconcile
// and on each periodic resync: one round trip, writes only where the state differs.
#include <string>
#include <vector>

#include "operator/database/executor.hpp"
#include "operator/database/statements.hpp"

namespace tenant::database {

struct RoleState {
  bool exists = false;
  bool can_login = false;
  bool member_of_owner = false;  // login roles: member of the owner role
  bool admin_member = false;     // the admin (current_user) is a member of this role
};

struct TenantDbState {
  bool admin_superuser = false;
  RoleState owner, login_a, login_b;
  bool database_exists = false;
  std::string database_owner;
  int connection_limit = -1;
  std::string comment;
  bool public_has_privileges = false;  // PUBLIC has any right on the database
  bool owner_can_connect = false;      // the owner role has CONNECT
};

// Maintenance database. One row; columns parsed by ParseTenantDbState.
Statement ObserveTenantDb(const TenantNames& n);
TenantDbState ParseTenantDbState(const Rows& rows);

struct DesiredDb {
  int connection_limit = 50;
  std::string comment;
};

// Writes in execution order. `roles` and `after_create` are utility statements without
// parameters that may run together as one script (one round trip, one implicit
// transaction); CREATE DATABASE cannot run inside a transaction, so it is on its own.
struct DbPlan {
  std::vector<Statement> roles;
  bool create_database = false;
  std::vector<Statement> database;  // after CREATE DATABASE (or repairs of an existing one)
  std::vector<std::string> created_roles;
  std::vector<std::string> repaired;  // human descriptions for the Event
  bool empty() const { return roles.empty() && !create_database && database.empty(); }
};

// Pure. A non-superuser admin (CREATEROLE + CREATEDB, as on managed PostgreSQL) is made a
// member of the owner role (needed to create a database owned by it and to SET ROLE for
// migrations on PostgreSQL 15+) and of the login roles (needed to end their sessions on
// rotation and deletion).
DbPlan PlanTenantDb(const TenantNames& n, const TenantDbState& s, const DesiredDb& want);

// GRANT "<role>" TO CURRENT_USER.
Statement GrantRoleToAdmin(std::string_view role);
Statement SetLogin(std::string_view role, bool login);
Statement AlterDatabaseOwner(const TenantNames& n);
Statement GrantDatabaseToOwner(const TenantNames& n);

}  // namespace tenant::database
