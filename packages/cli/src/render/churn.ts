/**
 * The text of a `churn` report: the verdict, the site table, then for traces
 * the whole trace's lifetime histograms (events, and time when the trace has
 * timestamps), and with `--lifetimes` each shown site's histogram as one row
 * of a table; for a series of dumps, the process per interval.
 */
import { SITE_LIFETIME_BUCKETS, formatBytes, formatCount, type ChurnReport, type ChurnRow } from '@heapscope/analyzer';
import { nameHeader, renderTable, type Column } from './table.js';
import { bar } from './bar.js';
import { plural } from '@heapscope/parser';

/** How the text is drawn. */
export interface ChurnTextOptions {
  /** Show each site's lifetime histogram. */
  lifetimes: boolean;
  /** Stack filters were given (the whole-trace histograms ignore them). */
  filtered: boolean;
  /** How a series was ordered. */
  seriesBy: 'sequence' | 'given';
  /** What the rows are (`--by`): names the name column. */
  by?: string;
}

const right = (header: string): Column => ({ header, align: 'right' });

/** Said under the churn of sampled dumps (text and report page). */
export const SAMPLED_CHURN_NOTE = 'values are estimates: the dumps are sampled, and each value is unsampled as jeprof does (a site with few samples can be far off)';

/** The text of a churn report. */
export function renderChurn(r: ChurnReport, options: ChurnTextOptions): string {
  const trace = r.source === 'trace';
  let out = `${r.verdict}\n`;
  const dumps = r.intervals?.length ?? 0;
  out +=
    r.source === 'trace'
      ? `from an event trace${r.durationSeconds ? ` of ${r.durationSeconds.toFixed(3)} s` : ' (no timestamps)'}\n\n`
      : r.source === 'series'
        ? `from a series of ${dumps} dumps ${options.seriesBy === 'sequence' ? 'ordered by dump sequence number' : 'in the order given'}: allocated minus retained, per interval\n\n`
        : 'from one dump: allocated since start versus in use\n\n';
  const columns = [
    right('allocs'),
    right('alloc bytes'),
    right('live'),
    right('live bytes'),
    right('churned'),
    ...(trace ? [right('temporary'), right('median life'), ...(r.durationSeconds ? [right('allocs/s')] : [])] : []),
    { header: nameHeader(options.by ?? 'function'), align: 'left' as const },
  ];
  const rows = r.rows.map((row) => [
    formatCount(row.allocObjects),
    formatBytes(row.allocBytes),
    formatCount(row.liveObjects),
    formatBytes(row.liveBytes),
    `${Math.round(row.churnShare * 100)}%`,
    ...(trace
      ? [
          formatCount(row.temporary ?? 0),
          row.medianLifetimeEvents === null ? '-' : `≤${formatCount(row.medianLifetimeEvents)} ev`,
          ...(r.durationSeconds ? [formatCount(row.allocsPerSecond ?? 0)] : []),
        ]
      : []),
    row.name,
  ]);
  out += renderTable(columns, rows);
  if (r.sampled) out += `\n${SAMPLED_CHURN_NOTE}\n`;
  if (r.lifetimes) out += renderLifetimes(r, options);
  if (r.source === 'series' && r.intervals) out += renderIntervals(r, options.filtered);
  return out;
}

// --- lifetimes -------------------------------------------------------------

/** A histogram bucket as the text shows it: [from, to), to null = open. */
interface Bucket {
  from: number;
  to: number | null;
  count: number;
}

/**
 * Folds power-of-2 buckets into power-of-4 ones ([0,1), [1,4), [4,16), …):
 * half as many rows, and the same bounds as the per-site histograms.
 */
function log4Buckets(buckets: readonly Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  for (const b of buckets) {
    const k = b.from < 1 ? 0 : Math.floor(Math.log2(b.from) / 2) + 1;
    const from = k === 0 ? 0 : 4 ** (k - 1);
    const last = out[out.length - 1];
    if (last && last.from === from) {
      last.count += b.count;
      if (b.to === null) last.to = null;
    } else {
      out.push({ from, to: b.to === null ? null : k === 0 ? 1 : 4 ** k, count: b.count });
    }
  }
  return out;
}

/** `1–3`, `4–15`, `1,024–4,095`, `≥268,435,456`: events are whole numbers, so the bounds are inclusive. */
function eventsLabel(b: Bucket): string {
  if (b.to === null) return `≥${formatCount(b.from)}`;
  if (b.to - 1 <= b.from) return formatCount(b.from);
  return `${formatCount(b.from)}–${formatCount(b.to - 1)}`;
}

/** `<4`, `<16`, … `<1Ki`, `<4Mi`: a per-site column, short (the columns before it give the lower bound). */
function shortEventsLabel(b: Bucket): string {
  if (b.to === null) return `≥${shortPow2(b.from)}`;
  if (b.from === 0) return '0';
  return `<${shortPow2(b.to)}`;
}

/** A power of 2 as `64`, `256`, `1Ki`, `16Mi`, `4Gi`. */
function shortPow2(v: number): string {
  for (const [scale, unit] of [[2 ** 30, 'Gi'], [2 ** 20, 'Mi'], [2 ** 10, 'Ki']] as const) if (v >= scale) return `${v / scale}${unit}`;
  return String(v);
}

const TIME_UNITS: [number, string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

/** A duration in ns in the largest unit it reaches, 3 significant digits: [value, unit]. */
function duration(ns: number): [string, string] {
  const [scale, unit] = TIME_UNITS.find(([s]) => ns >= s) ?? [1, 'ns'];
  const v = ns / scale;
  return [v >= 100 || scale === 1 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2), unit];
}

/** `262 µs–1.05 ms`, `1.02–4.10 µs`, `< 1 ns`: from (inclusive) to (exclusive). */
function timeLabel(b: Bucket): string {
  const [fromValue, fromUnit] = duration(b.from);
  if (b.to === null) return `≥${fromValue} ${fromUnit}`;
  const [toValue, toUnit] = duration(b.to);
  if (b.from === 0) return `<${toValue} ${toUnit}`;
  return fromUnit === toUnit ? `${fromValue}–${toValue} ${toUnit}` : `${fromValue} ${fromUnit}–${toValue} ${toUnit}`;
}


/** `12.3%`, `<0.1%` for a share above 0 that rounds to 0. */
function percent(share: number): string {
  if (share > 0 && share < 0.0005) return '<0.1%';
  return `${(share * 100).toFixed(1)}%`;
}

function histogram(buckets: readonly Bucket[], total: number, label: (b: Bucket) => string, header: string): string {
  const max = buckets.reduce((m, b) => Math.max(m, b.count), 0);
  const table = renderTable(
    [right(header), right('blocks'), right('share'), { header: '', align: 'left' }],
    buckets.map((b) => [label(b), formatCount(b.count), total > 0 ? percent(b.count / total) : '-', bar(b.count, max)]),
  );
  return table.replace(/^(?=.)/gm, '  ');
}

function renderLifetimes(r: ChurnReport, options: ChurnTextOptions): string {
  const l = r.lifetimes!;
  const scope = options.filtered ? 'every site: the filters do not apply' : 'every site';
  let out = `\nlifetimes of the ${formatCount(l.freedObjects)} ${plural(l.freedObjects, 'block')} freed in the trace (${scope}), in allocation events:\n`;
  if (l.freedObjects === 0) out += '  none was freed\n';
  else out += histogram(log4Buckets(l.events.map((b) => ({ from: b.fromEvents, to: b.toEvents, count: b.count }))), l.freedObjects, eventsLabel, 'events');
  if (l.ns && l.timedObjects) {
    out += `\nin time (${formatCount(l.timedObjects)} freed ${plural(l.timedObjects, 'block')} with timestamps):\n`;
    out += histogram(log4Buckets(l.ns.map((b) => ({ from: b.fromNs, to: b.toNs, count: b.count }))), l.timedObjects, timeLabel, 'lifetime');
  }
  if (options.lifetimes) out += siteLifetimes(r.rows);
  return out;
}

/** Each site's histogram as one row: the share of its freed blocks per power-of-4 bucket of events. */
function siteLifetimes(rows: readonly ChurnRow[]): string {
  // Columns: every bucket from the first to the last that any shown site uses.
  let first = Infinity;
  let last = -1;
  const index = (fromEvents: number) => (fromEvents < 1 ? 0 : Math.round(Math.log2(fromEvents) / 2) + 1);
  for (const row of rows) {
    for (const b of row.lifetimes?.events ?? []) {
      if (b.count === 0) continue;
      first = Math.min(first, index(b.fromEvents));
      last = Math.max(last, index(b.fromEvents));
    }
  }
  let out = "\nlifetimes per site: share of each site's freed blocks per bucket of events (<4: 1–3, <16: 4–15, …; Ki = 1,024):\n";
  if (last < 0) return `${out}  no shown site freed a block\n`;
  const buckets: Bucket[] = [];
  for (let k = first; k <= last; k++) buckets.push({ from: k === 0 ? 0 : 4 ** (k - 1), to: k === SITE_LIFETIME_BUCKETS - 1 ? null : k === 0 ? 1 : 4 ** k, count: 0 });
  const cells = rows.map((row) => {
    const freed = row.lifetimes?.freedObjects ?? 0;
    const shares = buckets.map((bucket) => {
      const b = row.lifetimes?.events.find((e) => e.fromEvents === bucket.from);
      if (!b || b.count === 0) return '·';
      const pct = b.share * 100;
      return pct < 0.5 ? '<1%' : `${Math.round(pct)}%`;
    });
    return [formatCount(freed), ...shares, row.name];
  });
  const table = renderTable([right('freed'), ...buckets.map((b) => right(shortEventsLabel(b))), { header: 'name', align: 'left' }], cells);
  return out + table.replace(/^(?=.)/gm, '  ');
}

// --- intervals -------------------------------------------------------------

/** `+1,024`, `-3`, `0`. */
function signedCount(v: number): string {
  const text = formatCount(v);
  return text !== '0' && !text.startsWith('-') ? `+${text}` : text;
}

function signedBytes(v: number): string {
  const text = formatBytes(v);
  return text !== '0 B' && !text.startsWith('-') ? `+${text}` : text;
}

function renderIntervals(r: ChurnReport, filtered: boolean): string {
  const intervals = r.intervals!;
  const name = (file: string) => file.replace(/.*\//, '');
  let out = `\nper interval, ${filtered ? 'the sites the filters keep' : 'all sites'} (allocated: Δ cumulative counts; retained: Δ in use):\n`;
  const table = renderTable(
    [
      right('interval'),
      right('allocs'),
      right('alloc bytes'),
      right('retained'),
      right('retained bytes'),
      right('churned'),
      right('churned bytes'),
      right('live'),
      right('live bytes'),
    ],
    intervals.map((iv, k) => [
      k === 0 ? 'start→1' : `${k}→${k + 1}`,
      formatCount(iv.allocObjects),
      formatBytes(iv.allocBytes),
      signedCount(iv.retainedObjects),
      signedBytes(iv.retainedBytes),
      formatCount(iv.churnObjects),
      formatBytes(iv.churnBytes),
      formatCount(iv.liveObjects),
      formatBytes(iv.liveBytes),
    ]),
  );
  out += table.replace(/^(?=.)/gm, '  ');
  const list = intervals.length <= 6 ? intervals.map((iv, k) => `${k + 1}=${name(iv.to)}`).join(' ') : `1=${name(intervals[0].to)} … ${intervals.length}=${name(intervals[intervals.length - 1].to)}`;
  return `${out}  dumps: ${list}\n`;
}
