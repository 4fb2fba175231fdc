#!/usr/bin/env bash
# Makes the base image ($1: debian:bookworm-slim, debian:trixie-slim, debian:forky-slim) exist locally: present → done;
# else `docker pull`; else (no registry reachable) build it offline with debootstrap
# from the Debian mirror apt already uses, trim it and `docker import` it under the
# same name, so `FROM $1` in the Dockerfiles works offline and online alike.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/setup/lib.sh
base="$1"
suite="${base#debian:}"; suite="${suite%-slim}"

if docker image inspect "$base" >/dev/null 2>&1; then
  step "base image $base: present"; exit 0
fi
step "base image $base: not present; trying docker pull"
if timeout 60 docker pull -q "$base" >/dev/null 2>&1; then
  step "base image $base: pulled"; exit 0
fi
step "base image $base: pull failed (no registry reachable); bootstrapping it offline with debootstrap"
is_root_with_apt || fail "cannot pull $base and cannot debootstrap (needs root and apt). Pull $base on a connected machine and 'docker load' it."
command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
# The mirror apt already uses: first URIs: (deb822) or deb line, the debian archive, not security.
mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 | sed -E 's/^URIs: *//; s/^deb (\[[^]]*\] )?//; s/ .*//' || true)
# (|| true: under pipefail a missing sources.list makes grep exit 2 and would end the script silently.)
[ -n "$mirror" ] || fail "could not read a Debian mirror from /etc/apt/sources*"
root=$(mktemp -d /tmp/caisson-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
log="${CAISSON_HOME:-.caisson}/logs/debootstrap-$suite.log"
mkdir -p "$(dirname "$log")"
# An older debootstrap has no script for a newer suite (bookworm's lacks forky): sid's
# script bootstraps any current suite.
script=()
[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
step "debootstrap --variant=minbase $suite (about 2 minutes)"
start=$(date +%s)
debootstrap --variant=minbase "$suite" "$root" "$mirror" "${script[@]}" >"$log" 2>&1 \
  || fail "debootstrap $suite failed (log: $log)"
step "debootstrap $suite: $(( $(date +%s) - start )) s"
# Trim what a slim image does not carry; keep apt working (lists are re-fetched by apt-get update).
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
  "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*
# Testing suites (forky) carry a Release file valid for a week only; a mirror that is a
# snapshot serves an expired one, which apt refuses. Signatures are still checked.
echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99caisson-snapshot-mirror"
tar -C "$root" -c . | docker import - "$base" >/dev/null
step "base image $base: imported ($(docker image inspect "$base" --format '{{.Size}}' | awk '{printf "%d MB", $1/1e6}'))"
