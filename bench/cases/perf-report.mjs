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
import { checkSameSizes, reportSizes } from '../lib/perf.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const REPORT = ['perf', 'report', '-i', outputs.data, '--stdio', '-n', '--sort', 'trace', '-g', 'none'];

export default {
  name: 'perf-report',
  title: 'heapscope sizes vs perf report --sort trace (real capture, > 1 GiB of perf script text)',
  inputs: ['perf-record'],
  tools: { perf: ['perf', '--version'] },
  baseline: 'heapscope sizes',
  commands: [
    { label: 'heapscope sizes', role: 'heapscope', argv: heapscope('sizes', '--no-symbolize', outputs.text), maxRuns: 3 },
    { label: 'perf report --sort trace', role: 'reference', argv: REPORT, maxRuns: 3 },
    { label: 'perf script (making the text)', role: 'reference', argv: ['sh', '-c', `perf script -i ${outputs.data} > /dev/null`], maxRuns: 3, quick: false },
  ],
  figures: [
    { name: 'heapscope sizes: MB/s', rate: 'heapscope sizes', bytes: outputs.text },
    { name: 'perf report --sort trace ÷ heapscope sizes', ratio: ['perf report --sort trace', 'heapscope sizes'], better: 'higher' },
  ],

  async verify({ run, stdout }) {
    const { sizes: want, folded } = reportSizes(stdout('perf report --sort trace'));
    if (!/^# Total Lost Samples: 0$/m.test(stdout('perf report --sort trace'))) throw new Error('perf report: the capture lost samples');
    const hs = JSON.parse((await run(heapscope('sizes', '--format', 'json', '--no-symbolize', '-n', '100000', outputs.text))).stdout);
    if (hs.sizeKind !== 'exact') throw new Error(`heapscope sizes: sizeKind ${hs.sizeKind}, expected exact`);
    const total = checkSameSizes(want, hs.rows);
    return [
      `Same (size, count) pairs: ${fmt(want.size)} sizes, ${fmt(total)} allocations (perf report's entry events, with its ${fmt(folded)} malloc calls inside realloc(NULL, n) folded into the realloc, as heapscope counts them); ` +
        `hottest ${fmt(hs.rows[0].size)} B × ${fmt(hs.rows[0].count)}.`,
    ];
  },
};
