#!/usr/bin/env bash
# Sourced by .ci/run: start a throwaway PostgreSQL cluster (installed by .ci/system-packages.sh) on
# a free loopback port, stop it when the run exits, and export KAPWATCH_TEST_POSTGRES, the
# SQLAlchemy URL of its admin database, for the PostgreSQL test pass.
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PG_DATA="$(mktemp -d /tmp/kapwatch-pg.XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
chown postgres "$PG_DATA"
su postgres -c "$PG_BIN/initdb -D '$PG_DATA' -A trust -U postgres" >/dev/null
su postgres -c "$PG_BIN/pg_ctl -D '$PG_DATA' -o '-k /tmp -h 127.0.0.1 -p $PG_PORT' -l '$PG_DATA/log' -w start" >/dev/null
trap 'su postgres -c "$PG_BIN/pg_ctl -D $PG_DATA -m fast stop" >/dev/null 2>&1 || true' EXIT
export KAPWATCH_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$PG_PORT"
