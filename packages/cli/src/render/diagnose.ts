/**
 * The text of a `diagnose` report: the summary, where the figures come from,
 * the table of points (its middle elided on long runs, with sparklines), the
 * evidence and the allocator's knobs.
 */
import { formatBytes, type DiagnoseReport } from '@heapscope/analyzer';
import { renderTable } from './table.js';
import { sparkline } from './sparkline.js';

/** Rows of the text table before the middle is elided. */
const MAX_ROWS = 24;

const bytes = (v: number | null) => (v === null ? '-' : formatBytes(v));

/** The text of a diagnose report. */
export function renderDiagnose(r: DiagnoseReport): string {
  let out = `${r.summary}\n`;
  const who = r.allocator === 'unknown' ? 'allocator unknown' : `${r.allocator}${r.allocatorVersion ? ` ${r.allocatorVersion}` : ''}`;
  // "allocated and resident from stats.txt; RSS from proc.txt": one entry per input.
  const bySource = new Map<string, string[]>();
  const add = (what: string, source: string | null) => {
    if (source) bySource.set(source, [...(bySource.get(source) ?? []), what]);
  };
  add('allocated', r.sources.allocated);
  add(r.sources.footprintKind === 'rss' ? 'RSS' : (r.sources.footprintKind ?? ''), r.sources.footprint);
  if (r.sources.footprintKind !== 'rss') add('RSS', r.sources.rss);
  const from = [...bySource].map(([source, what]) => `${what.join(' and ')} from ${source}`);
  out += `${who}; ${r.points} point${r.points === 1 ? '' : 's'}${from.length ? `: ${from.join('; ')}` : ''}\n\n`;

  const hasResident = r.series.some((p) => p.resident !== null);
  const hasMapped = !hasResident && r.series.some((p) => p.mapped !== null);
  const hasRss = r.series.some((p) => p.rss !== null);
  const hasUnpurged = r.series.some((p) => p.unpurged !== null);
  const columns = [
    { header: '#', align: 'right' as const },
    { header: 'allocated', align: 'right' as const },
    ...(hasResident ? [{ header: 'resident', align: 'right' as const }] : []),
    ...(hasMapped ? [{ header: r.allocator === 'mimalloc' ? 'committed' : 'mapped', align: 'right' as const }] : []),
    ...(hasRss ? [{ header: 'RSS', align: 'right' as const }] : []),
    ...(hasUnpurged ? [{ header: 'unpurged', align: 'right' as const }] : []),
    { header: 'alloc/footprint', align: 'right' as const },
    { header: 'point', align: 'left' as const },
  ];
  const rowOf = (i: number) => {
    const p = r.series[i];
    return [
      String(i + 1),
      bytes(p.allocated),
      ...(hasResident ? [bytes(p.resident)] : []),
      ...(hasMapped ? [bytes(p.mapped)] : []),
      ...(hasRss ? [bytes(p.rss)] : []),
      ...(hasUnpurged ? [bytes(p.unpurged)] : []),
      p.ratio === null ? '-' : `${(100 * p.ratio).toFixed(0)}%`,
      p.label,
    ];
  };
  const n = r.series.length;
  const indexes = n <= MAX_ROWS ? [...Array(n).keys()] : [...Array(MAX_ROWS / 2).keys(), -1, ...[...Array(MAX_ROWS / 2).keys()].map((i) => n - MAX_ROWS / 2 + i)];
  const rows = indexes.map((i) => (i < 0 ? columns.map((_, c) => (c === 0 ? '…' : '')) : rowOf(i)));
  out += renderTable(columns, rows);
  if (n > MAX_ROWS) {
    const line = (name: string, values: (number | null)[]) => (values.every((v) => v !== null) ? `  ${name.padEnd(10)} ${sparkline(values as number[])}\n` : '');
    out += `\n${line('allocated', r.series.map((p) => p.allocated))}${line('footprint', r.series.map((p) => p.footprint))}`;
  }

  out += '\nEvidence:\n';
  for (const e of r.evidence) out += `  - ${e}\n`;
  if (r.knobs.length > 0) {
    out += `\nWhat moves it (${r.allocator}):\n`;
    for (const k of r.knobs) out += `  - ${k.name}${k.current !== undefined ? ` (now ${k.current})` : ''}: ${k.effect}\n`;
  }
  return out;
}
