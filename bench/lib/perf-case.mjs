/**
 * The benchmark case of one real cppcheck perf capture (bench/generate/cppcheck-perf.mjs):
 * heapscope reading the `perf script` text end to end (`top` as users run
 * it, symbolizing; `top` and `sizes` without symbolization), timed beside
 * `perf report --sort trace` on the perf.data the text was printed from —
 * the same question (hot sizes), asked of perf's own reader — and, in full
 * runs, `perf script` itself (what making the text costs, once).
 *
 * Figures: MB/s of text per second of each heapscope command (issue 23's
 * target: ≥ 200 MB/s end to end), and perf report's time over `heapscope
 * sizes`'s. Under --quick the same commands read the small capture
 * (cppcheck-perf-small) and perf script is left out.
 *
 * The check: the same (size, count) pairs as perf report, no lost samples;
 * the notes keep heapscope's own account of the broken frames it cut.
 */
import { HEAPSCOPE_BIN } from './exec.mjs';
import { checkSameSizes, reportSizes } from './perf.mjs';
import { outputs as full } from '../generate/cppcheck-perf.mjs';
import { outputs as small } from '../generate/cppcheck-perf-small.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n) => n.toLocaleString('en-US');
const TOP = 'heapscope top';
const TOP_RAW = 'heapscope top --no-symbolize';
const SIZES = 'heapscope sizes --no-symbolize';
const REPORT = 'perf report --sort trace';

function commands(outs, kind, withPerfScript) {
  const text = outs[`${kind}Text`];
  const data = outs[`${kind}Data`];
  return [
    { label: TOP, role: 'heapscope', argv: heapscope('top', text) },
    { label: TOP_RAW, role: 'heapscope', argv: heapscope('top', '--no-symbolize', text) },
    { label: SIZES, role: 'heapscope', argv: heapscope('sizes', '--no-symbolize', text) },
    { label: REPORT, role: 'reference', argv: ['perf', 'report', '-i', data, '--stdio', '-n', '--sort', 'trace', '-g', 'none'], maxRuns: 3 },
    ...(withPerfScript ? [{ label: 'perf script (making the text)', role: 'reference', argv: ['sh', '-c', `perf script -i ${data} > /dev/null`], maxRuns: 1, warmup: 0 }] : []),
  ];
}

function figures(outs, kind) {
  const bytes = outs[`${kind}Text`];
  return [
    { name: `${TOP}: MB/s`, rate: TOP, bytes, target: { min: 200 } },
    { name: `${TOP_RAW}: MB/s`, rate: TOP_RAW, bytes },
    { name: `${SIZES}: MB/s`, rate: SIZES, bytes },
    { name: `${REPORT} ÷ ${SIZES}`, ratio: [REPORT, SIZES], better: 'higher' },
  ];
}

/** The case for capture `kind` ('fp' or 'dwarf'), named `name`. */
export function cppcheckPerfCase({ name, kind, title }) {
  return {
    name,
    title,
    inputs: ['cppcheck-perf'],
    tools: { perf: ['perf', '--version'] },
    baseline: SIZES,
    commands: commands(full, kind, true),
    figures: figures(full, kind),
    quick: { inputs: ['cppcheck-perf-small'], commands: commands(small, kind, false), figures: figures(small, kind) },

    async verify({ run, stdout, stderr, quick }) {
      const outs = quick ? small : full;
      const text = outs[`${kind}Text`];
      const report = stdout(REPORT);
      const lost = [...report.matchAll(/^# Total Lost Samples: (\d+)$/gm)].map((m) => Number(m[1]));
      if (lost.length === 0 || lost.some((n) => n !== 0)) throw new Error(`perf report: the capture lost samples (${lost.join(', ') || 'no "Total Lost Samples" line'})`);
      const { sizes: want, folded } = reportSizes(report);
      const hs = JSON.parse((await run(heapscope('sizes', '--format', 'json', '--no-symbolize', '-n', '1000000', text))).stdout);
      if (hs.sizeKind !== 'exact') throw new Error(`heapscope sizes: sizeKind ${hs.sizeKind}, expected exact`);
      const total = checkSameSizes(want, hs.rows);
      const notes = [
        `Same (size, count) pairs as \`perf report --sort trace\` on the perf.data: ${fmt(want.size)} sizes, ${fmt(total)} allocations (perf's ${fmt(folded)} malloc calls inside realloc(NULL, n) folded into the realloc, as heapscope counts them); no lost samples.`,
      ];
      // heapscope's own account of what it cut (warnings on stderr), for the record.
      const cut = /warning: (\d+) stack frames outside every executable mapping .* were cut from (\d+) stacks/.exec(stderr(TOP_RAW));
      notes.push(
        cut
          ? `heapscope cut ${fmt(Number(cut[1]))} frames outside every executable mapping (broken unwinding) from ${fmt(Number(cut[2]))} stacks (its warning).`
          : 'heapscope cut no frames outside the executable mappings (no warning).',
      );
      return notes;
    },
  };
}
