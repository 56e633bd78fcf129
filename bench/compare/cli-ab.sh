#!/bin/bash
# Two heapscope builds on one command line, alternately (A, B, A, B, …; ORDER="new base" to start
# with B), N times each; prints the median and best wall and CPU (user + system) seconds of each.
# Alternating keeps a busy machine's load alike for both builds.
#
#   BASE=/path/to/checkout-a NEW=/path/to/checkout-b bench/compare/cli-ab.sh N heapscope-args…
set -e
N=$1; shift
ORDER=${ORDER:-base new}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/runs
: > $OUT
for i in $(seq 1 $N); do
  for side in $ORDER; do
    if [ $side = base ]; then BIN=$BASE/packages/cli/dist/heapscope.mjs; else BIN=$NEW/packages/cli/dist/heapscope.mjs; fi
    /usr/bin/time -f "$side %e %U %S" -o $TMP/time node $BIN "$@" > /dev/null 2>$TMP/err || { echo "FAIL $side"; cat $TMP/err; exit 1; }
    cat $TMP/time >> $OUT
  done
done
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const side of ["base", "new"]) {
  const rows = lines.filter((l) => l[0] === side);
  const wall = rows.map((r) => +r[1]), cpu = rows.map((r) => +r[2] + +r[3]);
  console.log(`${side}: median wall ${med(wall).toFixed(2)} s (min ${Math.min(...wall).toFixed(2)}), median CPU ${med(cpu).toFixed(2)} s (min ${Math.min(...cpu).toFixed(2)}), n=${rows.length}`);
}' $OUT
