/**
 * The text of `replay` and `trial`: a table with a row per allocator (each
 * figure also relative to glibc's, or to the first allocator that ran when
 * glibc did not), the errors of the allocators that did not run, and the
 * verdict line (which allocator to choose and why, from the replay
 * package's verdict).
 */
import { formatBytes, formatCount } from '@heapscope/analyzer';
import { SINGLE_RUN_MARGIN, type AllocatorVerdict, type ReplayReport, type TrialReport } from '@heapscope/replay';
import { plural } from '@heapscope/parser';
import { renderTable, type Column } from './table.js';

/** A time in seconds: `850 µs`, `121 ms`, `9.51 ms`, `1.23 s`. */
export function formatSeconds(s: number): string {
  const [value, unit] = s >= 1 ? [s, 's'] : s >= 1e-3 ? [s * 1e3, 'ms'] : [s * 1e6, 'µs'];
  return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${unit}`;
}

/** `0.74×`; `-` without both values. */
function ratio(value: number | null, base: number | null): string {
  return value === null || base === null || base === 0 ? '-' : `${(value / base).toFixed(2)}×`;
}

/** A median with its range over the runs, when there was more than one: `121 ms (115 ms–130 ms)`. */
function withRange(median: number, min: number | null, max: number | null, runs: number, format: (v: number) => string): string {
  return runs >= 2 && min !== null && max !== null ? `${format(median)} (${format(min)}–${format(max)})` : format(median);
}

/** The rows figures are relative to: glibc's, else the first that has figures. */
function baseline<R extends { allocator: string }>(rows: readonly R[], ran: (r: R) => boolean): R | undefined {
  return rows.find((r) => r.allocator === 'glibc' && ran(r)) ?? rows.find(ran);
}

/** The lines naming each allocator that did not run or failed, with why. */
function failures(rows: readonly { allocator: string; error: string | null }[]): string {
  return rows
    .filter((r) => r.error !== null)
    .map((r) => `failed: ${r.error}\n`)
    .join('');
}

/** The text of a replay report and its verdict. */
export function renderReplay(report: ReplayReport, verdict: AllocatorVerdict): string {
  const t = report.trace;
  const ran = (r: ReplayReport['rows'][number]) => r.error === null && r.seconds !== null;
  const base = baseline(report.rows, ran);
  const rel = base ? `× ${base.allocator}` : '×';
  const out: string[] = [];
  const live = t.peakLiveBytes !== null && t.finalLiveBytes !== null ? `; the trace's live bytes peak at ${formatBytes(t.peakLiveBytes)}, ${formatBytes(t.finalLiveBytes)} at the end` : '';
  const mode = t.mode === 'threads' ? `${formatCount(t.threads)} ${plural(t.threads, 'thread')}, each on its own` : `${formatCount(t.threads)} ${plural(t.threads, 'thread')} run on one (--single-thread)`;
  out.push(`${t.file}: ${formatCount(t.ops)} operations of ${mode}; ${formatCount(t.runs)} ${plural(t.runs, 'run')} per allocator${t.runs >= 2 ? ' (medians, with their range)' : ''}${live}\n`);
  const u = t.unreproducible;
  const counted = [
    u && u.unknownFrees > 0 ? `${formatCount(u.unknownFrees)} ${plural(u.unknownFrees, 'free')} of unknown pointers (not replayed)` : '',
    u && u.unknownReallocs > 0 ? `${formatCount(u.unknownReallocs)} ${plural(u.unknownReallocs, 'realloc')} of unknown pointers (replayed as realloc(NULL, size))` : '',
    u && u.implicitFrees > 0 ? `${formatCount(u.implicitFrees)} ${plural(u.implicitFrees, 'allocation')} at a live pointer (the old block freed first)` : '',
    t.notReplayed.untracked > 0 ? `${formatCount(t.notReplayed.untracked)} ${plural(t.notReplayed.untracked, 'allocation')} without a pointer (not replayed)` : '',
  ].filter((s) => s !== '');
  if (counted.length > 0) out.push(`not reproduced as recorded: ${counted.join('; ')}\n`);
  out.push('\n');
  const columns: Column[] = [
    { header: 'allocator', align: 'left' },
    { header: 'time', align: 'right' },
    { header: rel, align: 'right' },
    { header: 'ns/op', align: 'right' },
    { header: 'peak RSS', align: 'right' },
    { header: rel, align: 'right' },
    { header: 'final RSS', align: 'right' },
    { header: 'peak VA', align: 'right' },
    { header: rel, align: 'right' },
    { header: 'final VA', align: 'right' },
    { header: 'RSS ÷ live', align: 'right' },
    { header: 'refused', align: 'right' },
  ];
  const rows = report.rows.map((r) => {
    if (!ran(r)) return [r.allocator, 'failed', '', '', '', '', '', '', '', '', '', ''];
    return [
      r.allocator,
      withRange(r.seconds!, r.secondsMin, r.secondsMax, r.runs, formatSeconds),
      ratio(r.seconds, base!.seconds),
      r.nsPerOp!.toFixed(1),
      withRange(r.peakRss!, r.peakRssMin, r.peakRssMax, r.runs, formatBytes),
      ratio(r.peakRss, base!.peakRss),
      formatBytes(r.finalRss!),
      formatBytes(r.peakVa!),
      ratio(r.peakVa, base!.peakVa),
      formatBytes(r.finalVa!),
      t.finalLiveBytes ? (r.finalRss! / t.finalLiveBytes).toFixed(1) : '-',
      formatCount(r.failedAllocs ?? 0),
    ];
  });
  out.push(renderTable(columns, rows));
  out.push(failures(report.rows));
  out.push(`\n${replayVerdictLine(report, verdict)}\n`);
  return out.join('');
}

/** The verdict line of a replay (the text's last line). */
function replayVerdictLine(report: ReplayReport, verdict: AllocatorVerdict): string {
  const ran = report.rows.filter((r) => r.error === null && r.seconds !== null && r.peakRss !== null);
  const base = baseline(ran, () => true);
  return verdictLine(verdict, ran.map((r) => ({ allocator: r.allocator, time: r.seconds!, memory: r.peakRss! })), base?.allocator ?? null);
}

/** The text of a trial report and its verdict. */
export function renderTrial(report: TrialReport, verdict: AllocatorVerdict): string {
  const ran = (r: TrialReport['rows'][number]) => !r.failed && r.seconds !== null;
  const base = baseline(report.rows, ran);
  const rel = base ? `× ${base.allocator}` : '×';
  const out: string[] = [];
  out.push(`${report.command.join(' ')}: ${formatCount(report.runs)} ${plural(report.runs, 'run')} per allocator${report.runs >= 2 ? ' (medians, with their range)' : ''}\n\n`);
  const columns: Column[] = [
    { header: 'allocator', align: 'left' },
    { header: 'wall time', align: 'right' },
    { header: rel, align: 'right' },
    { header: 'max RSS', align: 'right' },
    { header: rel, align: 'right' },
    { header: 'user', align: 'right' },
    { header: 'system', align: 'right' },
    { header: 'runs', align: 'right' },
  ];
  const rows = report.rows.map((r) => {
    if (!ran(r)) return [r.allocator, 'failed', '', '', '', '', '', formatCount(r.runs)];
    return [
      r.allocator,
      withRange(r.seconds!, r.secondsMin, r.secondsMax, r.runs, formatSeconds),
      ratio(r.seconds, base!.seconds),
      withRange(r.maxRss!, r.maxRssMin, r.maxRssMax, r.runs, formatBytes),
      ratio(r.maxRss, base!.maxRss),
      formatSeconds(r.userSeconds!),
      formatSeconds(r.systemSeconds!),
      formatCount(r.runs),
    ];
  });
  out.push(renderTable(columns, rows));
  out.push(failures(report.rows));
  out.push(`\n${verdictLine(verdict, report.rows.filter(ran).map((r) => ({ allocator: r.allocator, time: r.seconds!, memory: r.maxRss! })), base?.allocator ?? null)}\n`);
  return out.join('');
}

interface Figures {
  allocator: string;
  time: number;
  memory: number;
}

/** The one-line verdict: the allocator to choose, why, and which differences are within noise. */
function verdictLine(v: AllocatorVerdict, rows: readonly Figures[], base: string | null): string {
  if (v.choose === null) return 'verdict: no allocator ran (see the failures above)';
  const memoryWord = v.memoryFigure === 'peakRss' ? 'peak RSS' : 'max RSS';
  const byName = new Map(rows.map((r) => [r.allocator, r]));
  // How the chosen one compares: with the baseline's figure, or with the next best when it is the baseline.
  const lead = (name: string, fig: 'time' | 'memory', show: (x: number) => string) => {
    const chosen = byName.get(name)!;
    const others = rows.filter((r) => r.allocator !== name);
    if (others.length === 0) return show(chosen[fig]);
    if (base !== null && base !== name) return `${show(chosen[fig])}, ${(chosen[fig] / byName.get(base)![fig]).toFixed(2)}× ${base}'s`;
    const next = others.reduce((a, b) => (b[fig] < a[fig] ? b : a));
    return `${show(chosen[fig])}; next ${next.allocator}, ${(next[fig] / chosen[fig]).toFixed(2)}× as much`;
  };
  const noise =
    v.noiseFrom === 'ranges'
      ? "the runs' ranges overlap"
      : `one run each, where under ${Math.round((SINGLE_RUN_MARGIN.time - 1) * 100)}% in time and ${Math.round((SINGLE_RUN_MARGIN.memory - 1) * 100)}% in memory is noise; --runs 3 measures it`;
  const fastest = v.fastest !== null ? `the fastest (${lead(v.fastest, 'time', formatSeconds)})` : '';
  const leanest = v.leastMemory !== null ? `the least ${memoryWord} (${lead(v.leastMemory, 'memory', formatBytes)})` : '';
  switch (v.reason) {
    case 'fastest-and-least-memory':
      return `verdict: choose ${v.choose}: ${fastest} and ${leanest}`;
    case 'least-memory':
      return `verdict: choose ${v.choose}: ${leanest}; time differences are within noise (${noise})`;
    case 'fastest':
      return `verdict: choose ${v.choose}: ${fastest}; ${memoryWord} differences are within noise (${noise})`;
    case 'trade-off':
      return `verdict: choose ${v.choose} for memory: ${leanest}; ${v.fastest} is ${fastest}, if speed matters more`;
    case 'no-difference':
      return `verdict: no allocator stands out: time and ${memoryWord} differences are within noise (${noise}); ${v.choose === 'glibc' ? 'glibc needs nothing preloaded' : `keep ${v.choose}`}`;
    case 'only-one':
      return `verdict: only ${v.choose} ran: nothing to compare it with`;
    case 'none-ran':
      return 'verdict: no allocator ran (see the failures above)';
  }
}

/** The verdict in a few words (a chart's heading): `choose glibc: least memory; time within noise`. */
export function verdictHeading(v: AllocatorVerdict): string {
  const memory = v.memoryFigure === 'peakRss' ? 'peak RSS' : 'max RSS';
  switch (v.reason) {
    case 'fastest-and-least-memory':
      return `choose ${v.choose}: the fastest and the least ${memory}`;
    case 'least-memory':
      return `choose ${v.choose}: the least ${memory}; time differences within noise`;
    case 'fastest':
      return `choose ${v.choose}: the fastest; ${memory} differences within noise`;
    case 'trade-off':
      return `choose ${v.choose} for the least ${memory}; ${v.fastest} is faster`;
    case 'no-difference':
      return `no allocator stands out: differences within noise`;
    case 'only-one':
      return `only ${v.choose} ran`;
    case 'none-ran':
      return 'no allocator ran';
  }
}
