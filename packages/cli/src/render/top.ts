/**
 * The text of a `top` report (also `diff`'s and `peak`'s table): a header
 * with the total, then flat, flat%, sum%, cum, cum% and name per row.
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
  const rows = r.rows.map((row) => {
    sum += row.flat;
    return [
      formatValue(row.flat, r.unit),
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
        { header: 'flat%', align: 'right' },
        { header: 'sum%', align: 'right' },
        { header: 'cum', align: 'right' },
        { header: 'cum%', align: 'right' },
        { header: 'name', align: 'left' },
      ],
      rows,
    )
  );
}
