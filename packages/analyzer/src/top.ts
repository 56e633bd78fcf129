/**
 * `top`: call sites ranked by one sample type — flat (the site's own value)
 * and cum (value of samples whose stack passes through it), over one or more
 * profiles (their values add up).
 */
import type { HeapProfile } from '@heapscope/parser';
import { SiteIndex, type GroupBy, type SiteOptions } from './sites.js';
import { commonSampleType } from './sample-type.js';

export interface TopOptions extends SiteOptions {
  /** Sample type name; the first profile's default when absent. */
  sampleType?: string;
  /** Sort by `flat` (default) or `cum`. */
  sort?: 'flat' | 'cum';
  /** Keep the first n rows (all when absent). */
  limit?: number;
}

/** One row of a top report. */
export interface TopRow {
  name: string;
  flat: number;
  cum: number;
}

/** The report; JSON-serializable (contract in DESIGN.md). */
export interface TopReport {
  sampleType: string;
  unit: string;
  by: GroupBy;
  /** Sum of the sample type over every sample of every input. */
  total: number;
  /** Sum over the samples the filters kept. */
  shown: number;
  /** Rows before `limit` was applied. */
  rowCount: number;
  rows: TopRow[];
}

/** Ranks call sites by flat (or cum) value. */
export function top(profiles: readonly HeapProfile[], options: TopOptions = {}): TopReport {
  const type = commonSampleType(profiles, options.sampleType);
  const by = options.by ?? 'function';
  const flat = new Map<string, number>();
  const cum = new Map<string, number>();
  let total = 0;
  let shown = 0;
  for (const profile of profiles) {
    const sites = new SiteIndex(profile, { ...options, by });
    const values = profile.samples.values[profile.sampleTypeIndex(type.type)];
    // Accumulate per key id first, then by name across profiles.
    const accFlat: number[] = [];
    const accCum: number[] = [];
    for (let i = 0; i < profile.samples.length; i++) {
      const v = values[i];
      total += v;
      const keys = sites.sampleKeys(i);
      if (keys === null || keys.length === 0) continue;
      shown += v;
      accFlat[keys[0]] = (accFlat[keys[0]] ?? 0) + v;
      for (let k = 0; k < keys.length; k++) accCum[keys[k]] = (accCum[keys[k]] ?? 0) + v;
    }
    sites.names.forEach((name, id) => {
      if (accFlat[id] !== undefined) flat.set(name, (flat.get(name) ?? 0) + accFlat[id]);
      if (accCum[id] !== undefined) cum.set(name, (cum.get(name) ?? 0) + accCum[id]);
    });
  }
  // Rows that are zero in this sample type (a site whose objects were all
  // freed, in inuse_*) are left out, as jeprof and pprof do.
  const rows: TopRow[] = [...cum.keys()]
    .map((name) => ({ name, flat: flat.get(name) ?? 0, cum: cum.get(name) ?? 0 }))
    .filter((row) => row.flat !== 0 || row.cum !== 0);
  const key = options.sort === 'cum' ? 'cum' : 'flat';
  rows.sort((a, b) => Math.abs(b[key]) - Math.abs(a[key]) || Math.abs(b.cum) - Math.abs(a.cum) || (a.name < b.name ? -1 : 1));
  return {
    sampleType: type.type,
    unit: type.unit,
    by,
    total,
    shown,
    rowCount: rows.length,
    rows: options.limit !== undefined ? rows.slice(0, options.limit) : rows,
  };
}
