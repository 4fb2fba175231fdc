#!/usr/bin/env bash
# Host 2 of the stack: a second Docker engine on this machine standing for a second Docker host.
#   docker-host.sh start   bridge, dockerd (own socket, data root, exec root, pidfile), runtime images
#   docker-host.sh kill    SIGKILL the engine and its containerd, as a host losing power would
#   docker-host.sh stop    a clean stop (its containers stop with it)
# It never touches the machine's own engine: iptables is off for it (two engines on one host would
# otherwise rewrite the same chains), so its containers have no outbound NAT; functions run without
# network by default, and builds that need to download go to host 1. Images cannot be pulled here:
# they are copied from the machine's engine with `docker save | docker load` (once; reused after).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/stack/lib.sh

name=dockerd-2
host2() { DOCKER_HOST="$HOST2_SOCKET" timeout 20 docker "$@"; }

# The runtime images host 2 gets (images.json keys): what python, node and go resolve to today
# (src/shared/runtimes.ts NEWEST_RUNTIME), the python build image, and go's (the netns holder's).
images() {
  node -e '
    const m = require(process.argv[1]);
    const keys = (process.env.CAISSON_STACK_IMAGES || "python3.14,python3.14-build,nodejs24,go").split(",");
    for (const k of keys) { const i = m.images[k]; if (i) console.log(`${i.name}:${i.tag ?? m.tag}`); }
  ' "$PWD/runtime-images/images.json"
}

copy_images() {
  local img main_id
  for img in $(images); do
    main_id="$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null)" || { step "host 2: $img is not on this machine's engine; skipped"; continue; }
    [ "$(host2 image inspect -f '{{.Id}}' "$img" 2>/dev/null)" = "$main_id" ] && continue
    step "host 2: copying $img from this machine's engine (docker save | docker load)"
    docker save "$img" | DOCKER_HOST="$HOST2_SOCKET" docker load -q >&2
  done
}

start() {
  command -v dockerd >/dev/null 2>&1 || bash scripts/setup/docker-engine.sh
  if ! ip link show "$HOST2_BRIDGE" >/dev/null 2>&1; then
    step "host 2: creating bridge $HOST2_BRIDGE ($HOST2_CIDR)"
    ip link add "$HOST2_BRIDGE" type bridge
    ip addr add "$HOST2_CIDR" dev "$HOST2_BRIDGE"
  fi
  ip link set "$HOST2_BRIDGE" up
  mkdir -p "$HOST2/data" "$HOST2/exec"
  # Never give this engine --default-address-pool: with it, a restarting dockerd deletes the
  # interface named docker0 (moby removes the *default* bridge by that fixed name, whatever
  # --bridge says), i.e. the machine engine's bridge. Its user networks avoid the subnets of the
  # machine's interfaces on their own.
  # A pidfile left by a killed engine would stop the new one from starting.
  running "$name" || rm -f "$HOST2/docker.pid"
  start_proc "$name" dockerd --host "$HOST2_SOCKET" --data-root "$HOST2/data" --exec-root "$HOST2/exec" \
    --pidfile "$HOST2/docker.pid" --bridge "$HOST2_BRIDGE" --iptables=false --ip6tables=false --ip-masq=false --log-level warn
  wait_for "$name" 60 host2 info
  copy_images
  step "host 2: engine answering on $HOST2_SOCKET"
}

# dockerd bind-mounts its data root onto itself (to set its mount propagation) and undoes it only
# on a clean shutdown: after a kill the mount stays, and a mount under the stack home keeps that
# home from being removed. A stop releases what is left under this host's folder, deepest first.
release_mounts() {
  local dir
  dir="$(realpath "$HOST2" 2>/dev/null)" || return 0
  awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    step "host 2: unmounting $m"
    umount -l "$m" 2>/dev/null || true
  done
}

case "${1:-}" in
  start) start ;;
  kill) stop_proc "$name" KILL ;;
  stop) stop_proc "$name" TERM; release_mounts ;;
  *) fail "usage: $0 start|kill|stop" ;;
esac
