#!/usr/bin/env bash
# Makes the Temporal Web UI server available for `npm run stack`: builds
# github.com/temporalio/ui-server/v2 (its assets are inside the module) once into
# .caisson/tools/temporal-ui-<version>/, keyed by version. The pinned version is the UI that the
# pinned dev server embeds (temporal CLI 1.9.1: "UI 2.54.1"). Prints the binary's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh
. scripts/setup/go-tool.sh

TEMPORAL_UI_VERSION="${TEMPORAL_UI_VERSION:-2.54.1}"
dir="$(go_tool_dir "temporal-ui-$TEMPORAL_UI_VERSION")"
if [ ! -x "$dir/bin/temporal-ui-server" ]; then
  go_tool_build "$dir" "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION"
  mv "$dir.partial/bin/server" "$dir.partial/bin/temporal-ui-server"
  go_tool_done "$dir"
fi
echo "$dir/bin/temporal-ui-server"
