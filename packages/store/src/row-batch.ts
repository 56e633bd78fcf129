/**
 * Rows on their way to a table, as columns: typed arrays for numbers (they go
 * into DuckDB's vectors and ClickHouse's text format in bulk), plain arrays for strings and lists.
 */
import { table, type ColumnType, type TableSpec } from './schema.js';

/** One column's values. */
export type ColumnData = BigInt64Array | Int32Array | Uint8Array | Float64Array | string[] | bigint[][] | number[][] | string[][];

/** Rows of one table, every column of the table present. */
export interface RowBatch {
  table: string;
  length: number;
  columns: Record<string, ColumnData>;
}

/** An empty column of a type. */
function emptyColumn(type: ColumnType, length: number): ColumnData {
  switch (type) {
    case 'Int64':
      return new BigInt64Array(length);
    case 'Int32':
      return new Int32Array(length);
    case 'UInt8':
      return new Uint8Array(length);
    case 'Float64':
      return new Float64Array(length);
    default:
      return new Array(length);
  }
}

/** Collects rows of one table one at a time (values in column order), for small row counts. */
export class RowBatchBuilder {
  private readonly spec: TableSpec;
  private readonly values: unknown[][];
  length = 0;

  constructor(tableName: string) {
    this.spec = table(tableName);
    this.values = this.spec.columns.map(() => []);
  }

  /** Appends one row; `row` has a value per column, in the table's column order. */
  add(row: readonly unknown[]): void {
    if (row.length !== this.spec.columns.length) throw new Error(`${this.spec.name}: a row of ${row.length} values for ${this.spec.columns.length} columns`);
    row.forEach((v, i) => this.values[i].push(v));
    this.length++;
  }

  finish(): RowBatch {
    const columns: Record<string, ColumnData> = {};
    this.spec.columns.forEach((col, i) => {
      const column = emptyColumn(col.type, this.length);
      const src = this.values[i];
      for (let r = 0; r < this.length; r++) (column as unknown[])[r] = src[r];
      columns[col.name] = column;
    });
    return { table: this.spec.name, length: this.length, columns };
  }
}

/** The rows of `batch` for which `keep(i)` holds. */
export function filterRows(batch: RowBatch, keep: (row: number) => boolean): RowBatch {
  const rows: number[] = [];
  for (let i = 0; i < batch.length; i++) if (keep(i)) rows.push(i);
  if (rows.length === batch.length) return batch;
  const columns: Record<string, ColumnData> = {};
  for (const col of table(batch.table).columns) {
    const src = batch.columns[col.name];
    const out = emptyColumn(col.type, rows.length);
    rows.forEach((r, k) => ((out as unknown[])[k] = (src as unknown[])[r]));
    columns[col.name] = out;
  }
  return { table: batch.table, length: rows.length, columns };
}

/** Batches of one table, one after the other. */
export function concatRows(tableName: string, batches: readonly RowBatch[]): RowBatch {
  const spec = table(tableName);
  const length = batches.reduce((n, b) => n + b.length, 0);
  const columns: Record<string, ColumnData> = {};
  for (const col of spec.columns) {
    const out = emptyColumn(col.type, length);
    let at = 0;
    for (const b of batches) {
      const src = b.columns[col.name];
      if (ArrayBuffer.isView(out)) (out as Float64Array).set(src as Float64Array, at);
      else for (let r = 0; r < b.length; r++) (out as unknown[])[at + r] = (src as unknown[])[r];
      at += b.length;
    }
    columns[col.name] = out;
  }
  return { table: spec.name, length, columns };
}
