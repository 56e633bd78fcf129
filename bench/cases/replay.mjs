/**
 * The allocator replay (@heapscope/replay): real record_allocs traces
 * replayed against real allocators by the native replayer.
 *
 * - surfaceflinger (2.46 M operations) under glibc, end to end: reading and
 *   encoding the trace, then the replay — target ≤ 2 s wall; each trace
 *   thread on its own thread (the default), and on one thread;
 * - the 13 M-operation trace of android-record-allocs-13m under glibc: the
 *   encoder streams and the replayer reads a file, so the memory of both
 *   sides follows the live set, not the trace's length (the notes give the
 *   Node side's and the replayer's peak RSS);
 * - glibc, jemalloc, tcmalloc and mimalloc side by side on surfaceflinger
 *   and on systemui, in one run each (the notes give their tables).
 *
 * The CLI commands (`heapscope replay`) are not wired yet, so the commands
 * run this file as a script: `node bench/cases/replay.mjs --replay TRACE
 * [--allocators LIST] [--single-thread]` calls replayTrace from the built
 * package (packages/replay/dist) and prints its report as JSON, without the
 * series (their lengths instead), plus the script's own peak RSS (`nodeMaxRss`, VmHWM).
 *
 * Checks: every run's trace live bytes (peak and final) equal what
 * `heapscope info` finds on the same trace, and no allocator fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { HEAPSCOPE_BIN, ROOT } from '../lib/exec.mjs';
import { outputs as surfaceflinger } from '../generate/android-surfaceflinger.mjs';
import { outputs as systemui } from '../generate/android-systemui.mjs';
import { outputs as long } from '../generate/android-record-allocs-13m.mjs';

const SELF = 'bench/cases/replay.mjs';
const replay = (...args) => ['node', SELF, '--replay', ...args];
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const mib = (n) => `${fmt(n / 2 ** 20, 1)} MiB`;

const COMMANDS = {
  sfGlibc: 'replay surfaceflinger (zip), glibc, end to end',
  sfGlibcSingle: 'replay surfaceflinger (zip), glibc, --single-thread, end to end',
  long: 'replay 13 M operations, glibc',
  sfFour: 'replay surfaceflinger (zip), four allocators',
  suiFour: 'replay systemui (zip), four allocators',
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
        `${label} (last run, inside the script): ${fmt(r.scriptSeconds, 2)} s from process start to the report (target ≤ 2 s), of which reading and encoding ${fmt(r.encodeSeconds, 2)} s ` +
          `(op stream ${mib(r.trace.opStreamBytes)}); the replay loop ${fmt(r.rows[0].wallSeconds * 1000)} ms, the operations themselves ${fmt(r.rows[0].seconds * 1000)} ms (${fmt(r.rows[0].nsPerOp, 1)} ns/op).`,
      );
    }
    const l = reports[COMMANDS.long];
    if (l) notes.push(
      `13 M operations (${fmt(l.trace.ops)} replayed, ${l.trace.threads} trace threads): the Node side (reading, encoding, driving) peaked at ${mib(l.nodeMaxRss)}, ` +
        `the replayer at ${mib(l.rows[0].maxRss)} (VmHWM; sampled peak ${mib(l.rows[0].peakRss)} for ${mib(l.trace.peakLiveBytes)} of live blocks at the trace's peak); op stream ${mib(l.trace.opStreamBytes)} on disk, ` +
        `reading and encoding ${fmt(l.encodeSeconds, 1)} s, the replay loop ${fmt(l.rows[0].wallSeconds, 1)} s.`,
    );
    if (reports[COMMANDS.sfFour]) notes.push(`Four allocators on surfaceflinger (\`${replay(surfaceflinger.zip).join(' ')}\`, last run; relative to glibc in parentheses):\n\n${table(reports[COMMANDS.sfFour])}`);
    notes.push(`Four allocators on systemui (\`${replay(systemui.zip).join(' ')}\`, last run):\n\n${table(reports[COMMANDS.suiFour])}`);
    return notes;
  },
};

// As a script: one replay through the built package.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const { values } = parseArgs({ options: { replay: { type: 'string' }, allocators: { type: 'string' }, 'single-thread': { type: 'boolean', default: false } } });
  if (!values.replay) {
    process.stderr.write(`usage: node ${SELF} --replay TRACE [--allocators LIST] [--single-thread]\n`);
    process.exit(2);
  }
  const { replayTrace } = await import(pathToFileURL(path.join(ROOT, 'packages/replay/dist/index.js')).href);
  let encodeSeconds = 0;
  let encodeStart = 0;
  const report = await replayTrace(path.resolve(values.replay), {
    allocators: values.allocators,
    singleThread: values['single-thread'],
    onPhase: (e) => {
      if (e.phase === 'encode') encodeStart = performance.now();
      else if (e.run === 1 && encodeSeconds === 0) encodeSeconds = (performance.now() - encodeStart) / 1000;
    },
  });
  const out = {
    ...report,
    series: report.series.map((s) => ({ allocator: s.allocator, points: s.points.length })),
    encodeSeconds,
    // performance.now() counts from the process's start.
    scriptSeconds: performance.now() / 1000,
    // VmHWM: getrusage's maxRSS would include the image before exec (the harness's fork).
    nodeMaxRss: Number(/^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
