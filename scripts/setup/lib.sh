# Shared helpers for the set-up scripts: step logging and root/apt detection.
# Sourced, never executed.
step() { printf '\033[1m[caisson setup]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[31m[caisson setup] error:\033[0m %s\n' "$*" >&2; exit 1; }
is_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }
# apt-get update once per run of the set-up (a stamp under .caisson/ stops repeats within 6 hours).
apt_update_once() {
  local stamp="${CAISSON_HOME:-.caisson}/state/apt-updated"
  mkdir -p "$(dirname "$stamp")"
  if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
    step "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || fail "apt-get update failed"
    touch "$stamp"
  fi
}
apt_install() {
  apt_update_once
  step "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || fail "apt-get install $* failed"
}
