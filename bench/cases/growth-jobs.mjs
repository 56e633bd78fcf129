/**
 * Every core (issue 23, item 4): `heapscope growth` over the series of 100
 * jemalloc dumps of about 10,000 stacks each (input jemalloc-series-100),
 * with the inputs read one after the other (`--jobs 1`) and by two readers
 * (`--jobs 2`: a worker thread and the main thread, which also reduces
 * each dump), timed alternately. Target: `--jobs 2` at least 1.7×
 * faster on two cores, its peak RSS within two dumps' worth of `--jobs 1`'s.
 *
 * The check: both print the same report, byte for byte.
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { dumps } from '../generate/jemalloc-series-100.mjs';

const growth = (jobs) => ['node', HEAPSCOPE_BIN, 'growth', '--no-symbolize', '--format', 'json', '--jobs', String(jobs), ...dumps];

export default {
  name: 'growth-jobs',
  title: 'growth over 100 dumps of 10,000 stacks: inputs read one after the other (--jobs 1) and by a worker thread and the main thread (--jobs 2)',
  inputs: ['jemalloc-series-100'],
  baseline: 'heapscope growth --jobs 1',
  commands: [
    { label: 'heapscope growth --jobs 1', role: 'heapscope', argv: growth(1) },
    { label: 'heapscope growth --jobs 2', role: 'heapscope', argv: growth(2) },
  ],

  async verify({ stdout }) {
    const one = stdout('heapscope growth --jobs 1');
    const two = stdout('heapscope growth --jobs 2');
    if (one !== two) throw new Error('growth --jobs 2 printed another report than --jobs 1');
    const report = JSON.parse(one);
    return [`--jobs 1 and --jobs 2 print the same report (${one.length.toLocaleString('en-US')} bytes of JSON, first row \`${report.rows[0]?.name}\`).`];
  },
};
