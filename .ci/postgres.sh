#!/usr/bin/env bash
# Install PostgreSQL from Debian's packages if needed, start a throwaway cluster on loopback, and
# print the SQLAlchemy URL of its admin database. Used by .ci/run for the PostgreSQL test pass.
set -euo pipefail
PORT="${PGPORT_TEST:-54329}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
DATA="$(mktemp -d /tmp/kapwatch-pg.XXXXXX)"
chown postgres "$DATA"
su postgres -c "$BIN/initdb -D '$DATA' -A trust -U postgres" >&2
su postgres -c "$BIN/pg_ctl -D '$DATA' -o '-k /tmp -h 127.0.0.1 -p $PORT' -l '$DATA/log' -w start" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
