#!/bin/bash
# Two heapscope builds, the same commands on the same inputs: stdout, stderr and
# the exit code of each command, and the files it writes, compared byte for byte.
# A faster path must not change any output (docs/BENCHMARKS.md).
#
#   BASE=/path/to/checkout-a NEW=/path/to/checkout-b bench/compare/outputs-ab.sh INPUT…
#
# Each input is read by every trace command (info, top, sizes, churn, peak, growth
# --windows, diff against itself, convert to pprof, collapsed and speedscope,
# flamegraph, report), in text and JSON where the command has both, with
# --no-symbolize (set SYMBOLIZE=1 to symbolize as well) and again with --lenient.
# Prints one line per difference and a count; exits 1 when any.
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
diffs=0
runs=0
inputs=$#
run() { # side, output dir, args…
  local side=$1 dir=$2; shift 2
  local root; if [ $side = base ]; then root=$BASE; else root=$NEW; fi
  mkdir -p $dir
  (cd $dir && node $root/packages/cli/dist/heapscope.mjs "$@" > stdout 2> stderr; echo $? > rc)
}
for input in "$@"; do
  # A copy at the same path for both sides: messages that name it are alike.
  mkdir -p $TMP/in
  cp "$input" $TMP/in/
  abs=$TMP/in/$(basename "$input")
  sym=--no-symbolize
  for lenient in "" --lenient; do
    while IFS= read -r cmd; do
      [ -z "$cmd" ] && continue
      # shellcheck disable=SC2086
      set -- $cmd
      runs=$((runs + 1))
      run base $TMP/base "$@" $sym $lenient
      run new $TMP/new "$@" $sym $lenient
      if ! diff -r -q $TMP/base $TMP/new > /dev/null; then
        echo "DIFFERS: $input: heapscope $cmd $sym $lenient"
        diff -r $TMP/base $TMP/new | head -5
        diffs=$((diffs + 1))
      fi
      rm -rf $TMP/base $TMP/new
    done <<CMDS
info $abs
info --format json $abs
top $abs
top --format json $abs
top --by stack -n 5 $abs
top -t waste_space $abs
sizes $abs
sizes --format json $abs
sizes --waste $abs
churn $abs
churn --format json $abs
peak $abs
peak --format json $abs
growth --windows 4 $abs
growth --windows 4 --format json $abs
diff $abs $abs
convert --to pprof -o out.pb.gz $abs
convert --to collapsed -o out.txt $abs
convert --to speedscope -o out.json $abs
flamegraph -o out.svg $abs
report -o out.html $abs
CMDS
  done
  rm -f "$abs"
done
echo "$runs commands on $inputs inputs, $diffs differing"
[ $diffs -eq 0 ]
