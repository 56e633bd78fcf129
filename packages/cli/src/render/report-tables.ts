/**
 * The tables of the report page (report-page.ts): top, growth with a
 * sparkline per site, churn with each site's lifetime histogram, sizes
 * as a histogram with bars, and waste (size classes, fragmentation). Every table is sortable by the page's script
 * (each cell carries its sort value in `data-v`), and every site row carries
 * its name (`data-site`) for the script to focus the flamegraph on.
 */
import { SITE_LIFETIME_BUCKETS, formatBytes, formatCount, formatPlusMinus, formatValue, isSampled, type ChurnReport, type FragmentationReport, type GrowthReport, type SizeClassWasteReport, type SizesReport, type TopReport } from '@heapscope/analyzer';
import { xmlEscape as htmlEscape } from './flamegraph-svg.js';
import { compact } from './memory-chart.js';
import { sitePlaces } from './waste.js';

/** A column: its heading, whether it sorts as a number, and each row's cell (text, sort value, optional HTML in place of the text). */
interface Column<R> {
  head: string;
  numeric: boolean;
  cell(row: R): { text: string; value: number | string; html?: string };
}

/** A sortable table of rows; `site` names the row's call site (a link to the flamegraph), when it has one. */
function table<R>(id: string, rows: readonly R[], columns: readonly Column<R>[], site?: (row: R) => string): string {
  const head = columns.map((c, i) => `<th data-col="${i}" class="${c.numeric ? 'num' : 'text'}" tabindex="0">${htmlEscape(c.head)}</th>`).join('');
  const body = rows
    .map((row) => {
      const cells = columns
        .map((c) => {
          const { text, value, html } = c.cell(row);
          return `<td class="${c.numeric ? 'num' : 'text'}" data-v="${htmlEscape(String(value))}">${html ?? htmlEscape(text)}</td>`;
        })
        .join('');
      return site ? `<tr data-site="${htmlEscape(site(row))}">${cells}</tr>` : `<tr>${cells}</tr>`;
    })
    .join('\n');
  return `<table class="sortable" id="${id}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The site's name as a link to the flamegraph. */
function siteCell(name: string): { text: string; value: string; html: string } {
  return { text: name, value: name, html: `<a href="#flame" class="focus" title="${htmlEscape(name)}">${htmlEscape(name)}</a>` };
}

/** A ± column (one standard error) of a sampled report's rows, as the text shows it: blank where exact. */
function plusMinus<R>(unit: string, stderr: (row: R) => number): Column<R> {
  return { head: '±', numeric: true, cell: (r) => ({ text: formatPlusMinus(stderr(r), unit), value: stderr(r) }) };
}

/** `top`: flat (± on sampled inputs, as the text) and cum per site. */
export function topTable(report: TopReport): string {
  const unit = report.unit;
  // Rows carry standard errors only when an input was sampled.
  const sampled = report.rows.some((row) => row.stderr !== undefined);
  return table(
    'top-table',
    report.rows,
    [
      { head: 'site', numeric: false, cell: (r) => siteCell(r.name) },
      { head: 'flat', numeric: true, cell: (r) => ({ text: formatValue(r.flat, unit), value: r.flat }) },
      ...(sampled ? [plusMinus<TopReport['rows'][number]>(unit, (r) => r.stderr ?? 0)] : []),
      { head: 'flat %', numeric: true, cell: (r) => ({ text: share(r.flat, report.total), value: r.flat }) },
      { head: 'cum', numeric: true, cell: (r) => ({ text: formatValue(r.cum, unit), value: r.cum }) },
      { head: 'cum %', numeric: true, cell: (r) => ({ text: share(r.cum, report.total), value: r.cum }) },
    ],
    (r) => r.name,
  );
}

/** `growth`: values as a sparkline, change and slope (each ± its sampling noise on sampled dumps, as the text) and fit. */
export function growthTable(report: GrowthReport): string {
  const unit = report.unit;
  type Row = GrowthReport['rows'][number];
  // Noise is 0 throughout when every allocation was recorded: no ± columns then.
  const sampled = report.rows.some((row) => row.noise > 0 || row.slopeNoise > 0);
  return table(
    'growth-table',
    report.rows,
    [
      { head: 'site', numeric: false, cell: (r) => siteCell(r.name) },
      { head: 'over the series', numeric: true, cell: (r) => ({ text: '', value: r.values[r.values.length - 1] ?? 0, html: sparkline(r.values, `${formatValue(r.values[0] ?? 0, unit)} → ${formatValue(r.values[r.values.length - 1] ?? 0, unit)}`) }) },
      { head: 'delta', numeric: true, cell: (r) => ({ text: signed(r.delta, unit), value: r.delta }) },
      ...(sampled ? [plusMinus<Row>(unit, (r) => r.noise)] : []),
      { head: 'slope / point', numeric: true, cell: (r) => ({ text: signed(r.slope, unit), value: r.slope }) },
      ...(sampled ? [plusMinus<Row>(unit, (r) => r.slopeNoise)] : []),
      { head: 'r²', numeric: true, cell: (r) => ({ text: r.r2.toFixed(2), value: r.r2 }) },
      { head: 'trend', numeric: false, cell: (r) => ({ text: r.withinNoise ? `${r.trend} (noise)` : r.trend, value: r.trend }) },
    ],
    (r) => r.name,
  );
}

/** `churn`: allocated, live, churned, temporary, and the lifetime histogram of the site's freed blocks. */
export function churnTable(report: ChurnReport): string {
  const trace = report.source === 'trace';
  const columns: Column<ChurnReport['rows'][number]>[] = [
    { head: 'site', numeric: false, cell: (r) => siteCell(r.name) },
    { head: 'allocations', numeric: true, cell: (r) => ({ text: formatCount(r.allocObjects), value: r.allocObjects }) },
    { head: 'allocated', numeric: true, cell: (r) => ({ text: formatBytes(r.allocBytes), value: r.allocBytes }) },
    { head: 'live', numeric: true, cell: (r) => ({ text: formatBytes(r.liveBytes), value: r.liveBytes }) },
    { head: 'churned', numeric: true, cell: (r) => ({ text: `${(100 * r.churnShare).toFixed(1)}%`, value: r.churnShare }) },
  ];
  if (trace) {
    columns.push({ head: 'temporary', numeric: true, cell: (r) => ({ text: r.temporary === null ? '-' : formatCount(r.temporary), value: r.temporary ?? -1 }) });
    columns.push({
      head: 'lifetimes: 1 … 4ⁿ events',
      numeric: true,
      cell: (r) => ({ text: '', value: r.medianLifetimeEvents ?? -1, html: r.lifetimes ? lifetimeBars(r.lifetimes.events) : '-' }),
    });
  }
  return table('churn-table', report.rows, columns, (r) => r.name);
}

/** `sizes`: one bar per bucket, by count and by bytes. */
export function sizesTable(report: SizesReport): string {
  const maxCount = Math.max(1, ...report.rows.map((r) => r.count));
  const maxBytes = Math.max(1, ...report.rows.map((r) => r.bytes));
  // A histogram reads from small to large sizes.
  const rows = [...report.rows].sort((a, b) => a.size - b.size);
  const label = report.buckets === 'pow2' ? (size: number) => `≤ ${formatBytes(size)}` : (size: number) => formatBytes(size);
  return table('sizes-table', rows, [
    { head: 'size', numeric: true, cell: (r) => ({ text: label(r.size), value: r.size }) },
    { head: report.counts === 'allocations' ? 'allocations' : 'in-use objects', numeric: true, cell: (r) => ({ text: formatCount(r.count), value: r.count }) },
    { head: 'by count', numeric: true, cell: (r) => ({ text: '', value: r.count, html: bar(r.count / maxCount, `${(100 * r.countShare).toFixed(1)}%`, 'count') }) },
    { head: 'bytes', numeric: true, cell: (r) => ({ text: formatBytes(r.bytes), value: r.bytes }) },
    { head: 'by bytes', numeric: true, cell: (r) => ({ text: '', value: r.bytes, html: bar(r.bytes / maxBytes, `${(100 * r.bytesShare).toFixed(1)}%`, 'bytes') }) },
  ]);
}

/** Size-class waste (as `heapscope waste`): requests and requested bytes per site, and the bytes each allocator's classes add. */
export function sizeClassWasteTable(report: SizeClassWasteReport): string {
  return table(
    'waste-table',
    report.sites,
    [
      { head: 'site', numeric: false, cell: (r) => siteCell(r.name) },
      { head: 'requests', numeric: true, cell: (r) => ({ text: formatCount(r.count), value: r.count }) },
      { head: 'requested', numeric: true, cell: (r) => ({ text: formatBytes(r.requestedBytes), value: r.requestedBytes }) },
      ...report.allocators.map((a) => ({ head: a, numeric: true, cell: (r: SizeClassWasteReport['sites'][number]) => ({ text: formatBytes(r.waste[a] ?? 0), value: r.waste[a] ?? 0 }) })),
    ],
    (r) => r.name,
  );
}

/** Fragmentation per site (as `heapscope waste DUMP STATS`): pinned bytes (± when sampled), live bytes, and the bins the site's objects take. */
export function fragmentationTable(report: FragmentationReport): string {
  const sampled = isSampled(report.sampling);
  type Site = FragmentationReport['sites'][number];
  const columns: Column<Site>[] = [
    { head: 'site', numeric: false, cell: (r) => siteCell(r.name) },
    { head: 'pinned', numeric: true, cell: (r) => ({ text: formatBytes(r.pinnedBytes), value: r.pinnedBytes }) },
  ];
  if (sampled) columns.push({ head: '±', numeric: true, cell: (r) => ({ text: r.pinnedStderr > 0 ? `±${formatBytes(r.pinnedStderr)}` : '', value: r.pinnedStderr }) });
  columns.push(
    { head: 'live', numeric: true, cell: (r) => ({ text: formatBytes(r.liveBytes), value: r.liveBytes }) },
    { head: 'bins (class: regions, utilization)', numeric: false, cell: (r) => ({ text: sitePlaces(r), value: sitePlaces(r) }) },
  );
  return table('fragmentation-table', report.sites, columns, (r) => r.name);
}

function share(part: number, whole: number): string {
  return whole ? `${((100 * part) / whole).toFixed(1)}%` : '-';
}

function signed(v: number, unit: string): string {
  return `${v > 0 ? '+' : ''}${formatValue(v, unit)}`;
}

/** A horizontal bar of `fraction` of the cell, with its label. */
function bar(fraction: number, label: string, kind: string): string {
  return `<span class="bar ${kind}"><span style="width:${(100 * Math.max(0, Math.min(1, fraction))).toFixed(1)}%"></span></span><span class="barlabel">${htmlEscape(label)}</span>`;
}

/** A row's values as a small SVG line, with its first → last in a tooltip. */
function sparkline(values: readonly number[], title: string): string {
  const w = 120;
  const h = 22;
  const min = Math.min(0, ...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - ((v - min) / span) * (h - 4)).toFixed(1)}`).join(' ');
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" data-values="${values.map(compact).join(',')}"><title>${htmlEscape(title)}</title><polyline points="${points}" fill="none" stroke="#cf222e" stroke-width="1.5"/></svg>`;
}

/** A site's lifetime histogram: one bar per power-of-4 bucket of events, by share, each bucket in its own place on every row (short lifetimes on the left). */
function lifetimeBars(buckets: readonly { fromEvents: number; toEvents: number | null; count: number; share: number }[]): string {
  const w = 8;
  const h = 22;
  const max = Math.max(1e-9, ...buckets.map((b) => b.share));
  const slot = (fromEvents: number) => (fromEvents === 0 ? 0 : Math.round(Math.log(fromEvents) / Math.log(4)) + 1);
  const bars = buckets
    .map((b) => {
      const bh = Math.max(1, (b.share / max) * (h - 2));
      const range = b.toEvents === null ? `≥ ${b.fromEvents}` : `${b.fromEvents}–${b.toEvents - 1}`;
      return `<rect x="${slot(b.fromEvents) * (w + 1)}" y="${(h - bh).toFixed(1)}" width="${w}" height="${bh.toFixed(1)}"><title>${htmlEscape(`${range} events: ${formatCount(b.count)} (${(100 * b.share).toFixed(1)}%)`)}</title></rect>`;
    })
    .join('');
  const width = SITE_LIFETIME_BUCKETS * (w + 1);
  return `<svg class="hist" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" fill="#8250df"><line x1="0" y1="${h - 0.5}" x2="${width}" y2="${h - 0.5}" stroke="#d0d7de"/>${bars}</svg>`;
}
