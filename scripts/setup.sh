#!/usr/bin/env bash
# Sets up heapscope on a Debian machine that has Node 20 and npm, then runs
# the main job on a bundled real fixture.
#
# 1. Debian packages the tests use as references and helpers (installed with
#    apt-get when running as root, or through sudo): jeprof, google-pprof,
#    go tool pprof, addr2line/c++filt, gcc, chromium, clickhouse-server (the
#    store's tests start a local two-shard cluster with scripts/clickhouse.sh).
# 2. pnpm (pinned), the workspace's npm dependencies, and the build.
# 3. `heapscope top` on the jemalloc fixture's final dump.
#
# HEAPSCOPE_SKIP_APT=1 skips step 1; HEAPSCOPE_SKIP_DEMO=1 skips step 3.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libjemalloc-dev google-perftools libgoogle-perftools-dev golang-go binutils llvm libc6-dbg gcc g++ chromium clickhouse-server)

if [ "${HEAPSCOPE_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10.34.8 with npm"
  if [ "$(id -u)" -eq 0 ]; then npm install --global --silent pnpm@10.34.8
  else sudo npm install --global --silent pnpm@10.34.8; fi
fi

# `pnpm install` also builds the packages (the root "prepare" script runs tsc -b).
pnpm install --frozen-lockfile

if [ "${HEAPSCOPE_SKIP_DEMO:-0}" != 1 ]; then
  echo
  echo "\$ pnpm heapscope top fixtures/jemalloc/all/jeprof.*.f.heap"
  pnpm -s heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
fi
