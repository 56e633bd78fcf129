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
 */
import { HEAPSCOPE_BIN } from '../lib/exec.mjs';
import { ROUNDS, SITES, dumps } from '../generate/jemalloc-series-100.mjs';
import { LINES, outputs as traceOutputs } from '../generate/trace-10m.mjs';

const heapscope = (...args) => ['node', HEAPSCOPE_BIN, ...args];
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const trace = traceOutputs.trace;

export default {
  name: 'series-and-trace',
  title: 'growth over 100 dumps of 10,000 stacks, churn and growth --windows over a 10 M-operation trace',
  inputs: ['jemalloc-series-100', 'trace-10m'],
  baseline: 'heapscope growth (100 dumps)',
  commands: [
    { label: 'heapscope growth (100 dumps)', role: 'heapscope', argv: heapscope('growth', '--no-symbolize', ...dumps), maxRuns: 3 },
    { label: 'heapscope churn (10 M operations)', role: 'heapscope', argv: heapscope('churn', trace), maxRuns: 3 },
    { label: 'heapscope growth --windows 20 (10 M operations)', role: 'heapscope', argv: heapscope('growth', '--windows', '20', trace), maxRuns: 3 },
  ],

  async verify({ run }) {
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
