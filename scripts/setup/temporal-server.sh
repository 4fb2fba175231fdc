#!/usr/bin/env bash
# Makes the real Temporal server (not the dev server) available: builds `temporal-server` and
# `temporal-sql-tool` from go.temporal.io/server once, and keeps them with the module's PostgreSQL
# schemas under .caisson/tools/temporal-server-<version>/ (keyed by version: a new pin builds anew,
# an existing one is reused). Prints that directory on stdout; everything else goes to stderr.
# The pinned version is the one the pinned dev server embeds (scripts/setup/temporal-cli.sh:
# temporal CLI 1.9.1 reports "Server 1.32.0"), so `caisson dev` and production run the same server.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh
. scripts/setup/go-tool.sh

TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-1.32.0}"
dir="$(go_tool_dir "temporal-server-$TEMPORAL_SERVER_VERSION")"
if [ -x "$dir/bin/temporal-server" ] && [ -x "$dir/bin/temporal-sql-tool" ] && [ -d "$dir/schema/postgresql/v12" ]; then
  step "Temporal server $TEMPORAL_SERVER_VERSION: built ($dir)"
  echo "$dir"; exit 0
fi
module="go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
go_tool_build "$dir" "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION"
mv "$dir.partial/bin/server" "$dir.partial/bin/temporal-server"
mv "$dir.partial/bin/sql" "$dir.partial/bin/temporal-sql-tool"
src="$(go env GOMODCACHE)/$module"
[ -d "$src/schema/postgresql/v12" ] || fail "$src/schema/postgresql/v12 missing after the build"
mkdir -p "$dir.partial/schema"
cp -R "$src/schema/postgresql" "$dir.partial/schema/"
go_tool_done "$dir"
echo "$dir"
