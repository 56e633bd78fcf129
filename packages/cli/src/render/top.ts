/**
 * The text of a `top` report (also `diff`'s and `peak`'s table): a header
 * with the total, then flat, flat%, sum%, cum, cum% and name per row; on
 * sampled inputs, a ± column after flat (its standard error) and a note.
 */
import { formatShare, formatValue, type TopReport } from '@heapscope/analyzer';
import { renderTable } from './table.js';
import { plural } from '@heapscope/parser';

/** The text form of a top report. */
export function renderTop(r: TopReport, inputs: readonly string[]): string {
  const what = inputs.length === 1 ? inputs[0] : `${inputs.length} inputs`;
  let head = `${what}: ${r.sampleType} total ${formatValue(r.total, r.unit)}`;
  if (r.shown !== r.total) head += `, ${formatValue(r.shown, r.unit)} (${formatShare(r.shown, r.total)}) after filters`;
  head += r.rows.length < r.rowCount ? `; top ${r.rows.length} of ${r.rowCount} by ${r.by}\n` : `; ${r.rowCount} ${plural(r.rowCount, 'row')} by ${r.by}\n`;
  let sum = 0;
  // Rows carry standard errors only when an input was sampled; exact inputs get no column.
  const sampled = r.rows.some((row) => row.stderr !== undefined);
  const rows = r.rows.map((row) => {
    sum += row.flat;
    return [
      formatValue(row.flat, r.unit),
      ...(sampled ? [plusMinus(row.stderr, r.unit)] : []),
      formatShare(row.flat, r.total),
      formatShare(sum, r.total),
      formatValue(row.cum, r.unit),
      formatShare(row.cum, r.total),
      row.name,
    ];
  });
  return (
    head +
    renderTable(
      [
        { header: 'flat', align: 'right' },
        ...(sampled ? [{ header: '±', align: 'right' as const }] : []),
        { header: 'flat%', align: 'right' },
        { header: 'sum%', align: 'right' },
        { header: 'cum', align: 'right' },
        { header: 'cum%', align: 'right' },
        { header: 'name', align: 'left' },
      ],
      rows,
    ) +
    (sampled ? `± one standard error of flat: the input is sampled, and values are estimates\n` : '')
  );
}

/** `±12.3 KiB` for a sampled estimate; nothing for one that is exact (stderr 0: every such allocation is recorded). */
function plusMinus(stderr: number | undefined, unit: string): string {
  return stderr !== undefined && stderr > 0 ? `±${formatValue(stderr, unit)}` : '';
}
