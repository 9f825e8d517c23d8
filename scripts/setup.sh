#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20+: Debian packages,
# npm ci, the native addon and the TypeScript build. Each step is skipped when its
# inputs have not changed, so a second run takes seconds.
# Extra Debian packages (e.g. for tests) come in $TANGLENAS_APT_EXTRA.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# 1. Debian packages. libopenblas0-openmp replaces the reference BLAS behind
#    libblas.so.3 (6 -> 190 GFLOP/s sgemm on 2 cores).
pkgs=(libtorch-dev libopenblas0-openmp ${TANGLENAS_APT_EXTRA:-})
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. npm dependencies, when package-lock.json changed.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.tanglenas-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.tanglenas-lock
fi

# 3. The addon, when its sources or the libtorch it targets changed.
addon_hash=$( (cat native/binding.gyp native/torch-config.cjs native/src/*; echo "${LIBTORCH:-debian}"; node -v) | sha256sum | cut -d' ' -f1)
if [ ! -f native/build/Release/tanglenas.node ] || [ "$(cat native/build/.tanglenas-src 2>/dev/null)" != "$addon_hash" ]; then
  log "building the native addon (about a minute)"
  npx node-gyp rebuild --directory native --loglevel=error >/dev/null
  echo "$addon_hash" > native/build/.tanglenas-src
fi

# 4. TypeScript (incremental).
npx tsc -p tsconfig.json
