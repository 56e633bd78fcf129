/**
 * The per-event cost of the analyzer's event accumulator in two checkouts,
 * in one process: a trace's events are recorded once (its importer into a
 * recording sink), then fed alternately to A's and B's accumulator, RUNS
 * times each, with a full garbage collection before each run; prints the
 * median and best ns per event (wall) and the median CPU ns per event.
 * Alternating in one process keeps a busy machine's load alike for both.
 *
 *   node --expose-gc bench/compare/accumulator-ab.mjs ROOT_A CLASS_A ROOT_B CLASS_B TRACE [RUNS]
 *
 * ROOT is a built checkout (with each packages/NAME/dist built), CLASS the accumulator's export
 * (`EventAccumulator`; `Replay` before the rename).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const [rootA, classA, rootB, classB, file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 9);
const load = async (root) => ({ parser: await import(pathToFileURL(path.join(root, 'packages/parser/dist/index.js')).href), analyzer: await import(pathToFileURL(path.join(root, 'packages/analyzer/dist/index.js')).href) });
const A = await load(rootA), B = await load(rootB);
const cols = { k: [], v: [[], [], [], [], [], [], [], []] };
let n = 0;
const push = (k, ...v) => { cols.k.push(k); for (let i = 0; i < 8; i++) cols.v[i].push(v[i] ?? 0); n++; };
const rec = {
  alloc: (hi, lo, size, op, stack, thread, t) => push(0, hi, lo, size, op, stack, thread, t),
  free: (hi, lo, stack, thread, t) => push(1, hi, lo, stack, thread, t),
  realloc: (oh, ol, nh, nl, size, stack, thread, t) => push(2, oh, ol, nh, nl, size, stack, thread, t),
  allocUntracked: (size, op, stack, thread, t) => push(3, size, op, stack, thread, t),
  threadDone: (thread, t) => push(4, thread, t),
  sample: (stack, thread, w, t) => push(5, stack, thread, w, t),
};
const setup = async (P) => { const input = await P.parser.openInput(file); const importer = P.parser.detectImporter(input); const builder = P.parser.traceBuilder(input, importer); return { builder, facts: await P.parser.parseTrace(input, importer, builder, P === A ? rec : { alloc() {}, free() {}, realloc() {}, allocUntracked() {}, threadDone() {}, sample() {} }) }; };
const sa = await setup(A); const sb = await setup(B);
const K = Int8Array.from(cols.k); const V = cols.v.map((c) => Float64Array.from(c));
const body = `const [a, b, c, d, e, f, g, h] = V;
  for (let i = 0; i < n; i++) {
    switch (K[i]) {
      case 0: acc.alloc(a[i], b[i], c[i], d[i], e[i], f[i], g[i]); break;
      case 1: acc.free(a[i], b[i], c[i], d[i], e[i]); break;
      case 2: acc.realloc(a[i], b[i], c[i], d[i], e[i], f[i], g[i], h[i]); break;
      case 3: acc.allocUntracked(a[i], b[i], c[i], d[i], e[i]); break;
      case 4: acc.threadDone(a[i], b[i]); break;
      case 5: acc.sample(a[i], b[i], c[i], d[i]); break;
    }
  }
  return acc;`;
// One feeding function per accumulator: each gets call sites of its own (monomorphic).
const feeds = { A: new Function('K', 'V', 'n', 'acc', body), B: new Function('K', 'V', 'n', 'acc', body) };
const res = { A: [], B: [], Acpu: [], Bcpu: [] };
for (let r = 0; r < runs; r++) {
  for (const [name, P, s, cls] of [['A', A, sa, classA], ['B', B, sb, classB]]) {
    if (globalThis.gc) globalThis.gc(); // the other run's garbage is not this one's cost
    const acc = new P.analyzer[cls](s.builder, {});
    const t0 = performance.now(); const c0 = process.cpuUsage();
    feeds[name](K, V, n, acc);
    const ms = performance.now() - t0; const cu = process.cpuUsage(c0);
    res[name].push((ms * 1e6) / n); res[name + 'cpu'].push(((cu.user + cu.system) * 1e3) / n);
  }
}
const med = (xs) => { const s = [...xs].sort((x, y) => x - y); return +s[Math.floor(s.length / 2)].toFixed(1); };
const min = (xs) => +Math.min(...xs).toFixed(1);
console.log(JSON.stringify({ file: path.basename(file), events: n, runs, A: { median: med(res.A), min: min(res.A), cpuMedian: med(res.Acpu) }, B: { median: med(res.B), min: min(res.B), cpuMedian: med(res.Bcpu) } }));
