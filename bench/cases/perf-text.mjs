/**
 * perf script text: `heapscope info` on more than 1 GiB of malloc/calloc/
 * realloc/free uprobe records with frame-pointer callchains (input perf-1g,
 * synthesized from the real fixtures/perf capture), and the importer's
 * throughput in MB/s with and without the event accumulator.
 *
 * There is no reference tool that reads perf script text and reports heap
 * numbers (perf report reads perf.data, which is not kept for this input),
 * so the checks are against the capture itself: every repetition of it is
 * independent (its own pointers and tids), so counts, live bytes and exact
 * sizes must be REPETITIONS times the fixture's, and the fixture's own sizes
 * are checked against perf report in packages/parser/test/perf-fixtures.test.ts.
 *
 * Throughput: this file is also a script. `node bench/cases/perf-text.mjs
 * --throughput FILE [RUNS]` parses FILE RUNS times in-process with the built
 * packages, once into a sink that does nothing and once into the event accumulator, and
 * prints JSON with each run's time and the process's peak RSS.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HEAPSCOPE_BIN, ROOT } from '../lib/exec.mjs';
import { REPETITIONS, SOURCE, outputs } from '../generate/perf-1g.mjs';

const SELF = 'bench/cases/perf-text.mjs';
const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Parses (and accumulates) `file` `runs` times in this process; returns ms per run. */
async function throughput(file, runs) {
  const parser = await import(pathToFileURL(path.join(ROOT, 'packages/parser/dist/index.js')).href);
  const analyzer = await import(pathToFileURL(path.join(ROOT, 'packages/analyzer/dist/index.js')).href);
  const nullSink = { alloc() {}, free() {}, realloc() {}, allocUntracked() {}, threadDone() {} };
  const result = { file: path.relative(ROOT, file), bytes: statSync(file).size, events: 0, parseMs: [], accumulateMs: [], peakRssBytes: 0 };
  for (let r = 0; r < runs; r++) {
    for (const accumulate of [false, true]) {
      const start = performance.now();
      const input = await parser.openInput(file);
      const importer = parser.importerById('perf-script');
      const builder = parser.traceBuilder(input, importer);
      const sink = accumulate ? new analyzer.EventAccumulator(builder) : nullSink;
      const facts = await parser.parseTrace(input, importer, builder, sink);
      if (accumulate) result.events = sink.finish(facts).report.events;
      (accumulate ? result.accumulateMs : result.parseMs).push(performance.now() - start);
    }
  }
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024;
  return result;
}

/** Exact sizes → count from `heapscope sizes --format json`. */
const sizeMap = (json) => new Map(json.rows.map((r) => [r.size, r.count]));

export default {
  name: 'perf-text',
  title: `heapscope on perf script text of malloc/free uprobes (≥ 1 GiB, ${REPETITIONS} × the fixture capture)`,
  inputs: ['perf-1g'],
  baseline: 'heapscope info --no-symbolize',
  commands: [
    { label: 'heapscope info --no-symbolize', role: 'heapscope', argv: heapscope('info', '--no-symbolize', outputs.text) },
    { label: 'heapscope info', role: 'heapscope', argv: heapscope('info', outputs.text), quick: false },
    { label: 'heapscope sizes --no-symbolize', role: 'heapscope', argv: heapscope('sizes', '--no-symbolize', outputs.text) },
    { label: 'parse, parse + accumulate in-process, 3 times', role: 'heapscope', argv: ['node', SELF, '--throughput', outputs.text, '3'], maxRuns: 1, warmup: 0, quick: false },
  ],
  figures: [
    { name: 'heapscope info --no-symbolize: MB/s', rate: 'heapscope info --no-symbolize', bytes: outputs.text },
    { name: 'heapscope info: MB/s', rate: 'heapscope info', bytes: outputs.text },
    { name: 'heapscope sizes --no-symbolize: MB/s', rate: 'heapscope sizes --no-symbolize', bytes: outputs.text },
  ],

  async verify({ run, stdout, skipped }) {
    const notes = [];
    const info = async (file) => JSON.parse((await run(heapscope('info', '--format', 'json', '--no-symbolize', file))).stdout).inputs[0].trace;
    const one = await info(SOURCE);
    const all = await info(outputs.text);
    const k = REPETITIONS;
    for (const op of ['malloc', 'calloc', 'realloc', 'free', 'freeNull']) {
      if (all.ops[op] !== k * one.ops[op]) throw new Error(`ops.${op}: ${all.ops[op]}, expected ${k} × ${one.ops[op]}`);
    }
    for (const key of ['events', 'liveBytes', 'liveObjects', 'unknownFrees', 'temporary']) {
      if (all[key] !== k * one[key]) throw new Error(`${key}: ${all[key]}, expected ${k} × ${one[key]}`);
    }
    // Each repetition keeps what the capture has live at its end, so the
    // peak is the last repetition's: k − 1 captures' live bytes below the
    // capture's own peak.
    const peak = (k - 1) * one.liveBytes + one.peak.bytes;
    if (all.peak.bytes !== peak) throw new Error(`peak ${all.peak.bytes} B, expected (${k} − 1) × ${one.liveBytes} + ${one.peak.bytes} = ${peak} B`);
    const sizes = async (file) => sizeMap(JSON.parse((await run(heapscope('sizes', '--format', 'json', '--no-symbolize', '--buckets', 'exact', file))).stdout));
    const s1 = await sizes(SOURCE);
    const sk = await sizes(outputs.text);
    for (const [size, count] of s1) if (sk.get(size) !== k * count) throw new Error(`size ${size}: ${sk.get(size)} allocations, expected ${k} × ${count}`);
    if (sk.size !== s1.size) throw new Error(`${sk.size} distinct sizes, expected ${s1.size}`);
    notes.push(
      `Same answer as the capture, ${k} times: ${fmt(all.events)} events (malloc ${fmt(all.ops.malloc)}, calloc ${fmt(all.ops.calloc)}, realloc ${fmt(all.ops.realloc)}, free ${fmt(all.ops.free)}, free(NULL) ${fmt(all.ops.freeNull)}), ` +
        `${fmt(all.liveObjects)} blocks (${fmt(all.liveBytes)} B) live at the end, peak ${fmt(all.peak.bytes)} B = (${k} − 1) × the capture's live ${fmt(one.liveBytes)} B + its peak ${fmt(one.peak.bytes)} B, ` +
        `${fmt(s1.size)} exact sizes each with ${k} × the capture's count.`,
    );
    if (skipped('parse, parse + accumulate in-process, 3 times')) return notes;
    const tp = JSON.parse(stdout('parse, parse + accumulate in-process, 3 times'));
    const mbs = (ms) => tp.bytes / 1e6 / (ms / 1000);
    notes.push(
      `In-process (\`node ${SELF} --throughput ${tp.file} 3\`, the file read from the page cache): ` +
        `parse + accumulate ${fmt(median(tp.accumulateMs))} ms median = ${fmt(mbs(median(tp.accumulateMs)), 1)} MB/s (best ${fmt(mbs(Math.min(...tp.accumulateMs)), 1)} MB/s); ` +
        `parsing alone into a sink that does nothing ${fmt(mbs(median(tp.parseMs)), 1)} MB/s median. Peak RSS of that process ${fmt(tp.peakRssBytes / 2 ** 20)} MiB. ` +
        `Per run: parse+accumulate ${tp.accumulateMs.map((v) => fmt(v)).join(', ')} ms; parse ${tp.parseMs.map((v) => fmt(v)).join(', ')} ms.`,
    );
    return notes;
  },
};

// As a script: the in-process throughput measurement.
if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const i = process.argv.indexOf('--throughput');
  if (i < 0 || !process.argv[i + 1]) {
    process.stderr.write(`usage: node ${SELF} --throughput FILE [RUNS]\n`);
    process.exit(2);
  }
  const result = await throughput(path.resolve(process.argv[i + 1]), Number(process.argv[i + 2] ?? 3));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
