#!/usr/bin/env bash
# Sets up heapscope on a Debian machine that has Node 20 and npm, then runs
# the main job on a bundled real fixture.
#
# 1. Debian packages the tests use as references and helpers (installed with
#    apt-get when running as root, or through sudo): jeprof, google-pprof,
#    go tool pprof, addr2line/c++filt, gdb (names of inlined frames),
#    gcc, chromium, zstd, heaptrack_print,
#    the allocators the replay runs traces against (jemalloc, tcmalloc,
#    mimalloc), xmllint (the SVG flamegraphs are checked with it), and
#    clickhouse-server (the store's tests start a local
#    two-shard cluster with scripts/clickhouse.sh).
# 2. pnpm (pinned), the workspace's npm dependencies, and the build (the
#    allocator replayer, packages/replay/native, is compiled with gcc by
#    that package's install script).
# 3. The `heapscope` command on PATH for new login shells
#    (scripts/install-command.sh: /usr/local/bin as root, ~/.local/bin otherwise).
# 4. `heapscope top` on the jemalloc fixture's final dump.
#
# HEAPSCOPE_SKIP_APT=1 skips step 1; HEAPSCOPE_SKIP_DEMO=1 skips step 4.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(libjemalloc-dev google-perftools libgoogle-perftools-dev golang-go binutils llvm gdb libc6-dbg gcc g++ chromium zstd heaptrack
  libjemalloc2 libtcmalloc-minimal4 libmimalloc2.0 clickhouse-server libxml2-utils)

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

# `pnpm install` also builds the packages (the root "prepare" script runs tsc -b;
# @heapscope/replay's "install" script compiles the replayer).
pnpm install --frozen-lockfile

bash scripts/install-command.sh

if [ "${HEAPSCOPE_SKIP_DEMO:-0}" != 1 ]; then
  echo
  echo "\$ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap"
  packages/cli/bin/heapscope.mjs top fixtures/jemalloc/all/jeprof.*.f.heap
fi
