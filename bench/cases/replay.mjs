/**
 * The allocator replay, through the command line: `heapscope replay` on real
 * record_allocs traces, against real allocators.
 *
 * - surfaceflinger (2.46 M operations) under glibc, end to end: the CLI
 *   starting, reading and encoding the trace, the replay, the report —
 *   target ≤ 2 s wall; each trace thread on its own thread (the default),
 *   and on one thread;
 * - the 13 M-operation trace of android-record-allocs-13m under glibc: the
 *   encoder streams and the replayer reads a file, so the memory of both
 *   sides follows the live set, not the trace's length (the harness's peak
 *   RSS is the whole process tree's; the notes give the replayer's own);
 * - glibc, jemalloc, tcmalloc and mimalloc side by side on surfaceflinger
 *   and on systemui, in one run each (the notes give their tables and the
 *   command's verdicts).
 *
 * Every command prints the report as JSON (`--format json`). Checks: every
 * run's trace live bytes (peak and final) equal what `heapscope info` finds
 * on the same trace, and no allocator fails.
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { outputs as surfaceflinger } from '../generate/android-surfaceflinger.mjs';
import { outputs as systemui } from '../generate/android-systemui.mjs';
import { outputs as long } from '../generate/android-record-allocs-13m.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const replay = (trace, ...args) => heapscope('replay', '--format', 'json', ...args, trace);
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (n) => `${fmt(n / 2 ** 20, 1)} MiB`;

const COMMANDS = {
  sfGlibc: 'heapscope replay surfaceflinger (zip), glibc, end to end',
  sfGlibcSingle: 'heapscope replay surfaceflinger (zip), glibc, --single-thread, end to end',
  long: 'heapscope replay 13 M operations, glibc',
  sfFour: 'heapscope replay surfaceflinger (zip), four allocators',
  suiFour: 'heapscope replay systemui (zip), four allocators',
};
const TRACE_OF = {
  [COMMANDS.sfGlibc]: surfaceflinger.zip,
  [COMMANDS.sfGlibcSingle]: surfaceflinger.zip,
  [COMMANDS.long]: long.ops13m,
  [COMMANDS.sfFour]: surfaceflinger.zip,
  [COMMANDS.suiFour]: systemui.zip,
};

/** The side-by-side table of a four-allocator report, relative to glibc. */
function table(report) {
  const glibc = report.rows.find((r) => r.allocator === 'glibc');
  const rel = (v, base) => (base ? ` (${fmt(v / base, 2)}×)` : '');
  const lines = [
    '| allocator | op time | ns/op | peak RSS | final RSS | peak VA | final VA | RSS ÷ live at the end | replay wall |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of report.rows) {
    lines.push(
      `| ${r.allocator} | ${fmt(r.seconds * 1000)} ms${rel(r.seconds, glibc.seconds)} | ${fmt(r.nsPerOp, 1)} | ${mib(r.peakRss)}${rel(r.peakRss, glibc.peakRss)} | ${mib(r.finalRss)} | ` +
        `${mib(r.peakVa)}${rel(r.peakVa, glibc.peakVa)} | ${mib(r.finalVa)} | ${fmt(r.finalRss / report.trace.finalLiveBytes, 1)} | ${fmt(r.wallSeconds * 1000)} ms |`,
    );
  }
  return lines.join('\n');
}

/** The report's verdict, as the JSON gives it. */
function verdict(report) {
  const v = report.verdict;
  return `Verdict: choose ${v.choose} (${v.reason}; fastest ${v.fastest}, least peak RSS ${v.leastMemory}; time ${v.timeWithinNoise ? 'within' : 'beyond'} noise, memory ${v.memoryWithinNoise ? 'within' : 'beyond'} noise, by the ${v.noiseFrom === 'ranges' ? "runs' ranges" : 'single-run margin'}).`;
}

export default {
  name: 'replay',
  title: 'Allocator replay of record_allocs traces (surfaceflinger 2.46 M operations, systemui 0.79 M, a 13 M-operation trace)',
  inputs: ['android-surfaceflinger', 'android-systemui', 'android-record-allocs-13m'],
  baseline: COMMANDS.sfGlibc,
  commands: [
    { label: COMMANDS.sfGlibc, role: 'heapscope', argv: replay(surfaceflinger.zip, '--allocators', 'glibc') },
    { label: COMMANDS.sfGlibcSingle, role: 'heapscope', argv: replay(surfaceflinger.zip, '--allocators', 'glibc', '--single-thread'), quick: false },
    { label: COMMANDS.long, role: 'heapscope', argv: replay(long.ops13m, '--allocators', 'glibc'), warmup: 0, maxRuns: 3, quick: false },
    { label: COMMANDS.sfFour, role: 'heapscope', argv: replay(surfaceflinger.zip), warmup: 0, maxRuns: 3, quick: false },
    { label: COMMANDS.suiFour, role: 'heapscope', argv: replay(systemui.zip), warmup: 0, maxRuns: 3 },
  ],

  async verify({ run, stdout, skipped }) {
    const notes = [];
    const ran = Object.values(COMMANDS).filter((label) => !skipped(label));
    const analysis = new Map();
    for (const trace of new Set(ran.map((label) => TRACE_OF[label]))) {
      const t = JSON.parse((await run(heapscope('info', '--format', 'json', trace))).stdout).inputs[0].trace;
      analysis.set(trace, { peak: t.peak.bytes, final: t.liveBytes });
    }
    const reports = {};
    for (const label of ran) {
      const report = JSON.parse(stdout(label));
      reports[label] = report;
      const expected = analysis.get(TRACE_OF[label]);
      if (report.trace.peakLiveBytes !== expected.peak || report.trace.finalLiveBytes !== expected.final) {
        throw new Error(`${label}: the replay counts ${report.trace.peakLiveBytes} B at the peak and ${report.trace.finalLiveBytes} B at the end, heapscope info ${expected.peak} and ${expected.final}`);
      }
      const failed = report.rows.filter((r) => r.error !== null);
      if (failed.length > 0) throw new Error(`${label}: ${failed.map((r) => r.error).join('; ')}`);
    }
    const names = new Map([[surfaceflinger.zip, 'surfaceflinger'], [systemui.zip, 'systemui'], [long.ops13m, 'the 13 M trace']]);
    notes.push(`Every run's live bytes equal \`heapscope info\`'s on the same trace: ${[...analysis].map(([trace, a]) => `${names.get(trace)} peak ${fmt(a.peak)} B, final ${fmt(a.final)} B`).join('; ')}.`);
    for (const label of [COMMANDS.sfGlibc, COMMANDS.sfGlibcSingle].filter((x) => reports[x])) {
      const r = reports[label];
      notes.push(
        `${label} (last run): the replay loop ${fmt(r.rows[0].wallSeconds * 1000)} ms, the operations themselves ${fmt(r.rows[0].seconds * 1000)} ms (${fmt(r.rows[0].nsPerOp, 1)} ns/op); ` +
          `the rest of the wall time is the CLI starting, reading and encoding the trace (op stream ${mib(r.trace.opStreamBytes)}) and writing the report.`,
      );
    }
    const l = reports[COMMANDS.long];
    if (l) notes.push(
      `13 M operations (${fmt(l.trace.ops)} replayed, ${l.trace.threads} trace threads, last run): the replayer peaked at ${mib(l.rows[0].maxRss)} (VmHWM; sampled peak ${mib(l.rows[0].peakRss)} for ${mib(l.trace.peakLiveBytes)} of live blocks at the trace's peak); ` +
        `op stream ${mib(l.trace.opStreamBytes)} on disk; the replay loop ${fmt(l.rows[0].wallSeconds, 1)} s. The peak RSS column is the whole process tree's (heapscope and the replayer).`,
    );
    if (reports[COMMANDS.sfFour]) notes.push(`Four allocators on surfaceflinger (\`${replay(surfaceflinger.zip).join(' ')}\`, last run; relative to glibc in parentheses):\n\n${table(reports[COMMANDS.sfFour])}\n\n${verdict(reports[COMMANDS.sfFour])}`);
    if (reports[COMMANDS.suiFour]) notes.push(`Four allocators on systemui (\`${replay(systemui.zip).join(' ')}\`, last run):\n\n${table(reports[COMMANDS.suiFour])}\n\n${verdict(reports[COMMANDS.suiFour])}`);
    return notes;
  },
};
