/**
 * Where a store is: a DuckDB file (the default), or a ClickHouse server or
 * cluster reached over HTTP.
 *
 *   heap.duckdb                                   a DuckDB file (created by ingest)
 *   clickhouse://HOST:PORT/DATABASE               one ClickHouse server
 *   clickhouse://H1:P1,H2:P2/DATABASE?cluster=C   a cluster C (remote_servers): every server
 *                                                 listed to create the store, any one after
 *   clickhouse://USER:PASSWORD@HOST:PORT/DATABASE with credentials
 *
 * With none given, `$HEAPSCOPE_DB`.
 */
import { StoreError } from './errors.js';

/** A DuckDB file. */
export interface DuckDbLocation {
  kind: 'duckdb';
  path: string;
  /** As given, for messages. */
  display: string;
}

/** A ClickHouse server, or the servers of a cluster. */
export interface ClickHouseLocation {
  kind: 'clickhouse';
  /** HTTP endpoints (`http://host:port`), the first one is where queries go. */
  endpoints: string[];
  database: string;
  /** The `remote_servers` cluster whose shards hold the data, or null for one server. */
  cluster: string | null;
  username: string;
  password: string;
  display: string;
}

export type DbLocation = DuckDbLocation | ClickHouseLocation;

/** The environment variable that names the store when none is given. */
export const HEAPSCOPE_DB = 'HEAPSCOPE_DB';

/** Parses a store's name (`db`, else `$HEAPSCOPE_DB`). */
export function parseDbLocation(db: string | undefined, env: NodeJS.ProcessEnv = process.env): DbLocation {
  const given = db ?? env[HEAPSCOPE_DB];
  if (given === undefined || given === '') throw new StoreError('(no store)', `no store given, and $${HEAPSCOPE_DB} is not set`);
  if (!/^clickhouse:\/\//i.test(given)) return { kind: 'duckdb', path: given, display: given };
  const m = /^clickhouse:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/([A-Za-z_][A-Za-z0-9_]*)\/?(?:\?([^#]*))?$/i.exec(given);
  const display = given.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  if (!m) throw new StoreError(display, 'expected clickhouse://HOST:PORT/DATABASE (hosts separated by commas, ?cluster=NAME for a cluster)');
  const [, user, password, hostList, database, query] = m;
  const endpoints = hostList.split(',').map((h) => {
    const hm = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(h);
    if (!hm) throw new StoreError(display, `"${h}" is not HOST or HOST:PORT`);
    return `http://${hm[1]}:${hm[2] ?? '8123'}`;
  });
  const params = new URLSearchParams(query ?? '');
  for (const key of params.keys()) if (key !== 'cluster') throw new StoreError(display, `unknown parameter "${key}" (only cluster=NAME)`);
  const cluster = params.get('cluster');
  if (cluster !== null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(cluster)) throw new StoreError(display, `cluster "${cluster}" is not a name`);
  if (cluster === null && endpoints.length > 1) throw new StoreError(display, 'several servers need ?cluster=NAME (the remote_servers cluster they form)');
  return {
    kind: 'clickhouse',
    endpoints,
    database,
    cluster,
    username: decodeURIComponent(user ?? 'default') || 'default',
    password: decodeURIComponent(password ?? ''),
    display,
  };
}
