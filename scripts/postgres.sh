#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests and print its SQLAlchemy URL.
#
#   scripts/postgres.sh start   install (Debian package) if missing, init, start; print URL
#   scripts/postgres.sh stop    stop it and remove its data
#
# Data lives in $PGTEST_DIR (default /tmp/matcher-pgtest); the server listens on
# 127.0.0.1:$PGTEST_PORT (default 55432) and trusts local connections.
set -euo pipefail
DIR="${PGTEST_DIR:-/tmp/matcher-pgtest}"
PORT="${PGTEST_PORT:-55432}"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/postgres"

bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

case "${1:-start}" in
  start)
    if [ -z "$(bindir)" ]; then
      if [ "$(id -u)" != 0 ]; then echo "PostgreSQL is not installed and we are not root" >&2; exit 2; fi
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    fi
    BIN="$(bindir)"
    if [ -f "$DIR/postmaster.pid" ] && as_postgres "$BIN/pg_ctl -D $DIR status" >/dev/null 2>&1; then
      echo "$URL"; exit 0
    fi
    rm -rf "$DIR"; mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    as_postgres "$BIN/initdb -D $DIR -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >&2
    as_postgres "$BIN/pg_ctl -D $DIR -l $DIR/server.log -w -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off' start" >&2
    echo "$URL"
    ;;
  stop)
    BIN="$(bindir)"
    [ -n "$BIN" ] && [ -d "$DIR" ] && as_postgres "$BIN/pg_ctl -D $DIR -m fast stop" >&2 || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2
    ;;
esac
