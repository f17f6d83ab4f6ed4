#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for tests and the local demo: TLS with its own CA (server
# certificate SAN DNS:localhost + IP:127.0.0.1), SCRAM-SHA-256 only, TLS required for every
# TCP login, listening on 127.0.0.1:PORT only, unix socket inside DIR.
#
#   postgres.sh init  DIR PORT   create certificates, cluster, superuser; writes DIR/env
#   postgres.sh run   DIR        run the server in the foreground (exec; logs to stderr)
#   postgres.sh start DIR        start in the background (log: DIR/server.log), wait until ready
#   postgres.sh stop  DIR        fast shutdown of a server started with `start`
#   postgres.sh status DIR       exit 0 when it accepts connections
#   postgres.sh info  DIR        print host, port, CA path, user (not the password)
#   postgres.sh psql  DIR [ARGS] psql as the superuser over verify-full TLS
#
# DIR/env holds what a client needs as libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD,
# PGSSLMODE=verify-full, PGSSLROOTCERT) — `. DIR/env && psql` works. It is mode 0600 and is
# the only place the random superuser password is written.
#
# PostgreSQL refuses to run as root: as root, everything runs as the OS user `postgres`
# (created by the Debian package) and DIR is owned by it. Durability is switched off
# (fsync=off): these clusters are disposable.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
SUPERUSER=${PG_SUPERUSER:-tenant_superuser}

die() { echo "postgres.sh: $*" >&2; exit 1; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

if [[ $(id -u) -eq 0 ]]; then
  OS_USER=postgres
  id "$OS_USER" >/dev/null 2>&1 || die "OS user 'postgres' missing (install the postgresql package)"
  as_pg() { setpriv --reuid="$OS_USER" --regid="$OS_USER" --init-groups -- "$@"; }
else
  OS_USER=$(id -un)
  as_pg() { "$@"; }
fi

(($# >= 2)) || usage
cmd=$1
dir=$2
[[ $dir == /* ]] || dir="$PWD/$dir"
# Values are written single-quoted into DIR/env and postgresql.conf.
[[ $dir != *"'"* && $dir != *" "* ]] || die "DIR must not contain quotes or spaces: $dir"
data="$dir/data"
tls="$dir/tls"

log_tail() { [[ -f $1 ]] && { echo "---- last lines of $1:" >&2; tail -n 30 "$1" >&2; }; return 0; }

make_certs() {
  mkdir -p "$tls"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.crt" -days 30 \
    -subj "/CN=tenant-operator test CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
  cat >"$tls/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 30 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
  rm -f "$tls/server.csr" "$tls/server.ext" "$tls/ca.srl"
  chmod 0600 "$tls/ca.key" "$tls/server.key"
  chmod 0644 "$tls/ca.crt" "$tls/server.crt"
}

cmd_init() {
  local port=${1:-}
  [[ $port =~ ^[0-9]+$ ]] || die "init needs a numeric PORT"
  [[ -e $data ]] && die "$data already exists"
  mkdir -p "$dir"
  make_certs

  local password pwfile
  password=$(openssl rand -hex 24)
  pwfile="$dir/.pwfile"
  (umask 077 && printf '%s\n' "$password" >"$pwfile")
  chown -R "$OS_USER:" "$dir"
  chmod 0700 "$dir"
  as_pg test -r "$pwfile" \
    || die "user $OS_USER cannot reach $dir: every parent directory must be searchable (chmod o+x)"
  as_pg "$PG_BIN/initdb" -D "$data" -U "$SUPERUSER" --pwfile="$pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync --no-instructions \
    >"$dir/initdb.log" 2>&1 || { rm -f "$pwfile"; log_tail "$dir/initdb.log"; die "initdb failed"; }
  rm -f "$pwfile"

  cat >>"$data/postgresql.conf" <<CONF

# ---- tests/services/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = '$tls/server.crt'
ssl_key_file = '$tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
max_connections = 200
shared_buffers = 32MB
logging_collector = off
log_destination = 'stderr'
log_line_prefix = '%m [%p] %q%u@%d '
# disposable test cluster: trade durability for speed
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  # Only TLS + SCRAM over TCP; explicit reject so a plain connection gets a clear error.
  cat >"$data/pg_hba.conf" <<HBA
# TYPE     DATABASE USER ADDRESS       METHOD
local      all      all                scram-sha-256
hostssl    all      all  127.0.0.1/32  scram-sha-256
hostnossl  all      all  0.0.0.0/0     reject
hostnossl  all      all  ::/0          reject
HBA
  chown "$OS_USER:" "$data/postgresql.conf" "$data/pg_hba.conf"

  (umask 077 && cat >"$dir/env" <<ENV
export PGHOST='localhost'
export PGPORT='$port'
export PGUSER='$SUPERUSER'
export PGPASSWORD='$password'
export PGDATABASE='postgres'
export PGSSLMODE='verify-full'
export PGSSLROOTCERT='$tls/ca.crt'
ENV
  )
  cmd_info
}

cmd_info() {
  [[ -f $dir/env ]] || die "$dir is not initialized (run: postgres.sh init DIR PORT)"
  # shellcheck disable=SC1091
  (. "$dir/env"
   echo "postgres: host=$PGHOST port=$PGPORT user=$PGUSER sslmode=$PGSSLMODE sslrootcert=$PGSSLROOTCERT (password: PGPASSWORD in $dir/env)")
}

cmd_run() {
  [[ -f $data/PG_VERSION ]] || die "$data is not initialized (run: postgres.sh init DIR PORT)"
  exec_pg=("$PG_BIN/postgres" -D "$data")
  if [[ $(id -u) -eq 0 ]]; then
    exec setpriv --reuid="$OS_USER" --regid="$OS_USER" --init-groups -- "${exec_pg[@]}"
  fi
  exec "${exec_pg[@]}"
}

cmd_start() {
  [[ -f $data/PG_VERSION ]] || die "$data is not initialized (run: postgres.sh init DIR PORT)"
  touch "$dir/server.log" && chown "$OS_USER:" "$dir/server.log"
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null \
    || { log_tail "$dir/server.log"; die "server did not start"; }
  cmd_info
}

cmd_stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
}

cmd_status() {
  # shellcheck disable=SC1091
  (. "$dir/env" && "$PG_BIN/pg_isready" -q -h "$PGHOST" -p "$PGPORT")
}

cmd_psql() {
  # shellcheck disable=SC1091
  . "$dir/env"
  exec "$PG_BIN/psql" "$@"
}

shift 2
case "$cmd" in
  init) cmd_init "$@" ;;
  run) cmd_run ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  info) cmd_info ;;
  psql) cmd_psql "$@" ;;
  *) usage ;;
esac
