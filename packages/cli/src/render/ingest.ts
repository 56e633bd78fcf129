/**
 * The text of `heapscope ingest`: what was written where, then one line
 * per input (status, the profile's time and where it came from, sample
 * rows, the input).
 */
import type { IngestReport } from '@heapscope/store';
import { formatBytes, formatCount } from '@heapscope/analyzer';
import { counted } from '@heapscope/parser';
import { renderTable } from './table.js';

/** The text of an ingest into the store named `db`. */
export function renderIngest(r: IngestReport, db: string): string {
  const present = r.present > 0 ? ` (${counted(r.present, 'profile')} already present)` : '';
  const head = `${db}: ingested ${counted(r.ingested, 'profile')}${present}, ${counted(r.sampleRows, 'sample row')} from ${formatBytes(r.bytesRead)} of files in ${r.seconds.toFixed(1)} s\n`;
  const rows = r.profiles.map((p) => [p.status, new Date(p.timeMs).toISOString(), p.timeSource, formatCount(p.sampleRows), p.source]);
  return (
    head +
    renderTable(
      [
        { header: 'status', align: 'left' },
        { header: 'time', align: 'left' },
        { header: 'from', align: 'left' },
        { header: 'rows', align: 'right' },
        { header: 'input', align: 'left' },
      ],
      rows,
    )
  );
}
