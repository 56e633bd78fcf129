/**
 * Memory against trace length: `heapscope info` on record_allocs traces of
 * 2.5 M, 6.5 M and 13 M operations (13 M: the size of Android's
 * system_server trace), synthesized from the real surfaceflinger trace
 * (bench/generate/android-record-allocs-13m.mjs says how). The replay keeps
 * only the live blocks and per-site aggregates, so peak RSS should follow the
 * live set, not the number of operations; the notes give the live set of
 * each trace beside it. The reference is an independent replay written as
 * simply as possible (bench/reference/simple-replay.mjs: readline and a Map)
 * on the 13 M trace; heapscope must find the same live and peak bytes.
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { outputs } from '../generate/android-record-allocs-13m.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const SIMPLE_REPLAY = 'bench/reference/simple-replay.mjs';
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const TRACES = [
  ['2.5 M operations', outputs.ops2_5m],
  ['6.5 M operations', outputs.ops6_5m],
  ['13 M operations', outputs.ops13m],
];

export default {
  name: 'android-record-allocs-rss',
  title: 'heapscope info: peak RSS against record_allocs trace length (2.5 M, 6.5 M, 13 M operations)',
  inputs: ['android-record-allocs-13m'],
  baseline: 'heapscope info, 2.5 M operations',
  commands: [
    ...TRACES.map(([what, file]) => ({ label: `heapscope info, ${what}`, role: 'heapscope', argv: heapscope('info', file), warmup: 0, maxRuns: 3 })),
    { label: 'simple replay, 13 M operations', role: 'reference', argv: ['node', SIMPLE_REPLAY, outputs.ops13m], warmup: 0, maxRuns: 3, quick: false },
  ],
  figures: [
    { name: 'heapscope info, 13 M operations: peak RSS', memory: 'heapscope info, 13 M operations' },
    { name: 'heapscope info, 13 M operations: M ops/s', rate: 'heapscope info, 13 M operations', count: 13e6, scale: 1e6, unit: 'M ops/s' },
    { name: 'simple replay ÷ heapscope info, 13 M operations', ratio: ['simple replay, 13 M operations', 'heapscope info, 13 M operations'], better: 'higher' },
  ],

  async verify({ run, stdout, skipped }) {
    const rows = [];
    for (const [what, file] of TRACES) {
      const t = JSON.parse((await run(heapscope('info', '--format', 'json', file))).stdout).inputs[0].trace;
      if (t.unknownFrees !== 0) throw new Error(`${file}: ${t.unknownFrees} frees of unknown pointers (the repetitions' pointer ranges overlap?)`);
      rows.push(
        `${what}: ${fmt(t.events)} events, ${fmt(t.liveObjects)} blocks (${(t.liveBytes / 2 ** 20).toFixed(2)} MiB) live at the end, ` +
          `peak ${(t.peak.bytes / 2 ** 20).toFixed(2)} MiB in ${fmt(t.peak.objects)} blocks`,
      );
    }
    const notes = [`Live sets (\`heapscope info --format json\`): ${rows.join('; ')}.`];
    if (skipped('simple replay, 13 M operations')) return notes;
    // The 13 M trace against the independent replay: same operations, live set and peak.
    const ref = JSON.parse(stdout('simple replay, 13 M operations'));
    const t = JSON.parse((await run(heapscope('info', '--format', 'json', outputs.ops13m))).stdout).inputs[0].trace;
    const ours = { operations: t.events + t.ops.freeNull + t.ops.threadDone, liveObjects: t.liveObjects, liveBytes: t.liveBytes, peakBytes: t.peak.bytes };
    for (const [k, v] of Object.entries(ours)) {
      if (ref[k] !== v) throw new Error(`13 M trace: heapscope ${k} = ${v}, the simple replay (${SIMPLE_REPLAY}) ${ref[k]}`);
    }
    notes.push(
      `Same answer as the simple replay on the 13 M trace: ${fmt(ref.operations)} operations, ${fmt(ref.liveObjects)} blocks (${fmt(ref.liveBytes)} B) live at the end, peak ${fmt(ref.peakBytes)} B.`,
    );
    return notes;
  },
};
