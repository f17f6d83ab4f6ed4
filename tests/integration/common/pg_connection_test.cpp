#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/pg/conninfo.hpp"
#include "common/pg/connection.hpp"
#include "common/pg/quote.hpp"
#include "common/pg/scram.hpp"
#include "common/pg/transaction.hpp"
#include "tests/integration/common/pg_test_db.hpp"

namespace pg = tenant::pg;
using tenant::test::ConnectTo;
using tenant::test::PostgresServer;
using tenant::test::ScratchDatabase;
using tenant::test::UniqueName;

TEST_CASE("connects over TLS with verify-full and reports the server", "[pg][integration]") {
  auto conn = ConnectTo();
  CHECK(conn.IsOpen());
  CHECK(conn.Ping());
  CHECK(conn.ServerVersion() >= 150000);
  CHECK(conn.Host() == PostgresServer::Shared().host());
  CHECK(conn.Port() == std::to_string(PostgresServer::Shared().port()));
  CHECK(conn.Database() == "postgres");
  const auto r = conn.Exec("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  REQUIRE(r.rows() == 1);
  CHECK(r.Bool(0, "ssl"));
  CHECK(conn.Exec("SHOW client_encoding").Value(0, 0) == "UTF8");
  CHECK(conn.TransactionStatus() == PQTRANS_IDLE);
}

TEST_CASE("bound parameters carry quotes, backslashes, NULL and unicode verbatim",
          "[pg][integration]") {
  auto conn = ConnectTo();
  const std::vector<std::string> values = {
      "O'Brien", "back\\slash", "\"double\"", "'); DROP TABLE users; --", "ü€😀 日本",
      "line\nbreak\ttab", "", "$1 $2", std::string(10000, 'x')};
  for (const auto& v : values) {
    INFO(v.substr(0, 40));
    const auto r = conn.Exec("SELECT $1::text AS v, length($1::text) AS n", {v});
    CHECK(r.Value(0, "v") == v);
    CHECK(r.Int64(0, "n") == static_cast<std::int64_t>(
                                 std::count_if(v.begin(), v.end(), [](unsigned char c) {
                                   return (c & 0xC0) != 0x80;  // UTF-8 characters
                                 })));
  }
  const auto r = conn.Exec("SELECT $1::text AS a, $2::int AS b, $3::bool AS c, $4::text IS NULL AS d",
                           {std::nullopt, 42, true, std::optional<std::string>()});
  CHECK(r.IsNull(0, "a"));
  CHECK_FALSE(r.Optional(0, "a").has_value());
  CHECK_THROWS_AS(r.Value(0, "a"), std::logic_error);
  CHECK(r.Int64(0, "b") == 42);
  CHECK(r.Bool(0, "c"));
  CHECK(r.Bool(0, "d"));
}

TEST_CASE("result accessors and affected rows", "[pg][integration]") {
  auto conn = ConnectTo();
  conn.Exec("CREATE TEMP TABLE items (id int PRIMARY KEY, name text, qty int)");
  auto ins = conn.Exec("INSERT INTO items VALUES (1, 'a', 5), (2, 'b', 0), (3, NULL, 7)");
  CHECK(ins.AffectedRows() == 3);
  CHECK(ins.CommandTag() == "INSERT 0 3");
  CHECK(conn.Exec("UPDATE items SET qty = qty + 1 WHERE qty > $1", {1}).AffectedRows() == 2);
  CHECK(conn.Exec("DELETE FROM items WHERE id = $1", {99}).AffectedRows() == 0);
  const auto r = conn.Exec("SELECT id, name AS \"Name\", qty FROM items ORDER BY id");
  CHECK(r.rows() == 3);
  CHECK(r.columns() == 3);
  CHECK(r.ColumnName(1) == "Name");
  CHECK(r.ColumnIndex("Name") == 1);
  CHECK_THROWS_AS(r.ColumnIndex("name"), std::out_of_range);  // exact match, no case folding
  CHECK(r.Value(0, "Name") == "a");
  CHECK(r.IsNull(2, 1));
  CHECK(r.Int64(1, "qty") == 0);
  CHECK_THROWS_AS(r.Value(3, 0), std::out_of_range);
  CHECK_THROWS_AS(r.Int64(0, "Name"), std::invalid_argument);
  CHECK(r.AffectedRows() == 3);
}

namespace {

template <typename E>
E Expect(pg::Connection& conn, const std::string& sql, const pg::Params& params = {}) {
  try {
    conn.Exec(sql, params);
  } catch (const E& e) {
    return e;
  } catch (const pg::Error& e) {
    FAIL("wrong error type for `" << sql << "`: " << e.what());
  }
  FAIL("no error for `" << sql << "`");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("server errors map to typed errors with SQLSTATE and fields", "[pg][integration]") {
  auto conn = ConnectTo();
  conn.Exec("CREATE TEMP TABLE parent (id int PRIMARY KEY)");
  conn.Exec(
      "CREATE TEMP TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id), "
      "sku text NOT NULL CONSTRAINT child_sku_key UNIQUE, qty int CHECK (qty >= 0))");
  conn.Exec("INSERT INTO parent VALUES (1)");
  conn.Exec("INSERT INTO child VALUES (1, 1, 'A', 1)");

  auto uv = Expect<pg::UniqueViolation>(conn, "INSERT INTO child VALUES (2, 1, $1, 1)", {"A"});
  CHECK(uv.sqlstate() == "23505");
  CHECK(uv.fields().constraint == "child_sku_key");
  CHECK(uv.fields().table == "child");
  CHECK(Expect<pg::ForeignKeyViolation>(conn, "INSERT INTO child VALUES (3, 9, 'B', 1)").sqlstate() == "23503");
  CHECK(Expect<pg::NotNullViolation>(conn, "INSERT INTO child VALUES (4, 1, NULL, 1)").fields().column == "sku");
  CHECK(Expect<pg::CheckViolation>(conn, "INSERT INTO child VALUES (5, 1, 'C', -1)").sqlstate() == "23514");
  CHECK(Expect<pg::SyntaxError>(conn, "SELEC 1").sqlstate() == "42601");
  CHECK(Expect<pg::UndefinedObject>(conn, "SELECT * FROM no_such_table").sqlstate() == "42P01");
  CHECK(Expect<pg::DataException>(conn, "SELECT 1 / 0").sqlstate() == "22012");
  CHECK(Expect<pg::DataException>(conn, "SELECT $1::int", {"nope"}).sqlstate() == "22P02");
  // The extended protocol refuses multi-statement strings (one more guard against injection).
  CHECK(Expect<pg::SyntaxError>(conn, "SELECT 1; SELECT 2").sqlstate() == "42601");
  // Still usable after errors outside a transaction.
  CHECK(conn.Exec("SELECT 1").Int64(0, 0) == 1);
}

TEST_CASE("statement_timeout and Cancel() both raise QueryCanceled", "[pg][integration]") {
  auto conn = ConnectTo();
  conn.Exec("SET statement_timeout = 100");
  CHECK(Expect<pg::QueryCanceled>(conn, "SELECT pg_sleep(10)").sqlstate() == "57014");
  conn.Exec("SET statement_timeout = 0");

  auto canceled = std::async(std::launch::async, [&conn] {
    return Expect<pg::QueryCanceled>(conn, "SELECT pg_sleep(30)");
  });
  // Cancel until the sleep is running (the request is a no-op before it starts).
  auto watcher = ConnectTo();
  for (int i = 0; i < 200; ++i) {
    const auto r = watcher.Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'");
    if (r.Int64(0, 0) > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(conn.Cancel());
  CHECK(canceled.get().sqlstate() == "57014");
  CHECK(conn.IsOpen());
}

TEST_CASE("privilege, lock, serialization and deadlock errors", "[pg][integration]") {
  ScratchDatabase db;
  auto a = db.Connect();
  auto b = db.Connect();
  a.Exec("CREATE TABLE t (id int PRIMARY KEY, v int)");
  a.Exec("INSERT INTO t VALUES (1, 0), (2, 0)");

  SECTION("insufficient privilege") {
    const std::string role = UniqueName("nopriv");
    a.Exec("CREATE ROLE " + pg::QuoteIdentifier(role) + " NOLOGIN");
    a.Exec("SET ROLE " + pg::QuoteIdentifier(role));
    CHECK(Expect<pg::InsufficientPrivilege>(a, "SELECT * FROM t").sqlstate() == "42501");
    a.Exec("RESET ROLE");
    a.Exec("DROP ROLE " + pg::QuoteIdentifier(role));
  }
  SECTION("lock not available") {
    pg::Transaction holder(a);
    holder.Exec("SELECT * FROM t WHERE id = 1 FOR UPDATE");
    pg::Transaction tx(b);
    CHECK(Expect<pg::LockNotAvailable>(b, "SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT").sqlstate() == "55P03");
    CHECK(b.TransactionStatus() == PQTRANS_INERROR);
  }
  SECTION("serialization failure") {
    a.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
    b.Exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
    a.Exec("SELECT sum(v) FROM t");
    b.Exec("SELECT sum(v) FROM t");
    a.Exec("UPDATE t SET v = v + 1 WHERE id = 1");
    b.Exec("UPDATE t SET v = v + 1 WHERE id = 2");
    a.Exec("COMMIT");
    try {
      b.Exec("COMMIT");
      FAIL("second serializable commit succeeded");
    } catch (const pg::SerializationFailure& e) {
      CHECK(e.sqlstate() == "40001");
      CHECK(pg::IsTransient(e));
    }
  }
  SECTION("deadlock detected") {
    a.Exec("SET deadlock_timeout = '100ms'");
    b.Exec("SET deadlock_timeout = '100ms'");
    a.Exec("BEGIN");
    b.Exec("BEGIN");
    a.Exec("UPDATE t SET v = 1 WHERE id = 1");
    b.Exec("UPDATE t SET v = 1 WHERE id = 2");
    auto first = std::async(std::launch::async, [&a]() -> std::optional<std::string> {
      try {
        a.Exec("UPDATE t SET v = 2 WHERE id = 2");
        return std::nullopt;
      } catch (const pg::DeadlockDetected& e) {
        return e.sqlstate();
      }
    });
    std::optional<std::string> second;
    // Give `a` time to block on row 2 first (the detector picks either victim anyway).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    try {
      b.Exec("UPDATE t SET v = 2 WHERE id = 1");
    } catch (const pg::DeadlockDetected& e) {
      second = e.sqlstate();
    }
    // Exactly one victim; release the survivor's locks so the other side finishes.
    if (second) {
      b.Exec("ROLLBACK");
      CHECK_FALSE(first.get().has_value());
      a.Exec("ROLLBACK");
    } else {
      const auto f = first.get();
      a.Exec("ROLLBACK");
      b.Exec("ROLLBACK");
      REQUIRE(f.has_value());
      second = f;
    }
    CHECK(*second == "40P01");
  }
}

TEST_CASE("transaction guard commits, rolls back on scope exit and after errors",
          "[pg][integration]") {
  auto conn = ConnectTo();
  conn.Exec("CREATE TEMP TABLE tx (v text)");
  {
    pg::Transaction tx(conn);
    tx.Exec("INSERT INTO tx VALUES ($1)", {"kept"});
    CHECK(conn.TransactionStatus() == PQTRANS_INTRANS);
    tx.Commit();
  }
  {
    pg::Transaction tx(conn);
    tx.Exec("INSERT INTO tx VALUES ($1)", {"dropped"});
  }  // no Commit -> ROLLBACK
  try {
    pg::Transaction tx(conn);
    tx.Exec("INSERT INTO tx VALUES ($1)", {"dropped too"});
    tx.Exec("SELECT 1/0");
    tx.Commit();
  } catch (const pg::DataException&) {
  }
  CHECK(conn.TransactionStatus() == PQTRANS_IDLE);
  {
    pg::Transaction tx(conn, {pg::IsolationLevel::kSerializable, true});
    CHECK(tx.Exec("SHOW transaction_isolation").Value(0, 0) == "serializable");
    // (temp tables stay writable in read-only transactions; real tables do not)
    try {
      tx.Exec("CREATE TABLE read_only_must_fail (id int)");
      FAIL("DDL succeeded in a READ ONLY transaction");
    } catch (const pg::Error& e) {
      CHECK(e.sqlstate() == "25006");
    }
  }
  {
    pg::Transaction tx(conn);
    tx.Exec("INSERT INTO tx VALUES ('explicit rollback')");
    tx.Rollback();
    CHECK_FALSE(tx.active());
  }
  {
    pg::Transaction outer(conn);
    outer.Exec("INSERT INTO tx VALUES ('outer')");
    CHECK_THROWS_AS(pg::Transaction(conn), std::logic_error);  // nested: refused
    CHECK(conn.TransactionStatus() == PQTRANS_INTRANS);         // outer untouched
  }
  const auto r = conn.Exec("SELECT v FROM tx ORDER BY v");
  REQUIRE(r.rows() == 1);
  CHECK(r.Value(0, 0) == "kept");
}

TEST_CASE("prepared statements", "[pg][integration]") {
  auto conn = ConnectTo();
  CHECK_FALSE(conn.IsPrepared("get_name"));
  conn.Prepare("get_name", "SELECT $1::text || '-' || $2::int AS v");
  CHECK(conn.IsPrepared("get_name"));
  CHECK(conn.ExecPrepared("get_name", {"a'b", 7}).Value(0, "v") == "a'b-7");
  CHECK(conn.ExecPrepared("get_name", {std::nullopt, 1}).IsNull(0, 0));
  CHECK_THROWS_AS(conn.ExecPrepared("missing", {}), pg::Error);
  CHECK_THROWS_AS(conn.Prepare("bad", "SELEC"), pg::SyntaxError);
  CHECK_FALSE(conn.IsPrepared("bad"));
}

TEST_CASE("a terminated backend raises ConnectionError; Reset reconnects", "[pg][integration]") {
  auto conn = ConnectTo();
  conn.Prepare("one", "SELECT 1");
  const auto pid = conn.Exec("SELECT pg_backend_pid()").Int64(0, 0);
  auto admin = ConnectTo();
  CHECK(admin.Exec("SELECT pg_terminate_backend($1)", {pid}).Bool(0, 0));
  try {
    conn.Exec("SELECT 1");
    FAIL("query on a terminated session succeeded");
  } catch (const pg::ConnectionError& e) {
    CHECK(pg::IsTransient(e));
    CHECK(std::string(e.what()).find(PostgresServer::Shared().superuser_password()) == std::string::npos);
  }
  CHECK_FALSE(conn.IsOpen());
  CHECK_FALSE(conn.Ping());
  conn.Reset();
  CHECK(conn.IsOpen());
  CHECK_FALSE(conn.IsPrepared("one"));  // server-side statements died with the session
  CHECK(conn.Exec("SELECT pg_backend_pid()").Int64(0, 0) != pid);
}

TEST_CASE("connect failures are typed and never show the password", "[pg][integration]") {
  const auto& server = PostgresServer::Shared();
  const std::string wrong = "wr0ng'pass\\word";
  const auto info = pg::ConnInfoBuilder::From(server.ConnInfo()).Password(wrong).Build();
  try {
    (void)pg::Connection::Connect(info);
    FAIL("connected with a wrong password");
  } catch (const pg::AuthenticationError& e) {
    CHECK(e.sqlstate() == "28P01");
    CHECK(std::string(e.what()).find("wr0ng") == std::string::npos);
    CHECK(std::string(e.what()).find(server.host() + ":" + std::to_string(server.port())) !=
          std::string::npos);
    CHECK_FALSE(pg::IsTransient(e));
  }
  try {
    (void)pg::Connection::Connect(server.ConnInfo("no_such_database_xyz"));
    FAIL("connected to a missing database");
  } catch (const pg::ConnectionError& e) {
    CHECK(e.sqlstate() == "3D000");
  }
  // A malformed conninfo: libpq would quote the fragment; our error does not.
  for (const char* bad : {"host=localhost password=hunter2 bogus_option=1", "password='hunter2"}) {
    try {
      (void)pg::Connection::Connect(bad);
      FAIL("malformed conninfo accepted");
    } catch (const pg::ConnectionError&) {
      FAIL("a configuration error must not look transient");
    } catch (const pg::Error& e) {
      CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
      CHECK_FALSE(pg::IsTransient(e));
    }
  }
  // A closed port: refused at once.
  const auto closed = pg::ConnInfoBuilder::From(server.ConnInfo()).Port(1).Build();
  CHECK_THROWS_AS(pg::Connection::Connect(closed, std::chrono::seconds(5)), pg::ConnectionError);
}

TEST_CASE("the connect timeout applies when the server never answers", "[pg][integration]") {
  // A listening socket that never accepts: TCP completes via the backlog, then libpq waits
  // for the SSL handshake reply forever.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  std::unique_ptr<int, void (*)(int*)> guard(new int(fd), [](int* p) {
    ::close(*p);
    delete p;
  });
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const auto info = pg::ConnInfoBuilder::From(PostgresServer::Shared().ConnInfo())
                        .Host("127.0.0.1")
                        .Port(ntohs(addr.sin_port))
                        .SslMode("require")
                        .Build();
  try {
    (void)pg::Connection::Connect(info, std::chrono::milliseconds(300));
    FAIL("connected to a silent socket");
  } catch (const pg::ConnectionError& e) {
    CHECK_THAT(e.what(), Catch::Contains("timeout after 300 ms"));
  }
}

TEST_CASE("QuoteIdentifier and QuoteLiteral equal libpq's escaping", "[pg][quote][integration]") {
  auto conn = ConnectTo();
  const std::vector<std::string> corpus = {
      "simple", "MixedCase", "with space", "a\"b", "\"\"", "it's", "back\\slash",
      "ü€😀", "x\"; DROP TABLE t; --", "tab\there", "new\nline", "'\\'\""};
  for (const auto& s : corpus) {
    INFO(s);
    std::unique_ptr<char, decltype(&PQfreemem)> ident(
        PQescapeIdentifier(conn.native(), s.data(), s.size()), &PQfreemem);
    std::unique_ptr<char, decltype(&PQfreemem)> lit(
        PQescapeLiteral(conn.native(), s.data(), s.size()), &PQfreemem);
    REQUIRE(ident);
    REQUIRE(lit);
    CHECK(pg::QuoteIdentifier(s) == ident.get());
    CHECK(pg::QuoteLiteral(s) == lit.get());
    // And the server reads them back as the original text.
    const auto r = conn.Exec("SELECT " + pg::QuoteLiteral(s) + " AS v");
    CHECK(r.Value(0, 0) == s);
  }
  // Tables named with hostile identifiers are created exactly as named.
  const std::string name = "t\"; DROP TABLE x; --'";
  conn.Exec("CREATE TEMP TABLE " + pg::QuoteIdentifier(name) + " (" + pg::QuoteIdentifier("Col \"1\"") + " int)");
  CHECK(conn.Exec("SELECT count(*) FROM pg_class WHERE relname = $1", {name}).Int64(0, 0) == 1);
}

TEST_CASE("SCRAM verifiers are computed client-side and let the role log in",
          "[pg][scram][integration]") {
  const auto& server = PostgresServer::Shared();
  auto admin = ConnectTo();
  const std::string role = UniqueName("scram_role");
  const std::string password = "Pa'ss\\w\"rd ü " + UniqueName("x");
  const std::string verifier = pg::ScramVerifier(admin, role, password);
  CHECK(verifier.rfind("SCRAM-SHA-256$4096:", 0) == 0);
  CHECK(verifier.find(password) == std::string::npos);
  CHECK(pg::ScramVerifier(admin, role, password) != verifier);  // fresh salt each time
  admin.Exec("CREATE ROLE " + pg::QuoteIdentifier(role) + " LOGIN PASSWORD " + pg::QuoteLiteral(verifier));
  const auto stored = admin.Exec("SELECT rolpassword FROM pg_authid WHERE rolname = $1", {role});
  CHECK(stored.Value(0, 0) == verifier);

  const auto as_role = [&](const std::string& pw) {
    return pg::ConnInfoBuilder::From(server.ConnInfo()).User(role).Password(pw).Build();
  };
  {
    auto conn = pg::Connection::Connect(as_role(password));
    CHECK(conn.Exec("SELECT current_user").Value(0, 0) == role);
  }
  CHECK_THROWS_AS(pg::Connection::Connect(as_role(password + "x")), pg::AuthenticationError);
  admin.Exec("DROP ROLE " + pg::QuoteIdentifier(role));
}

TEST_CASE("a server outage raises ConnectionError; Reset recovers after restart",
          "[pg][integration][outage]") {
  auto& server = PostgresServer::Shared();
  auto conn = ConnectTo();
  REQUIRE(conn.Exec("SELECT 1").Int64(0, 0) == 1);
  server.Stop();
  struct Restart {  // the server must come back for the tests that follow, whatever happens
    PostgresServer& s;
    ~Restart() {
      try {
        s.Start();  // no-op when already running
      } catch (const std::exception& e) {
        std::cerr << "could not restart PostgreSQL: " << e.what() << "\n";
      }
    }
  } restart{server};
  CHECK_THROWS_AS(conn.Exec("SELECT 1"), pg::ConnectionError);
  CHECK_FALSE(conn.IsOpen());
  CHECK_THROWS_AS(pg::Connection::Connect(server.ConnInfo(), std::chrono::seconds(2)),
                  pg::ConnectionError);
  CHECK_THROWS_AS(conn.Reset(std::chrono::seconds(2)), pg::ConnectionError);
  server.Start();
  conn.Reset();
  CHECK(conn.IsOpen());
  CHECK(conn.Exec("SELECT 2").Int64(0, 0) == 2);
}
