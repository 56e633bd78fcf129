/**
 * Android record_allocs: `heapscope info` on the real 58.9 MB surfaceflinger
 * trace (2.46 M operations), zipped as AOSP keeps it and unzipped, and the
 * event accumulator's throughput in operations per second.
 *
 * There is no reference tool to run beside heapscope (memory_replay runs on
 * Android and replays allocations; it does not report), so the checks are
 * against the counts of docs/formats.md#record-allocs-corpus and the live bytes that the tests' own
 * independent count finds (packages/analyzer/test/android-record-allocs.test.ts).
 *
 * Throughput: this file is also a script. `node bench/cases/android-record-allocs.mjs
 * --throughput FILE [RUNS] [--parse-only]` reads FILE into memory once, then
 * parses and accumulates it RUNS times in-process with the built packages (no
 * process start-up, no file reading, no decompression), and prints JSON
 * with the time of each run. `--parse-only` parses into a sink that does
 * nothing instead of the event accumulator (in its own process: one sink per process
 * keeps V8's call sites monomorphic, as in the CLI). The first run is
 * cold (the JIT compiles as it goes), as in a CLI run; later ones are warm.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HEAPSCOPE_BIN, ROOT } from '../lib/exec.mjs';
import { outputs } from '../generate/android-surfaceflinger.mjs';

const SELF = 'bench/cases/android-record-allocs.mjs';
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

// docs/formats.md#record-allocs-corpus for surfaceflinger.txt; live bytes from the tests' independent count.
const EXPECTED = { malloc: 1_142_990, calloc: 44_229, realloc: 73_781, free: 1_191_725, freeNull: 2_514, threadDone: 1, liveObjects: 3_567, liveBytes: 1_516_677 };
/** Lines (operations) of the trace. */
const OPERATIONS = EXPECTED.malloc + EXPECTED.calloc + EXPECTED.realloc + EXPECTED.free + EXPECTED.freeNull + EXPECTED.threadDone;

/** Parses (and accumulates, unless `parseOnly`) `file` `runs` times in this process; returns ms per run. */
async function throughput(file, runs, parseOnly) {
  const parser = await import(pathToFileURL(path.join(ROOT, 'packages/parser/dist/index.js')).href);
  const analyzer = await import(pathToFileURL(path.join(ROOT, 'packages/analyzer/dist/index.js')).href);
  const bytes = readFileSync(file);
  const nullSink = { alloc() {}, free() {}, realloc() {}, allocUntracked() {}, threadDone() {} };
  const result = { file: path.relative(ROOT, file), bytes: bytes.length, accumulate: !parseOnly, events: 0, ms: [] };
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const input = await parser.openBytes(file, bytes);
    const importer = parser.importerById('android-record-allocs');
    const builder = parser.traceBuilder(input, importer);
    const sink = parseOnly ? nullSink : new analyzer.EventAccumulator(builder);
    const facts = await parser.parseTrace(input, importer, builder, sink);
    if (!parseOnly) result.events = sink.finish(facts).report.events;
    result.ms.push(performance.now() - start);
  }
  return result;
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export default {
  name: 'android-record-allocs',
  title: 'heapscope info on an Android record_allocs trace (surfaceflinger, 58.9 MB, 2.46 M operations)',
  inputs: ['android-surfaceflinger'],
  baseline: 'heapscope info (zip)',
  commands: [
    { label: 'heapscope info (zip)', role: 'heapscope', argv: heapscope('info', outputs.zip) },
    { label: 'heapscope info (unzipped)', role: 'heapscope', argv: heapscope('info', outputs.text) },
    { label: 'heapscope top --by thread (zip)', role: 'heapscope', argv: heapscope('top', '--by', 'thread', outputs.zip), quick: false },
    { label: 'parse + accumulate in-process, 5 times', role: 'heapscope', argv: ['node', SELF, '--throughput', outputs.text, '5'], quick: false },
    { label: 'parse in-process, 5 times', role: 'heapscope', argv: ['node', SELF, '--throughput', outputs.text, '5', '--parse-only'], quick: false },
  ],
  figures: [
    { name: 'heapscope info (zip): M ops/s', rate: 'heapscope info (zip)', count: OPERATIONS, scale: 1e6, unit: 'M ops/s' },
    { name: 'heapscope info (unzipped): M ops/s', rate: 'heapscope info (unzipped)', count: OPERATIONS, scale: 1e6, unit: 'M ops/s' },
    { name: 'heapscope top --by thread (zip): time', time: 'heapscope top --by thread (zip)' },
  ],

  async verify({ run, stdout, skipped }) {
    const notes = [];
    const info = JSON.parse((await run(heapscope('info', '--format', 'json', outputs.zip))).stdout).inputs[0];
    const t = info.trace;
    const got = { ...t.ops, liveObjects: t.liveObjects, liveBytes: t.liveBytes };
    for (const [k, v] of Object.entries(EXPECTED)) {
      if (got[k] !== v) throw new Error(`heapscope info: ${k} = ${got[k]}, expected ${v} (docs/formats.md#record-allocs-corpus / the tests' independent count)`);
    }
    notes.push(
      `Same counts as docs/formats.md#record-allocs-corpus and the tests' independent count: ${fmt(t.events)} events, ${fmt(t.liveObjects)} blocks (${fmt(t.liveBytes)} B) live at the end, ` +
        `peak ${fmt(t.peak.bytes)} B at event ${fmt(t.peak.event)}.`,
    );
    if (skipped('parse + accumulate in-process, 5 times')) return notes;
    const accumulated = JSON.parse(stdout('parse + accumulate in-process, 5 times'));
    const parse = JSON.parse(stdout('parse in-process, 5 times'));
    const events = accumulated.events;
    const mops = (ms) => fmt(events / (ms / 1000) / 1e6, 2);
    const warm = (r) => r.ms.slice(1);
    notes.push(
      `Accumulation throughput in-process (\`node ${SELF} --throughput ${accumulated.file} 5\`: the trace already in memory, no process start-up, file reading or decompression), ` +
        `${fmt(events)} events: parse + accumulate ${fmt(median(warm(accumulated)))} ms warm median (${fmt(Math.min(...warm(accumulated)))} ms best) = ` +
        `**${mops(median(warm(accumulated)))} M operations/s** (${mops(Math.min(...warm(accumulated)))} M best); the first, cold run (as in a CLI run) ${fmt(accumulated.ms[0])} ms = ${mops(accumulated.ms[0])} M/s. ` +
        `Parsing alone into a sink that does nothing (\`--parse-only\`): ${fmt(median(warm(parse)))} ms warm median (${fmt(Math.min(...warm(parse)))} ms best), cold ${fmt(parse.ms[0])} ms. ` +
        `Every run: parse + accumulate ${accumulated.ms.map((v) => fmt(v)).join(', ')} ms; parse ${parse.ms.map((v) => fmt(v)).join(', ')} ms.`,
    );
    return notes;
  },
};

// As a script: the in-process throughput measurement.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const i = process.argv.indexOf('--throughput');
  if (i < 0 || !process.argv[i + 1]) {
    process.stderr.write(`usage: node ${SELF} --throughput FILE [RUNS] [--parse-only]\n`);
    process.exit(2);
  }
  const runs = Number(process.argv[i + 2] ?? 5);
  const result = await throughput(path.resolve(process.argv[i + 1]), Number.isInteger(runs) && runs > 0 ? runs : 5, process.argv.includes('--parse-only'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
