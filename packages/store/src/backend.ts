/**
 * The two engines behind one interface: what the store's ingest and
 * analyses need of a database, and the SQL that differs between them.
 *
 * Everything else — the queries of the analyses, the schema — is written
 * once, in SQL both DuckDB and ClickHouse (from 18.16 on) accept: one JOIN
 * per SELECT, `JOIN … USING`, tuple `IN (subquery)`, `CASE`, `CAST(x AS
 * DOUBLE)`, arrays indexed from 1.
 */
import type { RowBatch } from './row-batch.js';

/** A result row: Int64 columns as decimal strings, Float64 as numbers, arrays as arrays. */
export type Row = Record<string, unknown>;

/** The result of a user's query (`heapscope sql`). */
export interface SqlResult {
  columns: string[];
  /** Values as JSON would hold them: 64-bit integers beyond 2^53 as strings. */
  rows: unknown[][];
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A value of a 64-bit (or wider) integer column of a user's query as JSON
 * holds it: a number when it fits in a double exactly, else the decimal
 * string the engine gave (elements of lists alike). The engines give every
 * such value as a string, so that `count(*)` would be `"2"` otherwise.
 */
export function wideInteger(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wideInteger);
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) return value;
  const n = BigInt(value);
  return n <= MAX_SAFE && n >= -MAX_SAFE ? Number(n) : value;
}

/** What one write holds: dictionary rows first, then samples and labels, then the profile rows that make them visible. */
export interface WriteBatch {
  dictionary: RowBatch[];
  samples: RowBatch;
  labels: RowBatch;
  profiles: RowBatch;
}

/** The SQL that differs between the engines. */
export interface SqlDialect {
  /** A fact table (`profiles`, `profile_labels`, `samples`) to read in a query's outermost FROM: on a cluster, the Distributed table. */
  fact(name: string): string;
  /** A fact table inside a query the engine runs on each shard (the selection's subqueries). */
  shardLocal(name: string): string;
  /** A dictionary table to join with: on a cluster, the replica on the server that runs the query. */
  dictionary(name: string): string;
  /** One row per element of an array, as a select expression. */
  explode(array: string): string;
  /** An inner join that keeps one right row per left row (dictionary tables may hold duplicates until merged). */
  joinOne: string;
  /** Whether an array holds a value. */
  contains(array: string, value: string): string;
  /**
   * Whether every sample belongs to a visible profile, written once (DuckDB:
   * transactions and one writer). Then a selection needs no `(profile,
   * ingest)` pairs, and selecting everything needs no condition at all.
   */
  exactlyOnce: boolean;
  /** A string literal (DuckDB doubles quotes; ClickHouse also escapes backslashes). */
  quote(s: string): string;
  /** Integer division rounding toward minus infinity, for non-negative operands. */
  intDiv(a: string, b: string): string;
}

/** A store's database. */
export interface Backend {
  readonly engine: 'duckdb' | 'clickhouse';
  /** The database as given, for messages. */
  readonly display: string;
  readonly sql: SqlDialect;
  /** Runs a query of the store's own. */
  query(sql: string): Promise<Row[]>;
  /** Runs a user's query. */
  userQuery(sql: string): Promise<SqlResult>;
  /** Of `ids`, those that `table.column` holds (as decimal strings). */
  existing(table: string, column: string, ids: readonly bigint[]): Promise<Set<string>>;
  /** Writes a batch so that each profile becomes visible whole or not at all. */
  write(batch: WriteBatch): Promise<void>;
  /** Names of the tables the database holds. */
  tableNames(): Promise<string[]>;
  /** The schema version the store records, or null when it has no `heapscope_meta` table. */
  schemaVersion(): Promise<number | null>;
  /** Creates every table and records the schema version. */
  createSchema(version: number): Promise<void>;
  /** Bytes the store takes on disk (or in the servers' data directories), for reports. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** Splits `items` into chunks of at most `size` (IN lists stay below ClickHouse's max_query_size). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
