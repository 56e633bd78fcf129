/**
 * The text of `heapscope sql`: the result as an aligned table — columns
 * that hold only numbers right-aligned, NULL for nulls, lists and other
 * values as JSON — then how many rows.
 */
import type { SqlResult } from '@heapscope/store';
import { counted } from '@heapscope/parser';
import { renderTable } from './table.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The text of a query's result. */
export function renderSql(r: SqlResult): string {
  const numeric = r.columns.map((_, i) => r.rows.every((row) => row[i] === null || typeof row[i] === 'number'));
  const table = r.columns.length > 0 ? renderTable(r.columns.map((header, i) => ({ header, align: numeric[i] ? 'right' : 'left' })), r.rows.map((row) => row.map(cell))) : '';
  return `${table}(${counted(r.rows.length, 'row')})\n`;
}
