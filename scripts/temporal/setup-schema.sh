#!/usr/bin/env bash
# Creates Temporal's two PostgreSQL databases with their base schema when missing, then updates
# both to the schema version of the server beside this tool (a no-op when current: run it again
# after every upgrade of the server). Used by `npm run stack` and by docker-compose.yml's
# temporal-schema job (as Temporal's own compose runs admin-tools).
# Environment: TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER, TEMPORAL_DB_PASSWORD,
#   TEMPORAL_DB, TEMPORAL_VISIBILITY_DB, TEMPORAL_SQL_TOOL, TEMPORAL_SCHEMA_DIR (…/schema/postgresql/v12)
set -euo pipefail
log() { printf '[temporal schema] %s\n' "$*" >&2; }
sql_tool() {
  "${TEMPORAL_SQL_TOOL:-temporal-sql-tool}" --plugin postgres12 --ep "${TEMPORAL_DB_HOST:-127.0.0.1}" -p "${TEMPORAL_DB_PORT:-5432}" \
    -u "${TEMPORAL_DB_USER:-temporal}" -pw "$TEMPORAL_DB_PASSWORD" "$@" >&2
}
for pair in "${TEMPORAL_DB:-temporal}:temporal" "${TEMPORAL_VISIBILITY_DB:-temporal_visibility}:visibility"; do
  db="${pair%%:*}" schema="${pair##*:}"
  # create-database fails on an existing database, and setup-schema -v 0.0 on an existing schema:
  # both are first-time steps, so their failure on a second run is expected and harmless.
  if sql_tool --db "$db" create-database 2>/dev/null; then log "created database $db"; fi
  if sql_tool --db "$db" setup-schema -v 0.0 2>/dev/null; then log "base schema of $db"; fi
  log "updating $db to the server's schema version"
  sql_tool --db "$db" update-schema -d "$TEMPORAL_SCHEMA_DIR/$schema/versioned"
done
log "done"
