# The production topology on one machine (`npm run stack`): names, ports and directories of every
# process, and the helpers that start, check and stop them. Sourced, never executed.
# Every process runs detached (setsid) with its pid in $STACK/run/<name>.pid and its output in
# $STACK/logs/<name>.log, so `stack.sh status|down` works from any shell.
. scripts/setup/lib.sh

STACK="$(mkdir -p "${CAISSON_STACK_DIR:-.caisson/stack}" && cd "${CAISSON_STACK_DIR:-.caisson/stack}" && pwd)"
mkdir -p "$STACK/run" "$STACK/logs"
# One range of ports for the whole stack, below the kernel's ephemeral range (tests' free ports).
BASE="${CAISSON_STACK_PORT_BASE:-27200}"
API_PORTS=("$((BASE + 1))" "$((BASE + 2))")
# Worker N's Prometheus metrics on 127.0.0.1 (no token: loopback only), e.g. its code fetches.
WORKER_METRICS_PORTS=("$((BASE + 11))" "$((BASE + 12))")
UI_PORT=$((BASE + 80))
export TEMPORAL_FRONTEND_PORT=$((BASE + 33)) TEMPORAL_HISTORY_PORT=$((BASE + 34)) TEMPORAL_MATCHING_PORT=$((BASE + 35))
export TEMPORAL_WORKER_PORT=$((BASE + 39)) TEMPORAL_HTTP_PORT=$((BASE + 43))
export TEMPORAL_FRONTEND_MEMBERSHIP_PORT=$((BASE + 63)) TEMPORAL_HISTORY_MEMBERSHIP_PORT=$((BASE + 64))
export TEMPORAL_MATCHING_MEMBERSHIP_PORT=$((BASE + 65)) TEMPORAL_WORKER_MEMBERSHIP_PORT=$((BASE + 69))
export TEMPORAL_METRICS_PORT=$((BASE + 90))
TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_FRONTEND_PORT"
# Databases on Debian's PostgreSQL cluster, named after the stack so two stacks never share one.
STACK_NAME="${CAISSON_STACK_NAME:-caisson_stack}"
export TEMPORAL_DB="${STACK_NAME}_temporal" TEMPORAL_VISIBILITY_DB="${STACK_NAME}_temporal_visibility"
export TEMPORAL_DB_USER=temporal TEMPORAL_DB_PASSWORD="${TEMPORAL_DB_PASSWORD:-temporal}"
# Host 2 is a second Docker engine on this machine: its own socket, data root, exec root, pidfile
# and bridge, so killing it (a whole host) leaves the machine's engine untouched.
HOST2="$STACK/host-2/docker"
HOST2_SOCKET="unix://$HOST2/docker.sock"
HOST2_BRIDGE="${CAISSON_STACK_BRIDGE:-caisson-h2}"
HOST2_CIDR="${CAISSON_STACK_BRIDGE_CIDR:-10.214.255.1/24}"

pidfile() { echo "$STACK/run/$1.pid"; }
running() { local p; p="$(cat "$(pidfile "$1")" 2>/dev/null)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# start_proc NAME CMD...: starts CMD detached in its own session unless NAME already runs.
start_proc() {
  local name="$1"; shift
  if running "$name"; then step "stack: $name already running (pid $(cat "$(pidfile "$name")"))"; return 0; fi
  step "stack: starting $name (log: $STACK/logs/$name.log)"
  setsid "$@" >>"$STACK/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# stop_proc NAME [SIGNAL]: TERM (or SIGNAL) to NAME's process group, KILL after 20 s.
stop_proc() {
  local name="$1" sig="${2:-TERM}" p
  p="$(cat "$(pidfile "$name")" 2>/dev/null)" || return 0
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    step "stack: stopping $name (pid $p, SIG$sig)"
    kill "-$sig" -- "-$p" 2>/dev/null || kill "-$sig" "$p" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$p" 2>/dev/null || true
  fi
  rm -f "$(pidfile "$name")"
}

# wait_for NAME SECONDS CMD...: polls CMD until it succeeds; fails with NAME's log tail.
wait_for() {
  local name="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 2))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    running "$name" || { tail -n 30 "$STACK/logs/$name.log" >&2; fail "$name exited (log: $STACK/logs/$name.log)"; }
    sleep 0.5
  done
  tail -n 30 "$STACK/logs/$name.log" >&2
  fail "$name did not become healthy within $secs s (log: $STACK/logs/$name.log)"
}
http_ok() { curl -fsS --max-time 3 -o /dev/null "$1"; }
