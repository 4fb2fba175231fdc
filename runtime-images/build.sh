#!/usr/bin/env bash
# Builds Caisson's runtime images (names and tags from runtime-images/images.json).
#
#   bash runtime-images/build.sh              # all images
#   bash runtime-images/build.sh python go    # only these (key or image name)
#
# Idempotent: each image carries the label caisson.content-hash = sha256 over its
# folder's files (sorted relative path + content) plus the base image name. When
# <name>:<tag> already has that label value the image is "current" and not rebuilt.
# Build logs: ${CAISSON_HOME:-.caisson}/logs/image-<key>.log
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup/lib.sh

# The newer client in /usr/local/bin cannot build without buildx; Debian's client can
# (and DOCKER_BUILDKIT=0 selects the classic builder in both).
docker=docker
[ -x /usr/bin/docker ] && docker=/usr/bin/docker
command -v "$docker" >/dev/null 2>&1 || fail "no docker client found"
"$docker" info >/dev/null 2>&1 || fail "the docker engine does not answer ('docker info' failed); start it first (scripts/setup/docker-engine.sh)"

logs="${CAISSON_HOME:-.caisson}/logs"
mkdir -p "$logs"

# images.json → "base <name>", "tag <tag>", then "image <key> <name> <dir> <tag>" lines (an
# image's own "tag" overrides the common one).
manifest=$(node -e '
  const m = JSON.parse(require("fs").readFileSync("runtime-images/images.json", "utf8"));
  console.log("base " + m.base); console.log("tag " + m.tag);
  for (const [k, v] of Object.entries(m.images)) console.log(["image", k, v.name, v.dir, v.tag || m.tag].join(" "));
') || fail "cannot read runtime-images/images.json"
base=$(awk '$1=="base"{print $2}' <<<"$manifest")
tag=$(awk '$1=="tag"{print $2}' <<<"$manifest")
[ -n "$base" ] && [ -n "$tag" ] || fail "images.json lacks base or tag"

# Which images: all, or those named on the command line (by key or image name).
selected=()
if [ $# -eq 0 ]; then
  while read -r _ key _ _; do selected+=("$key"); done < <(grep '^image ' <<<"$manifest")
else
  for want in "$@"; do
    key=$(awk -v w="$want" '$1=="image" && ($2==w || $3==w || $3":"$5==w) {print $2}' <<<"$manifest")
    [ -n "$key" ] || fail "unknown image '$want' (known: $(awk '$1=="image"{printf "%s ", $2}' <<<"$manifest"))"
    case " ${selected[*]-} " in *" $key "*) ;; *) selected+=("$key") ;; esac
  done
fi

step "base image $base"
bash runtime-images/base/bootstrap.sh "$base" || fail "base image $base is not available (see messages above)"

# sha256 over the folder's regular files, sorted by relative path: path NUL content NUL, then the base name.
content_hash() {
  node -e '
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const [dir, base] = process.argv.slice(1);
    const files = [];
    (function walk(d) {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.name === "__pycache__" || e.name.endsWith(".pyc")) continue; // made by running the wrappers on the host, not sources
        if (e.isDirectory()) walk(p); else if (e.isFile()) files.push(path.relative(dir, p).split(path.sep).join("/"));
      }
    })(dir);
    files.sort();
    const h = crypto.createHash("sha256");
    for (const f of files) { h.update(f + "\0"); h.update(fs.readFileSync(path.join(dir, f))); h.update("\0"); }
    h.update("base:" + base);
    console.log(h.digest("hex"));
  ' "$1" "$2"
}

for key in "${selected[@]}"; do
  read -r _ _ name dir image_tag < <(awk -v k="$key" '$1=="image" && $2==k' <<<"$manifest")
  ref="$name:$image_tag"
  ctx="runtime-images/$dir"
  [ -f "$ctx/Dockerfile" ] || fail "$ctx/Dockerfile is missing"
  hash=$(content_hash "$ctx" "$base") || fail "cannot hash $ctx"
  have=$("$docker" image inspect --format '{{ index .Config.Labels "caisson.content-hash" }}' "$ref" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then
    step "image $ref: current"
    continue
  fi
  old_id=$("$docker" image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  log="$logs/image-$key.log"
  step "image $ref: building (${have:+stale, }log: $log)"
  start=$(date +%s)
  if ! DOCKER_BUILDKIT=0 "$docker" build --label "caisson.content-hash=$hash" \
        --build-arg "BASE=$base" -t "$ref" "$ctx" >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    fail "building $ref failed (full log: $log)"
  fi
  # Drop the image this one replaces (fails harmlessly while a container still uses it).
  if [ -n "$old_id" ] && [ "$old_id" != "$("$docker" image inspect --format '{{.Id}}' "$ref")" ]; then
    "$docker" rmi "$old_id" >/dev/null 2>&1 || true
  fi
  size=$("$docker" image inspect --format '{{.Size}}' "$ref" | awk '{printf "%d MB", $1/1e6}')
  step "image $ref: built in $(( $(date +%s) - start )) s ($size)"
done
step "runtime images ready: ${selected[*]}"
