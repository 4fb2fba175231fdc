# Builds Go programs from the Go module proxy into .caisson/tools/<name>/bin, once (the set-up of
# the Temporal server and its UI). Sourced after lib.sh, never executed.
#   dir="$(go_tool_dir NAME)"; go_tool_build "$dir" PKG@VERSION...; (adjust $dir.partial); go_tool_done "$dir"
# The build goes to $dir.partial and is renamed at the end, so an interrupted build is never used.
go_tool_dir() {
  mkdir -p "${CAISSON_HOME:-.caisson}/tools"
  echo "$(cd "${CAISSON_HOME:-.caisson}/tools" && pwd)/$1"
}
go_tool_build() {
  local dir="$1"; shift
  if ! command -v go >/dev/null 2>&1; then
    is_root_with_apt || fail "building $* needs Go (https://go.dev/dl); none found"
    # Debian's Go may be older than the module needs: GOTOOLCHAIN=auto then fetches the right one.
    apt_install golang-go ca-certificates
  fi
  step "building $* with $(go version | cut -d' ' -f3) (once; a few minutes)"
  GO_TOOL_STARTED=$(date +%s)
  rm -rf "$dir.partial" && mkdir -p "$dir.partial/bin"
  GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-auto}" CGO_ENABLED=0 GOBIN="$dir.partial/bin" go install "$@" >&2 \
    || fail "go install $* failed (the Go module proxy must be reachable, or GOPROXY set)"
}
go_tool_done() {
  chmod -R u+w "$1.partial"
  rm -rf "$1" && mv "$1.partial" "$1"
  step "built $(basename "$1") in $(( $(date +%s) - GO_TOOL_STARTED )) s ($1)"
}
