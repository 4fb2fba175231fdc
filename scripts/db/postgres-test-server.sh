#!/usr/bin/env bash
# Makes a real PostgreSQL server available for the integration tests and prints a
# connection URL on stdout (everything else goes to stderr).
# Order: $CAISSON_TEST_DATABASE_URL if set; else Debian's packaged cluster, installed with
# apt-get when missing and started with pg_ctlcluster (no systemd needed). Idempotent:
# an installed package, a running cluster, the role and the database are all reused.
# Usage: scripts/db/postgres-test-server.sh [database-name]   (default caisson_test)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh

db="${1:-caisson_test}"
role=caisson
password=caisson

if [ -n "${CAISSON_TEST_DATABASE_URL:-}" ]; then
  step "PostgreSQL: using CAISSON_TEST_DATABASE_URL"
  echo "$CAISSON_TEST_DATABASE_URL"
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  is_root_with_apt || fail "PostgreSQL is not installed and this is not root with apt-get. Install PostgreSQL or set CAISSON_TEST_DATABASE_URL=postgresql://user:pass@host:port/db"
  step "PostgreSQL: not installed; installing Debian's postgresql"
  apt_install postgresql
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
[ "$(id -u)" = 0 ] || fail "starting the packaged cluster needs root (pg_ctlcluster); or set CAISSON_TEST_DATABASE_URL"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  step "PostgreSQL $version: creating cluster main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 ~ /online/' | grep -q .; then
  step "PostgreSQL $version: starting cluster main (pg_ctlcluster)"
  pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')"

psql_admin() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qtAX "$@"; }
for _ in $(seq 1 50); do psql_admin -c 'select 1' >/dev/null 2>&1 && break; sleep 0.2; done
psql_admin -c 'select 1' >/dev/null || fail "PostgreSQL $version on port $port does not answer"

# CREATEDB: `prisma migrate dev` makes (and drops) a shadow database.
if [ -z "$(psql_admin -c "select 1 from pg_roles where rolname = '$role'")" ]; then
  step "PostgreSQL: creating role $role"
  psql_admin -c "create role $role login createdb password '$password'"
fi
if [ -z "$(psql_admin -c "select 1 from pg_database where datname = '$db'")" ]; then
  step "PostgreSQL: creating database $db"
  psql_admin -c "create database \"$db\" owner $role"
fi
step "PostgreSQL $version: ready on 127.0.0.1:$port, database $db"
echo "postgresql://$role:$password@127.0.0.1:$port/$db"
