#!/usr/bin/env bash
# Prints the command that runs Compose here: `docker compose` (v2) when the plugin answers, else
# `docker-compose` (Compose v1, Python), installed from Debian when missing (root with apt).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh
if docker compose version >/dev/null 2>&1; then echo "docker compose"; exit 0; fi
if ! command -v docker-compose >/dev/null 2>&1; then
  is_root_with_apt || fail "no Compose: install the docker compose plugin or docker-compose"
  step "Compose: not found; installing Debian's docker-compose"
  apt_install docker-compose
fi
step "Compose: $(docker-compose version --short 2>/dev/null || echo docker-compose)"
echo docker-compose
