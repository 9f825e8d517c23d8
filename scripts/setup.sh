#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine with Node 20+: Debian packages,
# npm ci, the native addon and the TypeScript build. Each step is skipped when its
# inputs have not changed, so a second run takes seconds.
# Extra Debian packages (e.g. for tests) come in $TANGLENAS_APT_EXTRA.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }
# One line per step: what it did and how long it took, or that it was up to date.
step_t=0
begin() { step_t=$SECONDS; log "$1 ..."; }
done_in() { log "  $1 done in $((SECONDS - step_t)) s"; }

# 1. Debian packages. libopenblas0-openmp replaces the reference BLAS behind
#    libblas.so.3 (6 -> 190 GFLOP/s sgemm on 2 cores).
pkgs=(libtorch-dev libopenblas0-openmp libgloo-dev ${TANGLENAS_APT_EXTRA:-})
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  begin "installing Debian packages: ${missing[*]} (a few minutes on a fresh machine)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  done_in "Debian packages"
else
  log "Debian packages: up to date"
fi

# 2. npm dependencies, when package-lock.json changed.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.tanglenas-lock 2>/dev/null)" != "$lock_hash" ]; then
  begin "npm ci"
  # The package's own install step builds the addon for users; here step 3 does.
  TANGLENAS_SKIP_ADDON_BUILD=1 ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.tanglenas-lock
  done_in "npm ci"
else
  log "npm dependencies: up to date"
fi

# 3. The addon, when its sources or the libtorch it targets changed.
addon_hash=$( (cat native/binding.gyp native/torch-config.cjs native/src/*; echo "${LIBTORCH:-debian}"; node -v) | sha256sum | cut -d' ' -f1)
if [ ! -f native/build/Release/tanglenas.node ] || [ "$(cat native/build/.tanglenas-src 2>/dev/null)" != "$addon_hash" ]; then
  begin "building the native addon against $(cd native && node torch-config.cjs describe) (about a minute)"
  nodedir=$(cd native && node torch-config.cjs nodedir)
  npx node-gyp rebuild --directory native --loglevel=error ${nodedir:+--nodedir="$nodedir"} >/dev/null
  echo "$addon_hash" > native/build/.tanglenas-src
  done_in "addon"
else
  log "native addon: up to date ($(cd native && node torch-config.cjs describe))"
fi

# 4. TypeScript (incremental).
begin "compiling TypeScript"
npx tsc -p tsconfig.json
done_in "tsc"

