#!/usr/bin/env bash
# A throw-away PostgreSQL server for the integration tests.
#
#   scripts/pg_test_server.sh start        # prints PG_TEST_DIR=... and PG_TEST_URL=...
#   scripts/pg_test_server.sh stop DIR     # stops it and deletes DIR
#
# Installs Debian's postgresql package when no server binaries are found
# (needs root; apt-get). The cluster lives in a fresh temporary directory,
# listens on 127.0.0.1 only, on a free port, with trust authentication and
# fsync off (test data only). As root the server runs as the `postgres` user
# (PostgreSQL refuses to run as root).
set -euo pipefail

log() { echo "pg_test_server: $*" >&2; }

find_bindir() {
  local ctl
  ctl=$(ls -1 /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
  if [[ -n "$ctl" ]]; then dirname "$ctl"; return 0; fi
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  return 1
}

ensure_installed() {
  if find_bindir >/dev/null; then return 0; fi
  if [[ $(id -u) -ne 0 ]]; then
    log "PostgreSQL is not installed and this is not root: run 'apt-get install -y postgresql'"
    exit 1
  fi
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  find_bindir >/dev/null || { log "postgresql installed but pg_ctl not found"; exit 1; }
}

free_port() {
  python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# run a command as the server's owner
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  ensure_installed
  local bindir dir port
  bindir=$(find_bindir)
  dir=$(mktemp -d /tmp/clinic-pg.XXXXXX)
  chmod 755 "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || { log "no postgres user (is the postgresql package installed?)"; exit 1; }
    chown postgres:postgres "$dir"
  fi
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  local tries=0
  while :; do
    port=$(free_port)
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >&2; then
      break
    fi
    tries=$((tries + 1))
    if [[ $tries -ge 3 ]]; then cat "$dir/server.log" >&2; exit 1; fi
    log "start failed on port $port, retrying"
  done
  as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres clinic_test
  echo "PG_TEST_DIR=$dir"
  echo "PG_TEST_URL=postgresql://postgres@127.0.0.1:$port/clinic_test"
}

stop() {
  local dir=${1:?usage: $0 stop DIR}
  local bindir
  bindir=$(find_bindir) || true
  if [[ -d "$dir/data" && -n "${bindir:-}" ]]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  fi
  case "$dir" in
    /tmp/clinic-pg.*) rm -rf "$dir" ;;
    *) log "not deleting unexpected directory $dir" ;;
  esac
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
