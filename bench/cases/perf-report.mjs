/**
 * `heapscope sizes` on perf script text against `perf report --sort trace`
 * on the perf.data it was printed from (input perf-record: a real capture
 * of more than 1 GiB of text). This is the command people run today to find
 * hot allocation sizes from malloc probes; heapscope reads the text that
 * `perf script` prints, so the `perf script` row says what making that text
 * costs, once.
 *
 * The check: the same (size, count) pairs. perf report counts glibc's
 * malloc(n) inside realloc(NULL, n) as an event of its own, heapscope counts
 * the realloc (and says so in a warning), so those are folded first — as in
 * packages/parser/test/perf-fixtures.test.ts on the fixture capture.
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { outputs } from '../generate/perf-record.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const REPORT = ['perf', 'report', '-i', outputs.data, '--stdio', '-n', '--sort', 'trace', '-g', 'none'];

/** (size → count) of the entry events in perf report --sort trace output, realloc(NULL, n) folded; and how many were folded. */
function reportSizes(text) {
  const sizes = new Map();
  let event = '';
  let folded = 0;
  for (const line of text.split('\n')) {
    const section = /^# Samples: .* of event '([^']+)'/.exec(line);
    if (section) event = section[1];
    const row = /^\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+\([0-9a-f]+\)\s*(.*)$/.exec(line);
    if (!row || /__return$|:free$/.test(event)) continue;
    const count = Number(row[1]);
    const args = Object.fromEntries([...row[2].matchAll(/(\w+)=(\S+)/g)].map(([, k, v]) => [k, Number(v)]));
    const size = event.endsWith(':calloc') ? args.nmemb * args.size : args.size;
    if (event.endsWith(':realloc') && args.ptr !== 0 && size === 0) continue; // realloc(p, 0) frees
    sizes.set(size, (sizes.get(size) ?? 0) + count);
    if (event.endsWith(':realloc') && args.ptr === 0) {
      // glibc's realloc(NULL, n) calls malloc(n): perf has both, heapscope one.
      sizes.set(size, sizes.get(size) - count);
      folded += count;
    }
  }
  for (const [k, v] of sizes) if (v === 0) sizes.delete(k);
  return { sizes, folded };
}

export default {
  name: 'perf-report',
  title: 'heapscope sizes vs perf report --sort trace (real capture, > 1 GiB of perf script text)',
  inputs: ['perf-record'],
  tools: { perf: ['perf', '--version'] },
  baseline: 'heapscope sizes',
  commands: [
    { label: 'heapscope sizes', role: 'heapscope', argv: heapscope('sizes', '--no-symbolize', outputs.text), maxRuns: 3 },
    { label: 'perf report --sort trace', role: 'reference', argv: REPORT, maxRuns: 3 },
    { label: 'perf script (making the text)', role: 'reference', argv: ['sh', '-c', `perf script -i ${outputs.data} > /dev/null`], maxRuns: 3 },
  ],

  async verify({ run, stdout }) {
    const { sizes: want, folded } = reportSizes(stdout('perf report --sort trace'));
    if (!/^# Total Lost Samples: 0$/m.test(stdout('perf report --sort trace'))) throw new Error('perf report: the capture lost samples');
    const hs = JSON.parse((await run(heapscope('sizes', '--format', 'json', '--no-symbolize', '-n', '100000', outputs.text))).stdout);
    if (hs.sizeKind !== 'exact') throw new Error(`heapscope sizes: sizeKind ${hs.sizeKind}, expected exact`);
    const got = new Map(hs.rows.map((r) => [r.size, r.count]));
    const diffs = [...new Set([...want.keys(), ...got.keys()])].filter((s) => want.get(s) !== got.get(s));
    if (diffs.length > 0) {
      throw new Error(`(size, count) pairs differ at ${diffs.length} sizes, e.g. ${diffs.slice(0, 5).map((s) => `${s}: perf ${want.get(s)}, heapscope ${got.get(s)}`).join('; ')}`);
    }
    const total = [...want.values()].reduce((a, b) => a + b, 0);
    return [
      `Same (size, count) pairs: ${fmt(want.size)} sizes, ${fmt(total)} allocations (perf report's entry events, with its ${fmt(folded)} malloc calls inside realloc(NULL, n) folded into the realloc, as heapscope counts them); ` +
        `hottest ${fmt(hs.rows[0].size)} B × ${fmt(hs.rows[0].count)}.`,
    ];
  },
};
