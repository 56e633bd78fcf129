/**
 * The embedded engine: one DuckDB file, no server (`@duckdb/node-api`).
 *
 * Concurrency: DuckDB lets one process write a file at a time (it holds a
 * lock on it). A second process that opens the store waits, retrying, for
 * up to `lockTimeoutMs`, then fails with a message naming the holder.
 * Integrity: each write is one transaction, so an interrupted ingest
 * (an error, Ctrl-C, a kill) leaves no part of a batch behind.
 */
import { existsSync, statSync } from 'node:fs';
import {
  BIGINT,
  DOUBLE,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  INTEGER,
  LIST,
  UTINYINT,
  VARCHAR,
  listValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Backend, Row, SqlDialect, SqlResult, WriteBatch } from './backend.js';
import { chunks, wideInteger } from './backend.js';
import { StoreError, engineMessage } from './errors.js';
import type { RowBatch } from './row-batch.js';
import { TABLES, table, type ColumnType } from './schema.js';

/** DuckDB's name for each column type. */
export const DUCKDB_TYPES: Record<ColumnType, string> = {
  Int64: 'BIGINT',
  Int32: 'INTEGER',
  UInt8: 'UTINYINT',
  Float64: 'DOUBLE',
  String: 'VARCHAR',
  'Array(Int64)': 'BIGINT[]',
  'Array(Int32)': 'INTEGER[]',
  'Array(String)': 'VARCHAR[]',
};

const VECTOR_TYPES: Record<ColumnType, DuckDBType> = {
  Int64: BIGINT,
  Int32: INTEGER,
  UInt8: UTINYINT,
  Float64: DOUBLE,
  String: VARCHAR,
  'Array(Int64)': LIST(BIGINT),
  'Array(Int32)': LIST(INTEGER),
  'Array(String)': LIST(VARCHAR),
};

/** DuckDB's standard vector size: rows per appended chunk. */
const CHUNK_ROWS = 2048;

const DIALECT: SqlDialect = {
  fact: (name) => name,
  shardLocal: (name) => name,
  dictionary: (name) => name,
  explode: (array) => `unnest(${array})`,
  joinOne: 'INNER JOIN',
  exactlyOnce: true,
  contains: (array, value) => `list_contains(${array}, ${value})`,
  quote: (s) => `'${s.replace(/'/g, "''")}'`,
  intDiv: (a, b) => `(${a}) // (${b})`,
};

/** Options for opening a DuckDB store. */
export interface DuckDbOptions {
  readOnly: boolean;
  /** How long to wait for another process's lock on the file. */
  lockTimeoutMs: number;
}

const LOCKED = /Could not set lock on file/;

/** Opens (and, unless read-only, creates) the DuckDB file at `path`. */
export async function openDuckDb(path: string, display: string, options: DuckDbOptions): Promise<DuckDbBackend> {
  if (options.readOnly && !existsSync(path)) throw new StoreError(display, 'no such store (nothing has been ingested into it)');
  if (existsSync(path) && statSync(path).isDirectory()) throw new StoreError(display, 'is a directory, not a DuckDB file');
  const deadline = Date.now() + options.lockTimeoutMs;
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    try {
      const instance = await DuckDBInstance.create(path, { access_mode: options.readOnly ? 'READ_ONLY' : 'READ_WRITE' });
      const connection = await instance.connect();
      return new DuckDbBackend(instance, connection, path, display);
    } catch (error) {
      const message = engineMessage(error);
      if (LOCKED.test(message)) {
        if (Date.now() + wait <= deadline) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        const holder = /Conflicting lock is held in (.*?)(?:\. See also|$)/.exec(message)?.[1] ?? 'another process';
        throw new StoreError(display, `in use by ${holder} for more than ${Number((options.lockTimeoutMs / 1000).toFixed(1))} s (DuckDB lets one process write a store at a time)`);
      }
      if (/not a valid DuckDB database file/.test(message)) throw new StoreError(display, 'not a DuckDB database file');
      throw new StoreError(display, message);
    }
  }
}

/** A DuckDB store. */
export class DuckDbBackend implements Backend {
  readonly engine = 'duckdb';
  readonly sql = DIALECT;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly path: string,
    readonly display: string,
  ) {}

  async query(sql: string): Promise<Row[]> {
    try {
      const reader = await this.connection.runAndReadAll(sql);
      return reader.getRowObjectsJS().map((row) => normalizeRow(row as Record<string, unknown>));
    } catch (error) {
      throw new StoreError(this.display, `query failed: ${engineMessage(error)}`);
    }
  }

  async userQuery(sql: string): Promise<SqlResult> {
    let reader;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (error) {
      throw new StoreError(this.display, engineMessage(error));
    }
    const wide = reader.columnTypes().map((t) => /^U?(BIGINT|HUGEINT)(\[\])*$/.test(t.toString()));
    return { columns: reader.columnNames(), rows: (reader.getRowsJson() as unknown[][]).map((row) => row.map((v, i) => (wide[i] ? wideInteger(v) : v))) };
  }

  async existing(tableName: string, column: string, ids: readonly bigint[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const part of chunks(ids, 5000)) {
      const rows = await this.query(`SELECT DISTINCT ${column} AS id FROM ${tableName} WHERE ${column} IN (${part.join(',')})`);
      for (const r of rows) out.add(r.id as string);
    }
    return out;
  }

  async write(batch: WriteBatch): Promise<void> {
    await this.run('BEGIN TRANSACTION');
    try {
      for (const rows of [...batch.dictionary, batch.samples, batch.labels, batch.profiles]) await this.append(rows);
      await this.run('COMMIT');
    } catch (error) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw error instanceof StoreError ? error : new StoreError(this.display, `write failed: ${engineMessage(error)}`);
    }
  }

  async tableNames(): Promise<string[]> {
    const rows = await this.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main'`);
    return rows.map((r) => String(r.name));
  }

  async schemaVersion(): Promise<number | null> {
    if (!(await this.tableNames()).includes('heapscope_meta')) return null;
    const rows = await this.query(`SELECT value FROM heapscope_meta WHERE key = 'schema_version'`);
    return rows.length ? Math.max(...rows.map((r) => Number(r.value))) : null;
  }

  async createSchema(version: number): Promise<void> {
    await this.run('BEGIN TRANSACTION');
    try {
      for (const spec of TABLES) {
        await this.run(`CREATE TABLE IF NOT EXISTS ${spec.name} (${spec.columns.map((c) => `${c.name} ${DUCKDB_TYPES[c.type]}`).join(', ')})`);
      }
      await this.run(`INSERT INTO heapscope_meta VALUES ('schema_version', '${version}')`);
      await this.run('COMMIT');
    } catch (error) {
      await this.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Runs statements (DDL, transactions). */
  async run(sql: string): Promise<void> {
    try {
      await this.connection.run(sql);
    } catch (error) {
      throw new StoreError(this.display, engineMessage(error));
    }
  }

  /** Appends rows through DuckDB's appender, a vector of up to 2048 rows at a time. */
  private async append(rows: RowBatch): Promise<void> {
    if (rows.length === 0) return;
    const spec = table(rows.table);
    const types = spec.columns.map((c) => VECTOR_TYPES[c.type]);
    const appender = await this.connection.createAppender(rows.table);
    try {
      for (let at = 0; at < rows.length; at += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, rows.length - at);
        const chunk = DuckDBDataChunk.create(types, n);
        spec.columns.forEach((col, i) => {
          const values = rows.columns[col.name];
          if (ArrayBuffer.isView(values)) {
            // Numbers: straight into the vector's memory.
            const vector = chunk.getColumnVector(i) as unknown as { items: { set(a: ArrayLike<unknown>): void }; flush(): void };
            vector.items.set((values as Float64Array).subarray(at, at + n));
            vector.flush();
          } else {
            const slice = (values as unknown[]).slice(at, at + n);
            chunk.setColumnValues(i, col.type.startsWith('Array') ? slice.map((v) => listValue(v as DuckDBValue[])) : (slice as DuckDBValue[]));
          }
        });
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  async sizeBytes(): Promise<number> {
    // Commit the write-ahead log into the file, so that its size is the store's.
    await this.run('CHECKPOINT');
    let bytes = statSync(this.path).size;
    if (existsSync(`${this.path}.wal`)) bytes += statSync(`${this.path}.wal`).size;
    return bytes;
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** BigInts to decimal strings (ids), other values as they are. */
function normalizeRow(row: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[k] = normalizeValue(v);
  return out;
}

function normalizeValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(normalizeValue);
  return v;
}
