/**
 * ClickHouse over HTTP (`@clickhouse/client`), one server or a cluster.
 *
 * On a cluster (`?cluster=NAME`, every server listed in the URL): each
 * server gets MergeTree tables `<table>_local`; the fact tables are read
 * and written through `Distributed(NAME, …, profile)` tables, so a
 * profile's rows live on one shard and each shard aggregates its part of
 * a query; the dictionary tables are written through
 * `Distributed(NAME_replicated, …)`, a cluster whose single shard has
 * every server as a replica (`internal_replication` off), so each server
 * holds all of them and joins them locally. `scripts/clickhouse.sh`
 * configures both clusters; docs/scale.md says how on real hosts.
 *
 * Writes are synchronous (`insert_distributed_sync`) and the `profiles`
 * row of a profile goes last: until it is written, nothing reads the
 * profile's other rows. Dictionary tables are ReplacingMergeTree: a row
 * written twice by two ingests is one row after the next merge, and every
 * query joins them keeping one row per key (`ANY INNER JOIN`).
 *
 * SQL is kept to what ClickHouse 18.16 (Debian's) and current releases
 * both accept.
 */
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import type { Backend, Row, SqlDialect, SqlResult, WriteBatch } from './backend.js';
import { chunks, wideInteger } from './backend.js';
import type { ClickHouseLocation } from './db-location.js';
import { StoreError, engineMessage } from './errors.js';
import type { RowBatch } from './row-batch.js';
import { TABLES, table, type ColumnType, type TableSpec } from './schema.js';

/** How long a request may take before it fails (ms). */
const REQUEST_TIMEOUT_MS = 300_000;
/** How long opening waits for a server to answer (ms). */
const CONNECT_TIMEOUT_MS = 10_000;

const SYNC_INSERTS = { insert_distributed_sync: 1 } as const;
/**
 * Users' queries: a subquery of IN or JOIN on a Distributed table runs once,
 * on the server the query came to (where unqualified names are the store's
 * tables), and its result goes to every shard (GLOBAL IN / GLOBAL JOIN).
 */
const USER_QUERY_SETTINGS = { distributed_product_mode: 'global' } as const;

function clusterDialect(database: string, cluster: string | null): SqlDialect {
  const q = (name: string) => `${database}.${name}`;
  return {
    fact: (name) => q(name),
    shardLocal: (name) => q(cluster ? `${name}_local` : name),
    dictionary: (name) => q(cluster ? `${name}_local` : name),
    explode: (array) => `arrayJoin(${array})`,
    joinOne: 'ANY INNER JOIN',
    exactlyOnce: false,
    contains: (array, value) => `has(${array}, ${value})`,
    quote: (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`,
    intDiv: (a, b) => `intDiv(${a}, ${b})`,
  };
}

/** A client of one server; `database` is the default database of unqualified names (users' queries). */
function client(location: ClickHouseLocation, url: string, database?: string): ClickHouseClient {
  return createClient({
    url,
    database,
    username: location.username,
    password: location.password,
    request_timeout: REQUEST_TIMEOUT_MS,
    // The library never prints: errors are thrown, with the server's message.
    log: { level: ClickHouseLogLevel.OFF },
  });
}

/** Connects to every server of `location` and checks that they answer (and form the cluster named). */
export async function openClickHouse(location: ClickHouseLocation): Promise<ClickHouseBackend> {
  const clients = location.endpoints.map((url) => client(location, url));
  const backend = new ClickHouseBackend(clients, location);
  try {
    await backend.checkServers();
  } catch (error) {
    await backend.close();
    throw error;
  }
  return backend;
}

/** A ClickHouse store. */
export class ClickHouseBackend implements Backend {
  readonly engine = 'clickhouse';
  readonly sql: SqlDialect;
  readonly display: string;
  private readonly database: string;
  private readonly cluster: string | null;
  /** For users' queries, whose table names are the store's: made on first use (the database exists by then). */
  private userClient: ClickHouseClient | null = null;

  constructor(
    private readonly clients: ClickHouseClient[],
    private readonly location: ClickHouseLocation,
  ) {
    this.display = location.display;
    this.database = location.database;
    this.cluster = location.cluster;
    this.sql = clusterDialect(this.database, this.cluster);
  }

  /** Each server answers; on a cluster, both clusters exist and list as many servers as the URL. */
  async checkServers(): Promise<void> {
    for (let i = 0; i < this.clients.length; i++) {
      const url = this.location.endpoints[i];
      try {
        const rs = await this.clients[i].query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow', abort_signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS) });
        await rs.json();
      } catch (error) {
        const code = (error as { code?: string }).code;
        const why = code && /^E[A-Z]+$/.test(code) ? code : engineMessage(error);
        throw new StoreError(this.display, `cannot reach ClickHouse at ${url} (${why})`);
      }
    }
    if (this.cluster === null) return;
    const rows = await this.queryOn(
      0,
      `SELECT cluster, CAST(count() AS DOUBLE) AS servers, CAST(max(shard_num) AS DOUBLE) AS shards FROM system.clusters WHERE cluster IN (${this.sql.quote(this.cluster)}, ${this.sql.quote(`${this.cluster}_replicated`)}) GROUP BY cluster`,
    );
    const sharded = rows.find((r) => r.cluster === this.cluster);
    const replicated = rows.find((r) => r.cluster === `${this.cluster}_replicated`);
    if (!sharded) throw new StoreError(this.display, `the server has no cluster "${this.cluster}" in its remote_servers`);
    if (!replicated) throw new StoreError(this.display, `the server has no cluster "${this.cluster}_replicated" (one shard, every server a replica) for the deduplicated tables`);
    this.clusterServers = Number(sharded.servers);
  }

  /** Servers of the cluster (0 for one server). */
  private clusterServers = 0;

  private async queryOn(i: number, sql: string): Promise<Row[]> {
    try {
      const rs = await this.clients[i].query({ query: sql, format: 'JSONEachRow' });
      return (await rs.json()) as Row[];
    } catch (error) {
      throw new StoreError(this.display, `query failed: ${engineMessage(error)}`);
    }
  }

  private async commandOn(i: number, sql: string): Promise<void> {
    try {
      await this.clients[i].command({ query: sql });
    } catch (error) {
      throw new StoreError(this.display, engineMessage(error));
    }
  }

  query(sql: string): Promise<Row[]> {
    return this.queryOn(0, sql);
  }

  async userQuery(sql: string): Promise<SqlResult> {
    const statement = sql.trim().replace(/;\s*$/, '');
    this.userClient ??= client(this.location, this.location.endpoints[0], this.database);
    if (!/^(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i.test(statement)) {
      try {
        await this.userClient.command({ query: statement, clickhouse_settings: USER_QUERY_SETTINGS });
      } catch (error) {
        throw new StoreError(this.display, engineMessage(error));
      }
      return { columns: [], rows: [] };
    }
    try {
      const rs = await this.userClient.query({ query: statement, format: 'JSONCompact', clickhouse_settings: USER_QUERY_SETTINGS });
      const result = (await rs.json()) as { meta: { name: string; type: string }[]; data: unknown[][] };
      const wide = result.meta.map((m) => /U?Int(64|128|256)\b/.test(m.type));
      return { columns: result.meta.map((m) => m.name), rows: result.data.map((row) => row.map((v, i) => (wide[i] ? wideInteger(v) : v))) };
    } catch (error) {
      throw new StoreError(this.display, engineMessage(error));
    }
  }

  async existing(tableName: string, column: string, ids: readonly bigint[]): Promise<Set<string>> {
    const spec = table(tableName);
    const from = spec.kind === 'dictionary' ? this.sql.dictionary(tableName) : this.sql.fact(tableName);
    const out = new Set<string>();
    for (const part of chunks(ids, 5000)) {
      const rows = await this.query(`SELECT DISTINCT ${column} AS id FROM ${from} WHERE ${column} IN (${part.join(',')})`);
      for (const r of rows) out.add(String(r.id));
    }
    return out;
  }

  async write(batch: WriteBatch): Promise<void> {
    for (const rows of [...batch.dictionary, batch.samples, batch.labels, batch.profiles]) await this.insert(rows);
  }

  private async insert(rows: RowBatch): Promise<void> {
    if (rows.length === 0) return;
    const target = `${this.database}.${rows.table}`;
    try {
      const result = await this.clients[0].exec({
        query: `INSERT INTO ${target} FORMAT RowBinary`,
        values: Readable.from([encodeRowBinary(rows)], { objectMode: false }),
        clickhouse_settings: SYNC_INSERTS,
      });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.on('end', resolve);
        result.stream.on('error', reject);
      });
    } catch (error) {
      throw new StoreError(this.display, `writing ${rows.table} failed: ${engineMessage(error)}`);
    }
  }

  /** Whether the store's database has `name` (on the first server). */
  async hasTable(name: string): Promise<boolean> {
    const rows = await this.query(`SELECT name FROM system.tables WHERE database = ${this.sql.quote(this.database)} AND name = ${this.sql.quote(name)}`);
    return rows.length > 0;
  }

  /** Names of the tables in the store's database (on the first server). */
  async tableNames(): Promise<string[]> {
    const rows = await this.query(`SELECT name FROM system.tables WHERE database = ${this.sql.quote(this.database)}`);
    return rows.map((r) => String(r.name));
  }

  /** The schema version each server records (null where the store has no meta table). */
  async schemaVersion(): Promise<number | null> {
    if (!(await this.hasTable('heapscope_meta'))) return null;
    const rows = await this.query(`SELECT value FROM ${this.database}.heapscope_meta WHERE key = 'schema_version'`);
    return rows.length ? Math.max(...rows.map((r) => Number(r.value))) : null;
  }

  /** Creates the database and every table on every server, then records the schema version on each. */
  async createSchema(version: number): Promise<void> {
    // Tables go on every server: creating them needs the URL to list them all
    // (an ingest into an existing store needs one).
    if (this.cluster !== null && this.clusterServers !== this.clients.length) {
      throw new StoreError(this.display, `no store here yet, and creating one needs every server of cluster "${this.cluster}" in the URL (it has ${this.clusterServers}, the URL lists ${this.clients.length})`);
    }
    for (let i = 0; i < this.clients.length; i++) {
      await this.commandOn(i, `CREATE DATABASE IF NOT EXISTS ${this.database}`);
      for (const spec of TABLES) {
        for (const ddl of this.tableDdl(spec)) await this.commandOn(i, ddl);
      }
    }
    for (let i = 0; i < this.clients.length; i++) {
      await this.commandOn(i, `INSERT INTO ${this.database}.heapscope_meta (key, value) VALUES ('schema_version', '${version}')`);
    }
  }

  private tableDdl(spec: TableSpec): string[] {
    const columns = spec.columns.map((c) => `${c.name} ${c.type}`).join(', ');
    const engine = spec.kind === 'fact' ? 'MergeTree' : 'ReplacingMergeTree';
    const order = spec.orderBy.length === 1 ? spec.orderBy[0] : `(${spec.orderBy.join(', ')})`;
    const db = this.database;
    // The meta table is plain on every server: each records the schema it was given.
    if (this.cluster === null || spec.kind === 'meta') return [`CREATE TABLE IF NOT EXISTS ${db}.${spec.name} (${columns}) ENGINE = ${engine} ORDER BY ${order}`];
    const local = `${db}.${spec.name}_local`;
    const distributed =
      spec.kind === 'fact' ? `Distributed(${this.cluster}, ${db}, ${spec.name}_local, ${spec.key})` : `Distributed(${this.cluster}_replicated, ${db}, ${spec.name}_local)`;
    return [
      `CREATE TABLE IF NOT EXISTS ${local} (${columns}) ENGINE = ${engine} ORDER BY ${order}`,
      `CREATE TABLE IF NOT EXISTS ${db}.${spec.name} AS ${local} ENGINE = ${distributed}`,
    ];
  }

  /** Rows of a fact table on each shard (tests and reports: the data is spread). */
  async rowsPerServer(tableName: string): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < this.clients.length; i++) {
      const rows = await this.queryOn(i, `SELECT CAST(count() AS DOUBLE) AS n FROM ${this.sql.shardLocal(tableName)}`);
      out.push(Number(rows[0].n));
    }
    return out;
  }

  /** Merges parts now (ReplacingMergeTree drops duplicate dictionary rows), on every server. */
  async optimize(): Promise<void> {
    for (let i = 0; i < this.clients.length; i++) {
      for (const spec of TABLES) {
        const name = this.cluster !== null && spec.kind !== 'meta' ? `${spec.name}_local` : spec.name;
        await this.commandOn(i, `OPTIMIZE TABLE ${this.database}.${name} FINAL`);
      }
    }
  }

  async sizeBytes(): Promise<number> {
    let bytes = 0;
    for (let i = 0; i < this.clients.length; i++) {
      const rows = await this.queryOn(i, `SELECT CAST(sum(bytes_on_disk) AS DOUBLE) AS b FROM system.parts WHERE database = ${this.sql.quote(this.database)} AND active`);
      bytes += Number(rows[0]?.b ?? 0);
    }
    return bytes;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients, ...(this.userClient ? [this.userClient] : [])].map((c) => c.close()));
  }
}

/**
 * Rows in ClickHouse's RowBinary format: little-endian numbers, strings as
 * a LEB128 length and UTF-8 bytes, arrays as a LEB128 count and elements.
 */
export function encodeRowBinary(rows: RowBatch): Buffer {
  const spec = table(rows.table);
  let buffer = Buffer.allocUnsafe(Math.max(1024, rows.length * spec.columns.length * 9));
  let at = 0;
  const room = (n: number) => {
    if (at + n <= buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(buffer.length * 2, at + n));
    buffer.copy(next, 0, 0, at);
    buffer = next;
  };
  const varint = (n: number) => {
    room(10);
    let v = n;
    while (v >= 0x80) {
      buffer[at++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buffer[at++] = v;
  };
  const string = (s: string) => {
    const n = Buffer.byteLength(s);
    varint(n);
    room(n);
    at += buffer.write(s, at);
  };
  const scalar = (type: ColumnType, v: unknown) => {
    room(8);
    switch (type) {
      case 'Int64':
        at = buffer.writeBigInt64LE(v as bigint, at);
        break;
      case 'Int32':
        at = buffer.writeInt32LE(v as number, at);
        break;
      case 'UInt8':
        at = buffer.writeUInt8(v as number, at);
        break;
      case 'Float64':
        at = buffer.writeDoubleLE(v as number, at);
        break;
      default:
        string(v as string);
    }
  };
  const columns = spec.columns.map((c) => ({ type: c.type, element: c.type.startsWith('Array(') ? (c.type.slice(6, -1) as ColumnType) : null, values: rows.columns[c.name] as ArrayLike<unknown> }));
  for (let r = 0; r < rows.length; r++) {
    for (const col of columns) {
      const v = col.values[r];
      if (col.element === null) scalar(col.type, v);
      else {
        const items = v as unknown[];
        varint(items.length);
        for (const item of items) scalar(col.element, item);
      }
    }
  }
  return buffer.subarray(0, at);
}
