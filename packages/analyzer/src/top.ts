/**
 * `top`: call sites ranked by one sample type — flat (the site's own value)
 * and cum (value of samples whose stack passes through it), over one or more
 * profiles (their values add up).
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';
import { SiteIndex, type GroupBy, type SiteOptions, type TreeSums } from './sites.js';
import { commonSampleType } from './sample-type.js';
import { sampleVariances } from './sampling-error.js';
import { diffProfiles, mergeProfiles } from './merge.js';

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
  /** On sampled inputs: the standard error of `flat` (sampling-error.ts); absent when nothing was sampled. */
  stderr?: number;
  /** On sampled inputs: the standard error of `cum`. */
  cumStderr?: number;
}

/** The report; JSON-serializable (contract: docs/design.md#json). */
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
  const values = new SiteSums();
  // Variances of flat and cum, summed as the values are, for inputs that were sampled.
  const variance = new SiteSums();
  let sampled = false;
  let total = 0;
  let shown = 0;
  for (const profile of profiles) {
    const sites = new SiteIndex(profile, { ...options, by });
    const typeIndex = profile.sampleTypeIndex(type.type);
    const column = profile.samples.values[typeIndex];
    for (let i = 0; i < profile.samples.length; i++) total += column[i];
    const variances = sampleVariances(profile, typeIndex);
    if (variances && sites.summableAlongTree) {
      // Both columns in one walk of the tree (the same sums as one by one).
      const [sums, varianceSums] = sites.sumColumnsAlongTree([column, variances]);
      shown += values.addSums(sites, sums);
      variance.addSums(sites, varianceSums);
    } else {
      shown += values.add(sites, column);
      if (variances) variance.add(sites, variances);
    }
    sampled = variances !== null || sampled;
  }
  return topOfSums({ type, by, total, shown, flat: values.flat, cum: values.cum, ...(sampled ? { variance } : {}) }, options);
}

/**
 * `input − base` per call site, ranked as {@link top} ranks: the values of
 * `diffProfiles` of the two sides (each side's profiles merged), and, on
 * sampled inputs, error bars from the variances of both sides added — the
 * two estimates' errors are independent, so a site's change is uncertain by
 * both, even where its values cancel. The sample type must be one both
 * sides have; the default is the input's.
 */
export function diffTop(base: readonly HeapProfile[], input: readonly HeapProfile[], options: TopOptions = {}): TopReport {
  const one = (side: readonly HeapProfile[]) => (side.length === 1 ? side[0] : mergeProfiles(side));
  const diff = diffProfiles(one(base), one(input));
  const type = commonSampleType([diff], options.sampleType);
  const by = options.by ?? 'function';
  const values = new SiteSums();
  const column = diff.samples.values[diff.sampleTypeIndex(type.type)];
  let total = 0;
  for (let i = 0; i < diff.samples.length; i++) total += column[i];
  const shown = values.add(new SiteIndex(diff, { ...options, by }), column);
  const variance = new SiteSums();
  let sampled = false;
  for (const profile of [...base, ...input]) {
    // A profile without the sample type adds zeros to the merge, and no noise.
    if (profile.sampleTypeIndex(type.type) < 0) continue;
    sampled = variance.addVariances(new SiteIndex(profile, { ...options, by }), type.type) || sampled;
  }
  return topOfSums({ type, by, total, shown, flat: values.flat, cum: values.cum, ...(sampled ? { variance } : {}) }, options);
}

/** Flat and cum per site name, added up over profiles. */
class SiteSums {
  readonly flat = new Map<string, number>();
  readonly cum = new Map<string, number>();

  /** Adds the flat and cum of `column` (one value per sample of `sites.profile`); returns the sum over the samples the filters kept. */
  add(sites: SiteIndex, column: ArrayLike<number>): number {
    return this.addSums(sites, sites.summableAlongTree ? sites.sumAlongTree(column) : sumBySample(sites, column));
  }

  /** Adds sums per key id of `sites` (from `sumAlongTree` or `sumBySample`); returns their `shown`. */
  addSums(sites: SiteIndex, sums: TreeSums): number {
    const { flat, cum, touched } = sums;
    sites.names.forEach((name, id) => {
      if (touched[id] !== 1) return;
      if (flat[id] !== 0) this.flat.set(name, (this.flat.get(name) ?? 0) + flat[id]);
      this.cum.set(name, (this.cum.get(name) ?? 0) + cum[id]);
    });
    return sums.shown;
  }

  /** Adds the sampling variances of sample type `type` (sampling-error.ts); false when the profile was not sampled. */
  addVariances(sites: SiteIndex, type: string): boolean {
    const variances = sampleVariances(sites.profile, sites.profile.sampleTypeIndex(type));
    if (variances) this.add(sites, variances);
    return variances !== null;
  }
}

/**
 * Per-site sums of one sample type, however they were formed: from profiles
 * here, or aggregated by a database (`@heapscope/store`).
 */
export interface TopSums {
  type: ValueType;
  by: GroupBy;
  /** Sum over every sample. */
  total: number;
  /** Sum over the samples the filters kept. */
  shown: number;
  /** Flat value per site name (sites with no flat value may be absent). */
  flat: ReadonlyMap<string, number>;
  /** Cum value per site name: every site some kept sample passes through. */
  cum: ReadonlyMap<string, number>;
  /** For sampled inputs: the variance of each site's flat and cum estimate (sampling-error.ts), summed as the values are. */
  variance?: { flat: ReadonlyMap<string, number>; cum: ReadonlyMap<string, number> };
}

/** The ranked report from per-site sums: rows sorted, zero rows dropped, `limit` applied. */
export function topOfSums(sums: TopSums, options: Pick<TopOptions, 'sort' | 'limit'> = {}): TopReport {
  const { flat, cum, variance } = sums;
  // Rows that are zero in this sample type (a site whose objects were all
  // freed, in inuse_*) are left out, as jeprof and pprof do.
  const rows: TopRow[] = [...cum.keys()]
    .map((name): TopRow => {
      const row: TopRow = { name, flat: flat.get(name) ?? 0, cum: cum.get(name) ?? 0 };
      if (variance) Object.assign(row, { stderr: Math.sqrt(variance.flat.get(name) ?? 0), cumStderr: Math.sqrt(variance.cum.get(name) ?? 0) });
      return row;
    })
    .filter((row) => row.flat !== 0 || row.cum !== 0);
  const key = options.sort === 'cum' ? 'cum' : 'flat';
  rows.sort((a, b) => Math.abs(b[key]) - Math.abs(a[key]) || Math.abs(b.cum) - Math.abs(a.cum) || (a.name < b.name ? -1 : 1));
  return {
    sampleType: sums.type.type,
    unit: sums.type.unit,
    by: sums.by,
    total: sums.total,
    shown: sums.shown,
    rowCount: rows.length,
    rows: options.limit !== undefined ? rows.slice(0, options.limit) : rows,
  };
}

/**
 * Flat and cum per key id, sample by sample through `sampleKeys` (for the
 * filters and groupings that {@link SiteIndex.sumAlongTree} does not cover).
 * Accumulated per key id first: typed arrays, since key ids are dense and a
 * sparse JS array indexed out of order turns into a slow dictionary on dumps
 * with a million sites.
 */
function sumBySample(sites: SiteIndex, values: ArrayLike<number>): TreeSums {
  let flat = new Float64Array(1024);
  let cum = new Float64Array(1024);
  let touched = new Uint8Array(1024);
  let shown = 0;
  for (let i = 0; i < sites.profile.samples.length; i++) {
    const v = values[i];
    const keys = sites.sampleKeys(i);
    if (keys === null || keys.length === 0) continue;
    shown += v;
    if (sites.names.length > touched.length) {
      const size = Math.max(sites.names.length, touched.length * 2);
      flat = grown(flat, size);
      cum = grown(cum, size);
      touched = grown(touched, size);
    }
    flat[keys[0]] += v;
    for (let k = 0; k < keys.length; k++) {
      cum[keys[k]] += v;
      touched[keys[k]] = 1;
    }
  }
  return { flat, cum, touched, shown };
}

/** A copy of `a` with room for `size` elements (zero-filled). */
function grown<T extends Float64Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}
