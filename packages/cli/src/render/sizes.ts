/**
 * The text of a `sizes` report: the most frequent size, what the sizes are
 * and what is counted, the table of sizes, and each site's table. Sizes of
 * a dump are per-stack averages (a dump does not record each allocation):
 * the headline and the size column say so.
 */
import { formatBytes, formatCount, formatShare, type SizesReport } from '@heapscope/analyzer';
import { renderTable } from './table.js';
import { bar } from './bar.js';

const KIND: Record<SizesReport['sizeKind'], string> = {
  exact: 'exact requested sizes',
  'average-requested': 'average object size per stack (a dump does not record each allocation)',
  'average-usable': 'average object size per stack, in allocator size classes (usable, not requested, sizes)',
};

function sizeLabel(r: SizesReport, size: number): string {
  if (r.buckets === 'pow2') return `≤ ${formatBytes(size)}`;
  if (r.buckets === 'class') return formatBytes(size);
  // Exact sizes read best in bytes: 8,225 B, not 8.03 KiB.
  return `${formatCount(size)} B`;
}

/** Whether the sizes are per-stack averages rather than each allocation's size. */
const averaged = (r: SizesReport) => r.sizeKind !== 'exact';

/**
 * Rows as the text shows them: buckets (powers of two, size classes) in size
 * order, so the table reads as a histogram; exact sizes most frequent first,
 * as the JSON lists every kind (docs/design.md#json).
 */
function shownRows(r: SizesReport, rows: SizesReport['rows']): SizesReport['rows'] {
  return r.buckets === 'exact' ? rows : [...rows].sort((a, b) => a.size - b.size);
}

function table(r: SizesReport, rows: SizesReport['rows']): string {
  const histogram = r.buckets !== 'exact';
  const shown = shownRows(r, rows);
  const max = Math.max(0, ...shown.map((row) => row.count));
  // With --waste: a column per allocator, the bytes its classes lose to rounding the row's requests.
  const allocators = r.waste?.allocators ?? [];
  return renderTable(
    [
      { header: sizeHeader(r), align: 'right' },
      { header: 'count', align: 'right' },
      { header: 'count%', align: 'right' },
      { header: 'bytes', align: 'right' },
      { header: 'bytes%', align: 'right' },
      ...allocators.map((a) => ({ header: `${a} waste`, align: 'right' as const })),
      ...(histogram ? [{ header: '', align: 'left' as const }] : []),
    ],
    shown.map((row) => [
      sizeLabel(r, row.size),
      formatCount(row.count),
      `${(row.countShare * 100).toFixed(1)}%`,
      formatBytes(row.bytes),
      `${(row.bytesShare * 100).toFixed(1)}%`,
      ...allocators.map((a) => formatBytes(row.waste?.[a] ?? 0)),
      ...(histogram ? [bar(row.count, max)] : []),
    ]),
  );
}

/** The size column's header: what a row's size is. */
function sizeHeader(r: SizesReport): string {
  const size = averaged(r) ? 'avg size' : 'size';
  return r.buckets === 'class' ? `${size}: ${r.classes} class` : size;
}

/** The first line: the most frequent size (or bucket), said as what it is — an exact size, or a per-stack average. */
function headline(r: SizesReport): string {
  const top = r.rows[0];
  if (!top) return 'no allocations\n';
  const bucket = r.buckets === 'exact' ? 'size' : r.buckets === 'pow2' ? 'size bucket' : `${r.classes} size class`;
  const what = `${bucket}${averaged(r) ? ' of per-stack averages' : ''}`;
  return `${sizeLabel(r, top.size)} is the most frequent ${what}: ${formatCount(top.count)} ${r.counts} (${(top.countShare * 100).toFixed(1)}%), ${formatBytes(top.bytes)}\n`;
}

/** With --waste: the line of each allocator's waste over all requests. */
function wasteLine(r: SizesReport): string {
  if (!r.waste) return '';
  const all = r.waste.allocators.map((a) => `${a} ${formatBytes(r.waste?.total[a] ?? 0)} (${formatShare(r.waste?.total[a] ?? 0, r.totalBytes)})`);
  return `waste: bytes the size classes add to the requests: ${all.join(', ')}\n`;
}

/** The text of a sizes report. */
export function renderSizes(r: SizesReport): string {
  let out = headline(r);
  out += `sizes: ${KIND[r.sizeKind]}; counting ${r.counts}; ${formatCount(r.totalCount)} in all, ${formatBytes(r.totalBytes)}\n`;
  out += `${wasteLine(r)}\n`;
  out += table(r, r.rows);
  for (const site of r.sites) {
    const siteWaste = site.waste ? `; waste ${r.waste?.allocators.map((a) => `${a} ${formatBytes(site.waste?.[a] ?? 0)}`).join(', ')}` : '';
    out += `\n${site.name}: ${formatCount(site.count)} ${r.counts}, ${formatBytes(site.bytes)}${siteWaste}\n`;
    out += table(r, site.rows).replace(/^(?=.)/gm, '  ');
  }
  return out;
}
