#include "operator/database/tenant_state.hpp"

#include "common/pg/quote.hpp"

namespace tenant::database {

using pg::QuoteIdentifier;

Statement ObserveTenantDb(const TenantNames& n) {
  // NULL columns mean "role/database missing". pg_has_role is true for a superuser.
  return {"WITH r AS (SELECT oid, rolname, rolcanlogin FROM pg_roles WHERE rolname IN ($1, $2, $3)), "
          "o AS (SELECT oid FROM r WHERE rolname = $1) "
          "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS admin_superuser, "
          "(SELECT rolcanlogin FROM r WHERE rolname = $1) AS owner_login, "
          "(SELECT rolcanlogin FROM r WHERE rolname = $2) AS a_login, "
          "(SELECT rolcanlogin FROM r WHERE rolname = $3) AS b_login, "
          "(SELECT pg_has_role(r.oid, o.oid, 'MEMBER') FROM r, o WHERE r.rolname = $2) AS a_member, "
          "(SELECT pg_has_role(r.oid, o.oid, 'MEMBER') FROM r, o WHERE r.rolname = $3) AS b_member, "
          "(SELECT pg_has_role(current_user, r.oid, 'MEMBER') FROM r WHERE r.rolname = $1) AS admin_owner, "
          "(SELECT pg_has_role(current_user, r.oid, 'MEMBER') FROM r WHERE r.rolname = $2) AS admin_a, "
          "(SELECT pg_has_role(current_user, r.oid, 'MEMBER') FROM r WHERE r.rolname = $3) AS admin_b, "
          "d.datname, pg_get_userbyid(d.datdba) AS database_owner, d.datconnlimit, "
          "shobj_description(d.oid, 'pg_database') AS comment, "
          // datacl NULL means default privileges, which include CONNECT/TEMP for PUBLIC (grantee 0).
          "(d.datacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0)) "
          "AS public_has_privileges, "
          "has_database_privilege((SELECT oid FROM o), d.oid, 'CONNECT') AS owner_can_connect "
          "FROM (SELECT 1) AS one LEFT JOIN pg_database d ON d.datname = $4",
          {n.owner_role, n.login_a, n.login_b, n.database},
          "ObserveTenantDb"};
}

TenantDbState ParseTenantDbState(const Rows& rows) {
  TenantDbState s;
  if (rows.empty()) return s;
  s.admin_superuser = rows.Bool(0, "admin_superuser");
  auto role = [&](const char* login, const char* member, const char* admin) {
    RoleState r;
    r.exists = rows.Get(0, login).has_value();
    r.can_login = rows.Bool(0, login);
    r.member_of_owner = member != nullptr && rows.Bool(0, member);
    r.admin_member = rows.Bool(0, admin);
    return r;
  };
  s.owner = role("owner_login", nullptr, "admin_owner");
  s.login_a = role("a_login", "a_member", "admin_a");
  s.login_b = role("b_login", "b_member", "admin_b");
  s.database_exists = rows.Get(0, "datname").has_value();
  if (s.database_exists) {
    s.database_owner = rows.Get(0, "database_owner").value_or("");
    s.connection_limit = static_cast<int>(rows.Int(0, "datconnlimit", -1));
    s.comment = rows.Get(0, "comment").value_or("");
    s.public_has_privileges = rows.Bool(0, "public_has_privileges");
    s.owner_can_connect = rows.Bool(0, "owner_can_connect");
  }
  return s;
}

Statement GrantRoleToAdmin(std::string_view role) {
  return {"GRANT " + QuoteIdentifier(role) + " TO CURRENT_USER", {}, "GrantRoleToAdmin"};
}

Statement SetLogin(std::string_view role, bool login) {
  return {"ALTER ROLE " + QuoteIdentifier(role) + (login ? " LOGIN" : " NOLOGIN"), {}, "SetLogin"};
}

Statement AlterDatabaseOwner(const TenantNames& n) {
  return {"ALTER DATABASE " + QuoteIdentifier(n.database) + " OWNER TO " + QuoteIdentifier(n.owner_role), {},
          "AlterDatabaseOwner"};
}

Statement GrantDatabaseToOwner(const TenantNames& n) {
  return {"GRANT ALL ON DATABASE " + QuoteIdentifier(n.database) + " TO " + QuoteIdentifier(n.owner_role), {},
          "GrantDatabaseToOwner"};
}

DbPlan PlanTenantDb(const TenantNames& n, const TenantDbState& s, const DesiredDb& want) {
  DbPlan p;
  const bool need_admin_grants = !s.admin_superuser;
  if (!s.owner.exists) {
    p.roles.push_back(CreateOwnerRole(n));
    p.created_roles.push_back(n.owner_role);
  } else if (s.owner.can_login) {
    p.roles.push_back(SetLogin(n.owner_role, false));
    p.repaired.push_back("NOLOGIN of " + n.owner_role);
  }
  if (need_admin_grants && (!s.owner.exists || !s.owner.admin_member)) p.roles.push_back(GrantRoleToAdmin(n.owner_role));
  for (const auto& [name, r] : {std::pair{&n.login_a, &s.login_a}, std::pair{&n.login_b, &s.login_b}}) {
    if (!r->exists) {
      // No password yet: EnsureCredentials sets one on the role the Secret points at.
      p.roles.push_back(CreateLoginRole(n, *name, ""));
      p.created_roles.push_back(*name);
    } else {
      if (!r->can_login) {
        p.roles.push_back(SetLogin(*name, true));
        p.repaired.push_back("LOGIN of " + *name);
      }
      if (!r->member_of_owner) {
        p.roles.push_back(GrantOwnerTo(n, *name));
        p.repaired.push_back("membership of " + *name);
      }
    }
    if (need_admin_grants && (!r->exists || !r->admin_member)) p.roles.push_back(GrantRoleToAdmin(*name));
  }
  if (!s.database_exists) {
    p.create_database = true;
    p.database.push_back(RevokeDatabaseFromPublic(n));
    p.database.push_back(CommentOnDatabase(n, want.comment));
    return p;
  }
  if (s.database_owner != n.owner_role) {
    p.database.push_back(AlterDatabaseOwner(n));
    p.repaired.push_back("owner " + n.owner_role);
  }
  if (s.connection_limit != want.connection_limit) {
    p.database.push_back(SetConnectionLimit(n, want.connection_limit));
    p.repaired.push_back("connection limit " + std::to_string(want.connection_limit));
  }
  if (s.public_has_privileges) {
    p.database.push_back(RevokeDatabaseFromPublic(n));
    p.repaired.push_back("privileges of PUBLIC");
  }
  if (!s.owner_can_connect && s.owner.exists && s.database_owner == n.owner_role) {
    p.database.push_back(GrantDatabaseToOwner(n));
    p.repaired.push_back("privileges of " + n.owner_role);
  }
  if (s.comment != want.comment) {
    p.database.push_back(CommentOnDatabase(n, want.comment));
    p.repaired.push_back("comment");
  }
  if (!p.created_roles.empty()) {
    std::string list;
    for (const auto& r : p.created_roles) list += (list.empty() ? "" : ", ") + r;
    p.repaired.push_back("missing role(s) " + list);
  }
  return p;
}

}  // namespace tenant::database
