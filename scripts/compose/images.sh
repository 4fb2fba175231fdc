#!/usr/bin/env bash
# Builds the images docker-compose.yml runs, offline, on the project's own Debian base (the one
# runtime-images/build.sh makes): caisson (api and worker, Node 22), caisson-temporal (server,
# sql tool, schemas), caisson-temporal-ui and caisson-postgres (Debian's PostgreSQL 15).
# Idempotent: an image whose inputs did not change is kept (label caisson.inputs).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh
export DOCKER_BUILDKIT=0   # the classic builder: no buildx plugin needed (see ENVIRONMENT notes in README)
docker_cli="$(command -v /usr/bin/docker || command -v docker)"

manifest_tag() { node -e 'const m=require(process.argv[1]); const i=m.images[process.argv[2]]; console.log(`${i.name}:${i.tag ?? m.tag}`)' "$PWD/runtime-images/images.json" "$1"; }
base="$(node -e 'console.log(require(process.argv[1]).base)' "$PWD/runtime-images/images.json")"
node_image="$(manifest_tag nodejs22)"
"$docker_cli" image inspect "$base" >/dev/null 2>&1 && "$docker_cli" image inspect "$node_image" >/dev/null 2>&1 \
  || bash runtime-images/build.sh base nodejs22

# build TAG CONTEXT_DIR: builds unless TAG exists with the same inputs (hash of every file).
build() {
  local tag="$1" ctx="$2" inputs
  inputs="$(cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  if [ "$("$docker_cli" image inspect -f '{{index .Config.Labels "caisson.inputs"}}' "$tag" 2>/dev/null)" = "$inputs" ]; then
    step "compose image $tag: up to date"; return 0
  fi
  step "compose image $tag: building"
  "$docker_cli" build -q --label "caisson.inputs=$inputs" --build-arg "BASE=$base" --build-arg "NODE_IMAGE=$node_image" -t "$tag" "$ctx" >&2
}

stage="${CAISSON_HOME:-.caisson}/compose/context"
rm -rf "$stage" && mkdir -p "$stage"

# Temporal server (+ schema job) and UI, from the binaries the set-up built.
server_dir="$(bash scripts/setup/temporal-server.sh)"
ui_bin="$(bash scripts/setup/temporal-ui.sh)"
cli_bin="$(bash scripts/setup/temporal-cli.sh)"
version="$(basename "$server_dir" | sed 's/^temporal-server-//')"
t="$stage/temporal"; mkdir -p "$t/bin" "$t/config"
cp deploy/temporal/Dockerfile "$t/"
cp "$server_dir/bin/temporal-server" "$server_dir/bin/temporal-sql-tool" "$t/bin/"
cp -L "$cli_bin" "$t/bin/temporal"
cp deploy/temporal/temporal-entrypoint scripts/temporal/setup-schema.sh "$t/bin/"
chmod 0755 "$t"/bin/*
cp -R "$server_dir/schema" "$t/schema"
cp scripts/temporal/server.yaml scripts/temporal/dynamic-config.yaml "$t/config/"
build "caisson-temporal:$version" "$t"
u="$stage/temporal-ui"; mkdir -p "$u/bin" "$u/config"
cp deploy/temporal-ui/Dockerfile "$u/"; cp "$ui_bin" "$u/bin/"; cp scripts/temporal/ui.yaml "$u/config/"
build "caisson-temporal-ui:$(basename "$(dirname "$(dirname "$ui_bin")")" | sed 's/^temporal-ui-//')" "$u"

build caisson-postgres:15 deploy/postgres

# Caisson: the compiled checkout with its node_modules (hard links: no copy of 700 MB).
bash scripts/db/generate.sh && bash scripts/build.sh
a="$stage/caisson"; mkdir -p "$a"
cp deploy/caisson/Dockerfile "$a/"
cp -al package.json package-lock.json bin dist src prisma scripts runtime-images node_modules "$a/"
build "caisson:${CAISSON_IMAGE_TAG:-local}" "$a"
step "compose images: ready"
