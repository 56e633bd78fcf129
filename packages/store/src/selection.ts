/**
 * Selections: which profiles an analysis reads — by labels (`where`) and
 * time (`from` inclusive, `to` exclusive).
 *
 * A selection is SQL the engine evaluates (on a cluster, each shard on its
 * own profiles): the pairs `(profile, ingest)` of the selected profiles,
 * one pair per profile (two ingests of one dump that raced on ClickHouse
 * are read once). Samples are reached only through it, so rows of an
 * interrupted ingest, which no `profiles` row names, are never read.
 */
import type { Backend, SqlDialect } from './backend.js';

/** What to select. Labels are matched exactly; every `where` pair must hold. */
export interface SelectionFilter {
  where?: Readonly<Record<string, string>>;
  /** Profiles at or after this time (a Date, ms since the epoch, or an ISO 8601 string). */
  from?: Date | number | string;
  /** Profiles before this time. */
  to?: Date | number | string;
}

/** A resolved selection. */
export class Selection {
  constructor(
    readonly filter: SelectionFilter,
    /** Profiles selected. */
    readonly profiles: number,
    /** Why the selection may not be what was meant (a label no profile has, …). */
    readonly warnings: readonly string[],
    /** Earliest and latest time_ms of the selected profiles (null when none). */
    readonly timeRangeMs: readonly [number, number] | null,
  ) {}

  /** No profile selected. */
  get empty(): boolean {
    return this.profiles === 0;
  }

  /** The `(profile, ingest)` pairs of the selected profiles, as a subquery on a shard's own profiles. */
  pairs(d: SqlDialect): string {
    return `SELECT profile, min(ingest) AS ingest FROM ${d.shardLocal('profiles')} WHERE ${conditions(d, this.filter)} GROUP BY profile`;
  }

  /** A condition on a table with `profile` and `ingest` columns: the row belongs to a selected profile. */
  holds(d: SqlDialect): string {
    if (!d.exactlyOnce) return `(profile, ingest) IN (${this.pairs(d)})`;
    const { where, from, to } = this.filter;
    // Every row is a visible profile's: selecting everything needs no condition.
    if (from === undefined && to === undefined && Object.keys(where ?? {}).length === 0) return '1 = 1';
    return `profile IN (SELECT profile FROM ${d.shardLocal('profiles')} WHERE ${conditions(d, this.filter)})`;
  }
}

/** A time argument as ms since the epoch; throws on a string that is not a time. */
export function timeMs(value: Date | number | string, what: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new TypeError(`${what}: "${String(value)}" is not a time (expected ISO 8601, e.g. 2026-12-03T14:00:00Z)`);
  return ms;
}

function conditions(d: SqlDialect, filter: SelectionFilter): string {
  const parts = ['1 = 1'];
  if (filter.from !== undefined) parts.push(`time_ms >= ${Math.round(timeMs(filter.from, 'from'))}`);
  if (filter.to !== undefined) parts.push(`time_ms < ${Math.round(timeMs(filter.to, 'to'))}`);
  for (const [key, value] of Object.entries(filter.where ?? {})) {
    parts.push(`profile IN (SELECT profile FROM ${d.shardLocal('profile_labels')} WHERE key = ${d.quote(key)} AND value = ${d.quote(value)})`);
  }
  return parts.join(' AND ');
}

/** Resolves a filter: counts what it selects and says why it may select nothing. */
export async function resolveSelection(backend: Backend, filter: SelectionFilter = {}): Promise<Selection> {
  const d = backend.sql;
  // Check the times before any query, so a bad one is the error.
  if (filter.from !== undefined) timeMs(filter.from, 'from');
  if (filter.to !== undefined) timeMs(filter.to, 'to');
  const probe = new Selection(filter, 0, [], null);
  const [facts] = await backend.query(
    `SELECT CAST(count(*) AS DOUBLE) AS n, CAST(min(time_ms) AS DOUBLE) AS t0, CAST(max(time_ms) AS DOUBLE) AS t1 FROM ${d.fact('profiles')} WHERE ${probe.holds(d)}`,
  );
  const n = Number(facts?.n ?? 0);
  const warnings: string[] = [];
  if (n === 0) {
    for (const [key, value] of Object.entries(filter.where ?? {})) {
      const [row] = await backend.query(
        `SELECT CAST(count(*) AS DOUBLE) AS n, CAST(sum(CASE WHEN value = ${d.quote(value)} THEN 1 ELSE 0 END) AS DOUBLE) AS matching FROM ${d.fact('profile_labels')} WHERE key = ${d.quote(key)}`,
      );
      if (Number(row?.n ?? 0) === 0) warnings.push(`no profile has a label "${key}": the selection is empty`);
      else if (Number(row?.matching ?? 0) === 0) warnings.push(`no profile has ${key}=${value}: the selection is empty`);
    }
    if (warnings.length === 0) warnings.push('no profile matches the selection');
  }
  const range: [number, number] | null = n > 0 ? [Number(facts.t0), Number(facts.t1)] : null;
  return new Selection(filter, n, warnings, range);
}
