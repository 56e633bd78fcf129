/**
 * The text of a `sizes` report: the most frequent size, what the sizes are
 * and what is counted, the table of sizes, and each site's table.
 */
import { formatBytes, formatCount, type SizesReport } from '@heapscope/analyzer';
import { renderTable } from './table.js';

const KIND: Record<SizesReport['sizeKind'], string> = {
  exact: 'exact requested sizes',
  'average-requested': 'average object size per stack (a dump does not record each allocation)',
  'average-usable': 'average object size per stack, in allocator size classes (usable, not requested, sizes)',
};

function sizeLabel(r: SizesReport, size: number): string {
  if (r.buckets === 'pow2') return `≤ ${formatBytes(size)}`;
  if (r.buckets === 'class') return `${r.classes} ${formatBytes(size)}`;
  // Exact sizes read best in bytes: 8,225 B, not 8.03 KiB.
  return `${formatCount(size)} B`;
}

function table(r: SizesReport, rows: SizesReport['rows']): string {
  return renderTable(
    [
      { header: 'size', align: 'right' },
      { header: 'count', align: 'right' },
      { header: 'count%', align: 'right' },
      { header: 'bytes', align: 'right' },
      { header: 'bytes%', align: 'right' },
    ],
    rows.map((row) => [sizeLabel(r, row.size), formatCount(row.count), `${(row.countShare * 100).toFixed(1)}%`, formatBytes(row.bytes), `${(row.bytesShare * 100).toFixed(1)}%`]),
  );
}

/** The text of a sizes report. */
export function renderSizes(r: SizesReport): string {
  const top = r.rows[0];
  let out = top
    ? `${sizeLabel(r, top.size)} is the most frequent size: ${formatCount(top.count)} ${r.counts} (${(top.countShare * 100).toFixed(1)}%), ${formatBytes(top.bytes)}\n`
    : 'no allocations\n';
  out += `sizes: ${KIND[r.sizeKind]}; counting ${r.counts}; ${formatCount(r.totalCount)} in all, ${formatBytes(r.totalBytes)}\n\n`;
  out += table(r, r.rows);
  for (const site of r.sites) {
    out += `\n${site.name}: ${formatCount(site.count)} ${r.counts}, ${formatBytes(site.bytes)}\n`;
    out += table(r, site.rows).replace(/^(?=.)/gm, '  ');
  }
  return out;
}
