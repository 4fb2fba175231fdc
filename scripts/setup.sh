#!/usr/bin/env bash
# The set-up shared by `npm run dev` and `npm test`: installs or starts what is missing,
# idempotently, and says what it does. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh
export CAISSON_HOME="${CAISSON_HOME:-.caisson}"
mkdir -p "$CAISSON_HOME/logs"

# 1. Node dependencies (the lockfile is the truth).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund >&2
else
  step "node dependencies: present"
fi

# 2. Prisma client (generated, not committed), then src/ compiled to dist/ (the CLI's fast start).
bash scripts/db/generate.sh
bash scripts/build.sh

# 3. Docker engine.
bash scripts/setup/docker-engine.sh

# 4. Temporal CLI (dev server + Web UI).
bash scripts/setup/temporal-cli.sh >/dev/null

# 5. Runtime images (rebuilt only when their folder changed).
bash runtime-images/build.sh

# 6. Chromium, for the dashboard's browser tests: with `npm test` only (a dev start needs no browser).
if [ "${npm_lifecycle_event:-}" = test ] || [ "${CAISSON_SETUP_CHROMIUM:-}" = 1 ]; then
  bash scripts/setup/chromium.sh >/dev/null
fi
step "ready"
