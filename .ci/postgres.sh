#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback (installed by .ci/system-packages.sh) and print
# the SQLAlchemy URL of its admin database. Used by .ci/run for the PostgreSQL test pass.
set -euo pipefail
PORT="${PGPORT_TEST:-54329}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
DATA="$(mktemp -d /tmp/kapwatch-pg.XXXXXX)"
chown postgres "$DATA"
su postgres -c "$BIN/initdb -D '$DATA' -A trust -U postgres" >&2
su postgres -c "$BIN/pg_ctl -D '$DATA' -o '-k /tmp -h 127.0.0.1 -p $PORT' -l '$DATA/log' -w start" >&2
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
