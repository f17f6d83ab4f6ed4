// The PostgreSQL the harness starts is real and locked down as promised: TLS verified
// against the harness CA, SCRAM-SHA-256, no plain TCP, restartable for outage tests.
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

using tenant::test::PostgresServer;

namespace {

using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Conn Connect(const std::string& conninfo) { return Conn(PQconnectdb(conninfo.c_str()), &PQfinish); }

// First column of the first row of a query that must succeed.
std::string Scalar(PGconn* conn, const char* sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn, sql), &PQclear);
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE(PQresultStatus(res.get()) == PGRES_TUPLES_OK);
  REQUIRE(PQntuples(res.get()) == 1);
  return PQgetvalue(res.get(), 0, 0);
}

void Exec(PGconn* conn, const char* sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn, sql), &PQclear);
  INFO(sql << ": " << PQerrorMessage(conn));
  REQUIRE(PQresultStatus(res.get()) == PGRES_COMMAND_OK);
}

// conninfo of the shared server with some keys replaced (later keys win in libpq).
std::string With(const std::string& overrides) {
  return PostgresServer::Shared().ConnInfo() + " " + overrides;
}

}  // namespace

TEST_CASE("PostgreSQL harness: verify-full TLS session authenticated with SCRAM", "[harness][postgres]") {
  auto& pg = PostgresServer::Shared();
  CHECK(pg.host() == "localhost");
  CHECK(pg.port() > 0);
  CHECK(pg.ConnInfo().find("sslmode=verify-full") != std::string::npos);

  Conn conn = Connect(pg.ConnInfo());
  INFO(PQerrorMessage(conn.get()) << "\nserver log:\n" << pg.LogTail());
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);

  CHECK(PQsslInUse(conn.get()) == 1);
  CHECK(PQconnectionUsedPassword(conn.get()) == 1);
  CHECK(Scalar(conn.get(), "SELECT current_setting('server_version_num')::int / 10000") == "15");
  CHECK(Scalar(conn.get(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()") == "t");
  const std::string version =
      Scalar(conn.get(), "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
  CHECK((version == "TLSv1.3" || version == "TLSv1.2"));
  CHECK(Scalar(conn.get(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == "t");
  // The stored verifier is SCRAM, and every TCP rule is hostssl+SCRAM or a hostnossl reject.
  CHECK(Scalar(conn.get(),
               "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = current_user") ==
        "SCRAM-SHA-256$");
  CHECK(Scalar(conn.get(),
               "SELECT count(*) FROM pg_hba_file_rules WHERE type <> 'local' AND NOT "
               "((type = 'hostssl' AND auth_method = 'scram-sha-256') OR "
               "(type = 'hostnossl' AND auth_method = 'reject'))") == "0");
  CHECK(Scalar(conn.get(), "SELECT current_setting('listen_addresses')") == "127.0.0.1");
}

TEST_CASE("PostgreSQL harness: the certificate is valid for 127.0.0.1 too", "[harness][postgres]") {
  Conn conn = Connect(With("host=127.0.0.1"));
  INFO(PQerrorMessage(conn.get()));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
  CHECK(PQsslInUse(conn.get()) == 1);
}

TEST_CASE("PostgreSQL harness: wrong password is rejected", "[harness][postgres]") {
  Conn conn = Connect(With("password=not-the-password"));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_BAD);
  CHECK_THAT(PQerrorMessage(conn.get()), Catch::Contains("password authentication failed"));
}

TEST_CASE("PostgreSQL harness: a connection without TLS is rejected", "[harness][postgres]") {
  Conn conn = Connect(With("sslmode=disable"));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_BAD);
  CHECK_THAT(PQerrorMessage(conn.get()), Catch::Contains("no encryption"));
}

TEST_CASE("PostgreSQL harness: a server certificate from another CA is not trusted", "[harness][postgres]") {
  tenant::test::TempDir dir("other-ca");
  const auto key = (dir.path() / "ca.key").string();
  const auto crt = (dir.path() / "ca.crt").string();
  tenant::test::RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt,
                            "-subj", "/CN=unrelated CA", "-days", "1"});
  Conn conn = Connect(With("sslrootcert=" + crt));
  REQUIRE(PQstatus(conn.get()) == CONNECTION_BAD);
  CHECK_THAT(PQerrorMessage(conn.get()), Catch::Contains("certificate verify failed"));
}

TEST_CASE("PostgreSQL harness: Shared() reuses one server per process", "[harness][postgres]") {
  auto& first = PostgresServer::Shared();
  auto& second = PostgresServer::Shared();
  CHECK(&first == &second);
  CHECK(first.port() == second.port());
  Conn a = Connect(first.ConnInfo());
  Conn b = Connect(second.ConnInfo());
  REQUIRE(PQstatus(a.get()) == CONNECTION_OK);
  REQUIRE(PQstatus(b.get()) == CONNECTION_OK);
  CHECK(Scalar(a.get(), "SELECT pg_postmaster_start_time()") ==
        Scalar(b.get(), "SELECT pg_postmaster_start_time()"));
}

TEST_CASE("PostgreSQL harness: Stop/Start gives an outage and keeps port and data", "[harness][postgres]") {
  auto& pg = PostgresServer::Shared();
  const int port = pg.port();
  {
    Conn conn = Connect(pg.ConnInfo());
    REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
    Exec(conn.get(), "SET client_min_messages = warning");
    Exec(conn.get(), "DROP TABLE IF EXISTS harness_outage");
    Exec(conn.get(), "CREATE TABLE harness_outage (v text)");
    Exec(conn.get(), "INSERT INTO harness_outage VALUES ('survives restart')");
  }
  REQUIRE(pg.running());

  pg.Stop();
  CHECK_FALSE(pg.running());
  Conn down = Connect(pg.ConnInfo());
  CHECK(PQstatus(down.get()) == CONNECTION_BAD);
  CHECK_THAT(PQerrorMessage(down.get()), Catch::Contains("Connection refused"));
  pg.Stop();  // idempotent

  pg.Start();
  CHECK(pg.running());
  CHECK(pg.port() == port);
  Conn up = Connect(pg.ConnInfo());
  INFO(PQerrorMessage(up.get()) << "\nserver log:\n" << pg.LogTail());
  REQUIRE(PQstatus(up.get()) == CONNECTION_OK);
  CHECK(Scalar(up.get(), "SELECT v FROM harness_outage") == "survives restart");
  Exec(up.get(), "DROP TABLE harness_outage");
}

TEST_CASE("PostgreSQL harness: Start() on a port taken meanwhile fails with the server log", "[harness][postgres]") {
  auto& pg = PostgresServer::Shared();
  pg.Stop();
  {
    // Someone else listens on the server's port while it is down.
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(pg.port()));
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 1) == 0);
    CHECK_THROWS_WITH(pg.Start(), Catch::Contains("PostgreSQL exited during start-up") &&
                                      Catch::Contains("Address already in use"));
    CHECK_FALSE(pg.running());
    close(fd);
  }
  pg.Start();
  Conn conn = Connect(pg.ConnInfo());
  INFO(PQerrorMessage(conn.get()));
  CHECK(PQstatus(conn.get()) == CONNECTION_OK);
}
