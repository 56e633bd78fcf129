/**
 * The text of a `top` report (also `diff`'s and `peak`'s table): a header
 * with the total, then flat, flat%, sum%, cum, cum% and name per row; on
 * sampled inputs, a ± column after flat (its standard error) and a note.
 */
import { PLUS_MINUS_EXACT, formatCount, formatPlusMinus, formatShare, formatValue, type TopReport } from '@heapscope/analyzer';
import { nameHeader, renderTable } from './table.js';
import { plural } from '@heapscope/parser';

/** The first line of a top report: the inputs, the total, what the filters kept, and the rows. */
export function renderTopHeader(r: TopReport, inputs: readonly string[]): string {
  const what = inputs.length === 1 ? inputs[0] : `${inputs.length} inputs`;
  let head = `${what}: ${r.sampleType} total ${formatValue(r.total, r.unit)}`;
  if (r.shown !== r.total) head += `, ${formatValue(r.shown, r.unit)} (${formatShare(r.shown, r.total)}) after filters`;
  return head + (r.rows.length < r.rowCount ? `; top ${r.rows.length} of ${r.rowCount} by ${r.by}\n` : `; ${r.rowCount} ${plural(r.rowCount, 'row')} by ${r.by}\n`);
}

/** The text form of a top report. */
export function renderTop(r: TopReport, inputs: readonly string[]): string {
  const head = renderTopHeader(r, inputs);
  let sum = 0;
  // Rows carry standard errors only when an input was sampled; exact inputs get no column.
  const sampled = r.rows.some((row) => row.stderr !== undefined);
  const rows = r.rows.map((row) => {
    sum += row.flat;
    return [
      formatValue(row.flat, r.unit),
      ...(sampled ? [formatPlusMinus(row.stderr ?? 0, r.unit)] : []),
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
        { header: nameHeader(r.by), align: 'left' },
      ],
      rows,
    ) +
    (sampled ? `± one standard error of flat: the input is sampled, and values are estimates${r.rows.some((row) => row.flat !== 0 && row.stderr === 0) ? `; ${PLUS_MINUS_EXACT}` : ''}\n` : '')
  );
}

/** The line under a top table cut to a terminal's rows: how many more there are, and how to see them; empty when none were cut. */
export function moreRowsLine(r: TopReport): string {
  const more = r.rowCount - r.rows.length;
  return more > 0 ? `… ${formatCount(more)} more ${plural(more, 'row')}, -n 0 for all\n` : '';
}

/**
 * What `top` (and `peak`) print for traces that record no call stacks, in
 * place of a table of one "(no stack)" row: which commands and groupings do
 * tell its allocations apart. `inputs` names them as given.
 */
export function stacklessHint(inputs: readonly string[]): string {
  const one = inputs.length === 1 ? inputs[0] : 'TRACE';
  const instead: [string, string][] = [
    [`heapscope top --by thread ${one}`, 'live bytes per thread'],
    [`heapscope sizes ${one}`, 'the hot allocation sizes'],
    [`heapscope peak --by thread ${one}`, 'the peak, and the threads holding it'],
    [`heapscope churn --by thread ${one}`, 'allocated versus kept, and lifetimes'],
  ];
  const width = Math.max(...instead.map(([command]) => command.length));
  return (
    `${inputs.length === 1 ? 'this trace records' : 'these traces record'} no call stacks (Android record_allocs), so there are no call sites to rank. Instead:\n` +
    instead.map(([command, what]) => `  ${command.padEnd(width)}  ${what}\n`).join('')
  );
}
