#!/usr/bin/env bash
# PostgreSQL for the stack, on Debian's cluster (installed and started when missing, by
# scripts/db/postgres-test-server.sh): Caisson's database, Temporal's role, and Temporal's two
# databases created and updated to the built server's schema (scripts/temporal/setup-schema.sh).
# Prints Caisson's DATABASE_URL on stdout.
# Usage: databases.sh <temporal-server-dir> [fresh]  (the dir scripts/setup/temporal-server.sh printed)
# fresh: drop the stack's three databases first. The stack's home holds the keys its data is
# sealed and authorised with (secrets key, worker token, admin key): a new home (a new clone, or
# the home removed) cannot use what an earlier one left in the shared PostgreSQL cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/stack/lib.sh

server_dir="$1"
url="$(bash scripts/db/postgres-test-server.sh "$STACK_NAME")"
port="$(echo "$url" | sed -E 's#.*@[^:]+:([0-9]+)/.*#\1#')"
psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtAX "$@"; }
if [ "${2:-}" = fresh ]; then
  step "PostgreSQL: a new stack home: dropping the databases an earlier one left ($STACK_NAME, $TEMPORAL_DB, $TEMPORAL_VISIBILITY_DB)"
  for db in "$STACK_NAME" "$TEMPORAL_DB" "$TEMPORAL_VISIBILITY_DB"; do psql_admin -c "drop database if exists \"$db\" with (force)"; done
  url="$(bash scripts/db/postgres-test-server.sh "$STACK_NAME")"
fi
if [ -z "$(psql_admin -c "select 1 from pg_roles where rolname = '$TEMPORAL_DB_USER'")" ]; then
  step "PostgreSQL: creating role $TEMPORAL_DB_USER (Temporal's)"
  psql_admin -c "create role $TEMPORAL_DB_USER login createdb password '$TEMPORAL_DB_PASSWORD'"
fi
step "Temporal: databases $TEMPORAL_DB and $TEMPORAL_VISIBILITY_DB at the server's schema version (log: $STACK/logs/temporal-schema.log)"
TEMPORAL_DB_HOST=127.0.0.1 TEMPORAL_DB_PORT="$port" TEMPORAL_SQL_TOOL="$server_dir/bin/temporal-sql-tool" \
  TEMPORAL_SCHEMA_DIR="$server_dir/schema/postgresql/v12" bash scripts/temporal/setup-schema.sh 2>>"$STACK/logs/temporal-schema.log" \
  || { tail -n 20 "$STACK/logs/temporal-schema.log" >&2; fail "Temporal's schema set-up failed"; }
echo "$url"
