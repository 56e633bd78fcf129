/**
 * The analyses at scale (issue "Analyzer", Speed): `heapscope growth` over a
 * series of 100 jemalloc dumps of about 10,000 stacks each (input
 * jemalloc-series-100, written by the real jemalloc while bench/src/series.c
 * runs), and `heapscope churn` and `growth --windows` over a 10-million-
 * operation record_allocs trace (input trace-10m).
 *
 * No reference tool answers these questions (jeprof and pprof read one dump,
 * or diff two), so there is no reference row. The checks are against what
 * the workload is known to do: leak_site grows by 256,000 B in every round
 * and must rank first with that slope; plateau_site stops after 20 rounds;
 * churn_site holds nothing at any dump. For the trace, churn's totals must
 * equal the replay's counts that `heapscope info` reports.
 *
 * Every core (issue 23): `growth` over the 100 dumps with `--jobs 1` beside
 * the default (parsing on worker threads, one per core), target ≥ 1.7×
 * faster on 2 cores. Until `heapscope growth --help` lists --jobs, the
 * `--jobs 1` row is skipped with that reason, and starts running when the
 * option lands. The check then also compares the two rankings.
 */
import { HEAPSCOPE_BIN, run as runCommand } from '../lib/exec.mjs';
import { ROUNDS, SITES, dumps } from '../generate/jemalloc-series-100.mjs';
import { LINES, outputs as traceOutputs } from '../generate/trace-10m.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const trace = traceOutputs.trace;
const GROWTH = 'heapscope growth (100 dumps)';
const GROWTH_1 = 'heapscope growth --jobs 1 (100 dumps)';
const CHURN = 'heapscope churn (10 M operations)';
const WINDOWS = 'heapscope growth --windows 20 (10 M operations)';

/** Why `growth --jobs` cannot be timed yet, or null when heapscope has it. */
async function noJobsOption() {
  const { stdout } = await runCommand(heapscope('growth', '--help'));
  return /--jobs\b/.test(stdout) ? null : '`heapscope growth --help` lists no --jobs option yet';
}

export default {
  name: 'series-and-trace',
  title: 'growth over 100 dumps of 10,000 stacks, churn and growth --windows over a 10 M-operation trace',
  inputs: ['jemalloc-series-100', 'trace-10m'],
  baseline: GROWTH,
  commands: [
    { label: GROWTH, role: 'heapscope', argv: heapscope('growth', '--no-symbolize', ...dumps), maxRuns: 3 },
    { label: GROWTH_1, role: 'heapscope', argv: heapscope('growth', '--no-symbolize', '--jobs', '1', ...dumps), maxRuns: 3, skipWhen: noJobsOption },
    { label: CHURN, role: 'heapscope', argv: heapscope('churn', trace), maxRuns: 3 },
    { label: WINDOWS, role: 'heapscope', argv: heapscope('growth', '--windows', '20', trace), maxRuns: 3 },
  ],
  figures: [
    { name: `${GROWTH}: time`, time: GROWTH },
    { name: `${GROWTH_1} ÷ ${GROWTH}`, ratio: [GROWTH_1, GROWTH], better: 'higher', target: { min: 1.7 } },
    { name: `${CHURN}: M ops/s`, rate: CHURN, count: LINES, scale: 1e6, unit: 'M ops/s' },
    { name: `${WINDOWS}: M ops/s`, rate: WINDOWS, count: LINES, scale: 1e6, unit: 'M ops/s' },
  ],

  async verify({ run, stdout, skipped }) {
    const notes = [];
    // The series: symbolized against the workload binary, so sites have names.
    const g = JSON.parse((await run(heapscope('growth', '--format', 'json', ...dumps))).stdout);
    const first = g.rows[0];
    const leakSlope = SITES.leak_site(2) - SITES.leak_site(1);
    if (g.points !== ROUNDS && g.points?.length !== ROUNDS && g.inputs?.length !== ROUNDS) throw new Error(`growth: expected ${ROUNDS} points, got ${JSON.stringify(g.points ?? g.inputs?.length)}`);
    if (first?.name !== 'leak_site') throw new Error(`growth: first row is ${first?.name}, expected leak_site`);
    if (Math.abs(first.slope - leakSlope) > 1) throw new Error(`growth: leak_site slope ${first.slope}, expected ${leakSlope} per dump`);
    const plateau = g.rows.find((r) => r.name === 'plateau_site');
    if (!plateau) throw new Error('growth: no plateau_site row');
    if (!skipped(GROWTH_1)) {
      // Parallel parsing must not change the answer: the same ranking with one job as with the default.
      const rank = (text) => text.trimEnd().split('\n').filter((l) => /\S/.test(l));
      if (rank(stdout(GROWTH_1)).join('\n') !== rank(stdout(GROWTH)).join('\n')) throw new Error('growth --jobs 1 printed another report than growth with the default jobs');
      notes.push('`growth --jobs 1` printed the same report as `growth` with the default jobs.');
    }
    notes.push(
      `growth over ${ROUNDS} dumps: first row \`leak_site\`, slope ${fmt(first.slope, 1)} B per dump (the workload leaks ${fmt(leakSlope)} B per round), r² ${fmt(first.r2, 3)}; ` +
        `\`plateau_site\` ranks ${g.rows.indexOf(plateau) + 1} (trend ${plateau.trend}). Verdict: "${g.verdict}".`,
    );
    // The trace: churn's allocations and live set equal the replay's facts.
    const info = JSON.parse((await run(heapscope('info', '--format', 'json', trace))).stdout).inputs[0].trace;
    const c = JSON.parse((await run(heapscope('churn', '--format', 'json', '-n', '1000000', trace))).stdout);
    const allocs = c.rows.reduce((s, r) => s + r.allocObjects, 0);
    const liveBytes = c.rows.reduce((s, r) => s + r.liveBytes, 0);
    const ops = info.ops;
    const expectedAllocs = ops.malloc + ops.calloc + ops.memalign + ops.realloc;
    if (info.events + ops.freeNull + ops.threadDone !== LINES) throw new Error(`info: ${info.events} events + ${ops.freeNull} free(NULL) + ${ops.threadDone} thread_done, expected ${LINES} lines`);
    if (liveBytes !== info.liveBytes) throw new Error(`churn: rows hold ${liveBytes} live bytes, info says ${info.liveBytes}`);
    notes.push(
      `churn over ${fmt(LINES)} operations: ${fmt(c.rows.length)} rows, ${fmt(allocs)} allocations (the trace has ${fmt(expectedAllocs)} malloc/calloc/memalign/realloc), ` +
        `${fmt(liveBytes)} B live at the end as \`heapscope info\` reports; verdict: "${c.verdict}".`,
    );
    return notes;
  },
};
