#!/usr/bin/env bash
# Makes sure a Docker engine answers: use the one DOCKER_HOST or the default socket
# points at; else (root with apt) install Debian's docker.io and start dockerd.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

if docker_answers; then
  step "Docker engine: answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  exit 0
fi
if [ -n "${DOCKER_HOST:-}" ]; then
  fail "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'. Start that engine or unset DOCKER_HOST."
fi
if ! is_root_with_apt; then
  fail "no Docker engine answers. Install and start Docker (https://docs.docker.com/engine/install/), or run this as root on Debian/Ubuntu so Caisson can install docker.io itself."
fi
if ! command -v dockerd >/dev/null 2>&1; then
  step "Docker engine: not installed; installing Debian's docker.io"
  apt_install docker.io iptables
fi
log="${CAISSON_HOME:-.caisson}/logs/dockerd.log"
mkdir -p "$(dirname "$log")"
if ! pgrep -x dockerd >/dev/null 2>&1; then
  step "Docker engine: starting dockerd (log: $log)"
  # setsid: the daemon must outlive this script and the terminal that started it.
  setsid dockerd >"$log" 2>&1 < /dev/null &
fi
for _ in $(seq 1 60); do
  if docker_answers; then
    step "Docker engine: answering ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
    exit 0
  fi
  sleep 1
done
tail -n 20 "$log" >&2 || true
fail "dockerd did not answer within 60 s (log: $log)"
