/**
 * heaptrack recordings: `heapscope info` against `heaptrack_print` (its
 * default report) on the same interpreted recording of more than 10 M
 * events (input heaptrack-10m, recorded by the real heaptrack from
 * bench/src/churn.c), side by side; the importer's parse rate in MB/s
 * (decompressed) and events/s in-process; and peak RSS at three lengths of
 * the same program's recording (2.5 M, 5 M, 10.5 M events; the live set is
 * the same in all three).
 *
 * The check: heapscope finds heaptrack_print's totals — calls to allocation
 * functions and temporary allocations exactly, peak and leaked bytes as
 * heaptrack_print rounds them.
 *
 * Throughput: this file is also a script. `node bench/cases/heaptrack.mjs
 * --throughput FILE [RUNS]` reads FILE RUNS times in-process with the built
 * packages: decompression alone, parsing into a sink that does nothing,
 * parsing into the event accumulator, and into the accumulator as `info`
 * asks for it (no per-site lifetimes, exact sizes or peak sites); it prints
 * JSON with each run's time.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HEAPSCOPE_BIN, ROOT } from '../lib/exec.mjs';
import { outputs } from '../generate/heaptrack-10m.mjs';
import { checkHeaptrackTotals } from '../lib/heaptrack.mjs';

const SELF = 'bench/cases/heaptrack.mjs';
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const LENGTHS = [
  ['2.5 M events', outputs.events2_5m],
  ['5 M events', outputs.events5m],
  ['10.5 M events', outputs.events10m],
];

/** Reads `file` `runs` times in this process: decompression, parse, parse + accumulate. */
async function throughput(file, runs) {
  const parser = await import(pathToFileURL(path.join(ROOT, 'packages/parser/dist/index.js')).href);
  const analyzer = await import(pathToFileURL(path.join(ROOT, 'packages/analyzer/dist/index.js')).href);
  const nullSink = { alloc() {}, free() {}, realloc() {}, allocUntracked() {}, threadDone() {}, sample() {} };
  const result = { file: path.relative(ROOT, file), decompressedBytes: 0, events: 0, decompressMs: [], parseMs: [], accumulateMs: [], infoMs: [], decompressCpuMs: [], parseCpuMs: [], accumulateCpuMs: [], infoCpuMs: [] };
  // CPU time of the whole process (its threads included), less disturbed than wall time on a busy machine.
  const cpuMs = (since) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e3;
  };
  for (let r = 0; r < runs; r++) {
    let start = performance.now();
    let cpu = process.cpuUsage();
    let bytes = 0;
    for await (const chunk of (await parser.openInput(file)).chunks()) bytes += chunk.length;
    result.decompressMs.push(performance.now() - start);
    result.decompressCpuMs.push(cpuMs(cpu));
    result.decompressedBytes = bytes;
    for (const step of ['parse', 'accumulate', 'info']) {
      start = performance.now();
      cpu = process.cpuUsage();
      const input = await parser.openInput(file);
      const importer = parser.importerById('heaptrack');
      const builder = parser.traceBuilder(input, importer);
      const sink = step === 'parse' ? nullSink : new analyzer.EventAccumulator(builder, step === 'info' ? { parts: [] } : {});
      const facts = await parser.parseTrace(input, importer, builder, sink);
      if (step !== 'parse') result.events = sink.finish(facts).report.events;
      result[`${step}Ms`].push(performance.now() - start);
      result[`${step}CpuMs`].push(cpuMs(cpu));
    }
  }
  return result;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

export default {
  name: 'heaptrack',
  title: 'heaptrack recordings: heapscope info vs heaptrack_print on > 10 M events; parse rate; peak RSS at three lengths',
  inputs: ['heaptrack-10m'],
  tools: { heaptrack_print: ['heaptrack_print', '--version'] },
  baseline: 'heapscope info --no-symbolize, 10.5 M events',
  commands: [
    ...LENGTHS.map(([what, file]) => {
      const longest = what.startsWith('10');
      return { label: `heapscope info --no-symbolize, ${what}`, role: 'heapscope', argv: heapscope('info', '--no-symbolize', file), maxRuns: longest ? undefined : 3, ...(longest ? {} : { quick: false }) };
    }),
    { label: 'heaptrack_print, 10.5 M events', role: 'reference', argv: ['heaptrack_print', '-f', outputs.events10m] },
    { label: 'decompress, parse, parse + accumulate in-process, 3 times', role: 'heapscope', argv: ['node', SELF, '--throughput', outputs.events10m, '3'], maxRuns: 1, warmup: 0, quick: false },
  ],

  async verify({ run, stdout, skipped }) {
    const same = await checkHeaptrackTotals(run, outputs.events10m, stdout('heaptrack_print, 10.5 M events'));
    if (skipped('decompress, parse, parse + accumulate in-process, 3 times')) return [same];
    const tp = JSON.parse(stdout('decompress, parse, parse + accumulate in-process, 3 times'));
    const mb = tp.decompressedBytes / 1e6;
    const rate = (ms) => `${fmt(mb / (median(ms) / 1e3), 0)} MB/s, ${fmt(tp.events / (median(ms) / 1e3) / 1e6, 2)} M events/s`;
    return [
      same,
      `In-process, median of 3 on ${tp.file} (${fmt(mb, 1)} MB decompressed, ${fmt(tp.events)} events): zstd decompression alone ${fmt(mb / (median(tp.decompressMs) / 1e3), 0)} MB/s; ` +
        `parse into a null sink ${rate(tp.parseMs)}; parse + accumulate ${rate(tp.accumulateMs)}; as info (no parts) ${rate(tp.infoMs)}. ` +
        `CPU time (every thread), median: decompression ${fmt(median(tp.decompressCpuMs))} ms, parse ${fmt(median(tp.parseCpuMs))} ms, parse + accumulate ${fmt(median(tp.accumulateCpuMs))} ms, as info ${fmt(median(tp.infoCpuMs))} ms.`,
    ];
  },
};

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, SELF) && process.argv[2] === '--throughput') {
  const result = await throughput(path.resolve(ROOT, process.argv[3]), Number(process.argv[4] ?? 3));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
