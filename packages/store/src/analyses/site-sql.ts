/**
 * Call sites in SQL: the keys samples are grouped by, and their names.
 *
 * Each sampled stack has a `stack_sites` row with its call-site path per grouping (`site_functions`,
 * `site_modules`, `site_files`: leaf first, each key once; `site_stack`:
 * the whole path as one key), computed at ingest by the analyzer's
 * `SiteIndex`. So a sample's flat key is the path's first element and its
 * cum keys are the path's elements — the analyzer's flat and cum. Threads
 * belong to samples: `--by thread` groups samples by their `thread`.
 *
 * Queries first sum samples per stack in the fact table (on a cluster:
 * each shard its own profiles), then join the few distinct stacks with
 * their keys.
 */
import { NO_THREAD, threadLabel, type GroupBy } from '@heapscope/analyzer';
import { chunks, type Backend } from '../backend.js';

/** Groupings the store answers: every one of the analyzer's. */
export type StoreGroupBy = GroupBy;

const PATH_COLUMN: Record<Exclude<GroupBy, 'thread' | 'stack' | 'line'>, string> = {
  function: 'site_functions',
  module: 'site_modules',
  file: 'site_files',
};

/** The path column of a grouping; the store keeps no source line per site, so `line` is refused. */
function pathColumn(by: Exclude<GroupBy, 'thread' | 'stack'>): string {
  if (by === 'line') throw new Error('the store keeps no source lines per call site: group --by line from the dumps themselves, not --db');
  return PATH_COLUMN[by];
}

/**
 * Per key: the flat and cum sums of each column `c` of `columns`, as
 * `flat_c` and `cum_c`, from `inner`, a subquery with columns `stack`,
 * `thread` and `columns` (one row per stack and thread, or finer). The
 * columns are summed alike: values, and their sampling variances.
 */
export function keySumsSql(backend: Backend, inner: string, by: GroupBy, columns: readonly string[]): string {
  const d = backend.sql;
  const sums = (each: (c: string) => string) => columns.map(each).join(', ');
  const perStack = `SELECT stack, ${sums((c) => `sum(${c}) AS ${c}`)} FROM (${inner}) GROUP BY stack`;
  if (by === 'thread') return `SELECT thread AS key, ${sums((c) => `sum(${c}) AS flat_${c}, sum(${c}) AS cum_${c}`)} FROM (${inner}) GROUP BY thread`;
  if (by === 'stack') {
    return `SELECT site_stack AS key, ${sums((c) => `sum(${c}) AS flat_${c}, sum(${c}) AS cum_${c}`)} FROM (${perStack}) ${d.joinOne} ${d.dictionary('stack_sites')} USING (stack) GROUP BY site_stack`;
  }
  const path = pathColumn(by);
  // A key occurs once in a path, so it is the flat key exactly where it is the first.
  return (
    `SELECT k AS key, ${sums((c) => `sum(CASE WHEN k = f THEN ${c} ELSE 0 END) AS flat_${c}, sum(${c}) AS cum_${c}`)} FROM (` +
    `SELECT ${d.explode(path)} AS k, ${path}[1] AS f, ${columns.join(', ')} FROM (${perStack}) ${d.joinOne} ${d.dictionary('stack_sites')} USING (stack)` +
    `) GROUP BY k`
  );
}

/**
 * The flat key of each row of `inner` (columns `stack`, `thread` and
 * `columns`), as column `key`, with those columns.
 */
export function flatKeySql(backend: Backend, inner: string, by: GroupBy, columns: readonly string[]): string {
  const rest = columns.join(', ');
  if (by === 'thread') return `SELECT thread AS key, ${rest} FROM (${inner})`;
  return `SELECT key, ${rest} FROM (${inner}) ${joinFlatKey(backend, by).join}`;
}

/**
 * The join of `samples` with each stack's flat key, as column `key` (for
 * threads: no join, `thread` is the key). The sites table is narrowed to
 * the key before the join: the join then carries one number per sample,
 * not the stack's arrays.
 */
export function joinFlatKey(backend: Backend, by: GroupBy): { join: string; key: string } {
  if (by === 'thread') return { join: '', key: 'thread' };
  const d = backend.sql;
  const key = by === 'stack' ? 'site_stack' : `${pathColumn(by)}[1]`;
  return { join: `${d.joinOne} (SELECT stack, ${key} AS key FROM ${d.dictionary('stack_sites')}) USING (stack)`, key: 'key' };
}

/** Display names of keys: strings (sites) or threads (`--by thread`). */
export async function keyNames(backend: Backend, keys: Iterable<string>, by: GroupBy): Promise<Map<string, string>> {
  const d = backend.sql;
  const out = new Map<string, string>();
  const wanted = [...new Set(keys)];
  if (by === 'thread') {
    if (wanted.includes('0')) out.set('0', NO_THREAD);
    for (const part of chunks(wanted.filter((k) => k !== '0'), 5000)) {
      const rows = await backend.query(`SELECT thread AS id, key, name FROM ${d.dictionary('threads')} WHERE thread IN (${part.join(',')})`);
      for (const r of rows) out.set(String(r.id), threadLabel(String(r.key), String(r.name)));
    }
  } else {
    for (const part of chunks(wanted, 5000)) {
      const rows = await backend.query(`SELECT string AS id, value FROM ${d.dictionary('strings')} WHERE string IN (${part.join(',')})`);
      for (const r of rows) out.set(String(r.id), String(r.value));
    }
  }
  const missing = wanted.filter((k) => !out.has(k));
  if (missing.length > 0) throw new Error(`${backend.display}: ${missing.length} ${by === 'thread' ? 'thread' : 'name'} ids have no row (first: ${missing[0]}): the store is damaged`);
  return out;
}

/** Sums by name of per-key values (two keys may share a name: threads with equal labels). */
export function byName<T>(rows: readonly { key: string; value: T }[], names: ReadonlyMap<string, string>, add: (into: T, value: T) => T): Map<string, T> {
  const out = new Map<string, T>();
  for (const { key, value } of rows) {
    const name = names.get(key) as string;
    const known = out.get(name);
    out.set(name, known === undefined ? value : add(known, value));
  }
  return out;
}
