#!/usr/bin/env bash
# Puts the `heapscope` command of this clone on PATH: a symlink to
# packages/cli/bin/heapscope.mjs in a bin directory, so that a new login shell
# finds `heapscope` from any directory and runs this clone's build (a rebuild
# needs no reinstall). scripts/setup.sh runs it.
#
# The directory is HEAPSCOPE_BIN_DIR if set, else /usr/local/bin as root and
# ~/.local/bin otherwise. When a new login shell would not run this clone's
# command (the directory is not on its PATH, or another `heapscope` comes
# first), a line putting the directory first on PATH goes to the profile bash
# reads at login (~/.bash_profile, ~/.bash_login or ~/.profile, the first
# that exists).
set -euo pipefail
: "${HOME:=$(cd ~ && pwd)}"
repo="$(cd "$(dirname "$0")/.." && pwd -P)"
target="$repo/packages/cli/bin/heapscope.mjs"

if [ -n "${HEAPSCOPE_BIN_DIR:-}" ]; then bin_dir="$HEAPSCOPE_BIN_DIR"
elif [ "$(id -u)" -eq 0 ]; then bin_dir=/usr/local/bin
else bin_dir="$HOME/.local/bin"
fi
mkdir -p "$bin_dir"
bin_dir="$(cd "$bin_dir" && pwd)"
ln -sfn "$target" "$bin_dir/heapscope"
echo "setup: $bin_dir/heapscope -> $target"

# What `$1` prints in a new login shell, with nothing inherited from this one
# but HOME and USER (marked, since a profile may print more).
in_login_shell() {
  { env -i HOME="$HOME" USER="${USER:-$(id -un)}" bash -lc "echo \"heapscope-setup:\$($1 2>&1)\"" </dev/null 2>/dev/null || true; } |
    sed -n 's/^heapscope-setup://p' | tail -n 1
}
login_finds() { in_login_shell 'command -v heapscope'; }

# Whether the login shell's `heapscope` is this clone's (any link to it will do).
is_ours() { [ -n "$1" ] && [ "$(readlink -f "$1")" = "$target" ]; }

found="$(login_finds)"
if ! is_ours "$found"; then
  profile="$HOME/.profile"
  for f in "$HOME/.bash_profile" "$HOME/.bash_login"; do
    if [ -f "$f" ]; then profile="$f"; break; fi
  done
  shown="$bin_dir"
  case "$bin_dir" in "$HOME"/*) shown="\$HOME${bin_dir#"$HOME"}" ;; esac
  line="export PATH=\"$shown:\$PATH\"  # heapscope (scripts/install-command.sh)"
  if ! grep -qxF "$line" "$profile" 2>/dev/null; then
    printf '\n%s\n' "$line" >> "$profile"
    echo "setup: added $bin_dir to PATH in $profile (for new login shells)"
  fi
  found="$(login_finds)"
fi
if ! is_ours "$found"; then
  echo "setup: warning: a new login shell runs ${found:-no heapscope} for \`heapscope\`, not $bin_dir/heapscope" >&2
elif version="$(in_login_shell 'cd / && heapscope --version')"; [ "$version" != "$(node "$target" --version 2>&1)" ]; then
  echo "setup: warning: \`heapscope --version\` in a new login shell printed: $version" >&2
fi
