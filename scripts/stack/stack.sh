#!/usr/bin/env bash
# The production topology natively on one machine, for trying it out and for the stack tests:
#   PostgreSQL (Debian's) for Temporal and Caisson, the Temporal server (built by
#   scripts/setup/temporal-server.sh), its Web UI, two api processes sharing one key store and
#   database, and two workers: host 1 on this machine's Docker engine, host 2 on a second engine.
# Usage: stack.sh up | down | status | kill-host 2 | start-host 2 | kill-api 1|2 | start-api 1|2
# Logs: .caisson/stack/logs/; pids: .caisson/stack/run/; connection details: .caisson/stack/stack.env
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/stack/lib.sh
repo="$PWD"
home="$STACK/home"   # the apis' shared credentials: secrets key, worker token, first admin key

start_api() {
  start_proc "api-$(( $1 + 1 ))" env CAISSON_HOME="$home" CAISSON_API_HOST=127.0.0.1 CAISSON_API_PORT="${API_PORTS[$1]}" \
    CAISSON_API_URL="http://127.0.0.1:${API_PORTS[$1]}" DATABASE_URL="$(cat "$STACK/database-url")" \
    TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" CAISSON_CODEC_ORIGINS="http://127.0.0.1:$UI_PORT" node "$repo/bin/caisson.js" api
  # Up once /healthz answers at all (503 until a worker polls): database and Temporal were reached.
  wait_for "api-$(( $1 + 1 ))" 90 sh -c "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:${API_PORTS[$1]}/healthz | grep -qv 000"
}
# Worker N fetches code from api N (in production a load balancer in front of the apis does this).
start_worker() {
  local n="$1" extra=()
  if running "worker-$n"; then step "stack: worker-$n already running (pid $(cat "$(pidfile "worker-$n")"))"; return 0; fi
  [ "$n" = 2 ] && extra=(DOCKER_HOST="$HOST2_SOCKET" CAISSON_BUILD_BRIDGE=caisson-b2 CAISSON_BUILD_FIREWALL=off)
  mkdir -p "$STACK/host-$n/home"
  local seen=0; [ -f "$STACK/logs/worker-$n.log" ] && seen="$(wc -l <"$STACK/logs/worker-$n.log")"
  start_proc "worker-$n" env CAISSON_HOME="$STACK/host-$n/home" CAISSON_WORKER_ID="stack-host-$n" \
    TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" CAISSON_API_URL="http://127.0.0.1:${API_PORTS[$(( n - 1 ))]}" \
    CAISSON_METRICS_PORT="${WORKER_METRICS_PORTS[$(( n - 1 ))]}" CAISSON_WORKER_TOKEN_FILE="$home/worker.token" CAISSON_SECRETS_KEY_FILE="$home/secrets.key" "${extra[@]}" \
    node "$repo/bin/caisson.js" worker
  # Ready once this run (the log lines after $seen) says it polls its queues.
  wait_for "worker-$n" 120 sh -c "tail -n +$((seen + 1)) '$STACK/logs/worker-$n.log' | grep -q polling"
}

start_temporal() {
  local dir="$1"
  start_proc temporal env TEMPORAL_DYNAMIC_CONFIG="$repo/scripts/temporal/dynamic-config.yaml" \
    "$dir/bin/temporal-server" --config-file "$repo/scripts/temporal/server.yaml" --allow-no-auth start
  local cli; cli="$(bash scripts/setup/temporal-cli.sh)"
  wait_for temporal 120 "$cli" operator cluster health --address "$TEMPORAL_ADDRESS"
  # The real server makes no `default` namespace (the dev server and auto-setup do).
  if ! "$cli" operator namespace describe --namespace default --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
    step "Temporal: registering namespace default (retention 72h)"
    "$cli" operator namespace create --namespace default --retention 72h --address "$TEMPORAL_ADDRESS" >&2
  fi
  for _ in $(seq 1 60); do "$cli" operator namespace describe --namespace default --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1 && break; sleep 1; done
}

start_ui() {
  if [ "${CAISSON_STACK_UI:-on}" = off ]; then step "stack: Web UI off (CAISSON_STACK_UI=off)"; return 0; fi
  local ui; ui="$(bash scripts/setup/temporal-ui.sh)"
  start_proc ui env TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" TEMPORAL_UI_PORT="$UI_PORT" \
    TEMPORAL_CODEC_ENDPOINT="http://127.0.0.1:${API_PORTS[0]}/codec" "$ui" --root "$repo/scripts" --config temporal --env ui start
  wait_for ui 60 http_ok "http://127.0.0.1:$UI_PORT/"
}

up() {
  local started; started=$(date +%s)
  bash scripts/build.sh
  bash scripts/setup/docker-engine.sh
  local dir; dir="$(bash scripts/setup/temporal-server.sh)"
  # A home without its secrets key is new: the databases must start empty (databases.sh).
  local fresh=""; [ -f "$home/secrets.key" ] || fresh=fresh
  bash scripts/stack/databases.sh "$dir" $fresh >"$STACK/database-url"
  start_temporal "$dir"
  start_ui
  mkdir -p "$home"
  start_api 0
  start_api 1   # after api 1: it made the shared secrets key and worker token
  bash scripts/stack/docker-host.sh start
  start_worker 1
  start_worker 2
  cat >"$STACK/stack.env" <<ENV
CAISSON_STACK_API_URLS=http://127.0.0.1:${API_PORTS[0]},http://127.0.0.1:${API_PORTS[1]}
CAISSON_STACK_WORKER_METRICS_URLS=http://127.0.0.1:${WORKER_METRICS_PORTS[0]}/metrics,http://127.0.0.1:${WORKER_METRICS_PORTS[1]}/metrics
CAISSON_STACK_ADMIN_KEY_FILE=$home/admin.key
TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS
CAISSON_STACK_UI_URL=http://127.0.0.1:$UI_PORT
CAISSON_STACK_HOST2_DOCKER_HOST=$HOST2_SOCKET
CAISSON_STACK_DIR=$STACK
ENV
  wait_for api-1 60 http_ok "http://127.0.0.1:${API_PORTS[0]}/healthz"
  step "stack: up in $(( $(date +%s) - started )) s"
  status
}

status() {
  local bad=0 p
  for p in temporal ui api-1 api-2 dockerd-2 worker-1 worker-2; do
    if running "$p"; then printf '%-10s running (pid %s)\n' "$p" "$(cat "$(pidfile "$p")")"
    elif [ "$p" = ui ]; then printf '%-10s not running\n' "$p"
    else printf '%-10s DOWN\n' "$p"; bad=1; fi
  done
  for i in 0 1; do
    printf 'api %s    http://127.0.0.1:%s/healthz → %s\n' "$((i + 1))" "${API_PORTS[$i]}" \
      "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${API_PORTS[$i]}/healthz" || true)"
  done
  printf 'temporal  %s   ui http://127.0.0.1:%s\n' "$TEMPORAL_ADDRESS" "$UI_PORT"
  return $bad
}

down() {
  for p in worker-1 worker-2 api-2 api-1 ui temporal; do stop_proc "$p"; done
  bash scripts/stack/docker-host.sh stop
  step "stack: down (PostgreSQL, a shared system service, keeps running; its databases are kept)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-host) [ "${2:-}" = 2 ] || fail "only host 2 can be killed (host 1 is this machine's own engine)"
    stop_proc worker-2 KILL; bash scripts/stack/docker-host.sh kill ;;
  start-host) [ "${2:-}" = 2 ] || fail "usage: $0 start-host 2"
    bash scripts/stack/docker-host.sh start; start_worker 2 ;;
  kill-api|start-api) n="${2:-}"; [ "$n" = 1 ] || [ "$n" = 2 ] || fail "usage: $0 $1 1|2"
    if [ "$1" = kill-api ]; then stop_proc "api-$n" KILL; else start_api $(( n - 1 )); fi ;;
  *) fail "usage: $0 up|down|status|kill-host 2|start-host 2|kill-api 1|2|start-api 1|2" ;;
esac
