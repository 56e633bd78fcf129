/**
 * Size-class waste, requested versus usable: for inputs that know what each
 * request was (event traces, perf malloc probes, Android record_allocs and
 * heap dumps, heaptrack; gperftools dumps through their per-stack averages),
 * what each allocator's size classes would round every request up to, and
 * so the bytes each allocator loses to rounding, per call site and in all.
 *
 * The counts are `sizes`' (allocations over the run when the input has
 * them, else objects in use), and so are the sizes: exact for traces,
 * per-stack averages for snapshots — exact when a stack allocates one size,
 * as most do; for a stack that mixes sizes, the waste of its average size.
 * The allocators' rules are in `size-classes.ts` (glibc's waste includes
 * its 8-byte chunk header; scudo's its 16-byte block header).
 *
 * `withWasteSampleType` puts the same figure into a profile as a sample
 * type, `waste_space`, so that every per-site view (top, flame graphs) can
 * rank by it.
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';
import type { LoadedInput } from '../pipeline/read-input.js';
import type { SiteOptions } from '../sites.js';
import { sizes } from '../sizes.js';
import { tracePart } from '../accumulate/accumulator.js';
import { defaultAllocators, sizeClassRules, type AllocatorName } from '../size-classes.js';
import { checkRequestedSizes, roundingWaste } from './waste-tally.js';

export interface SizeClassWasteOptions extends SiteOptions {
  /** The allocators to compare; default: Android's for Android inputs, glibc, jemalloc, tcmalloc and mimalloc otherwise. */
  allocators?: readonly AllocatorName[];
  /** The allocator whose waste ranks the sites (default: the first). */
  rankBy?: AllocatorName;
  /** Keep the first n sites (all when absent). */
  limit?: number;
}

/** One call site (or thread, …, by `by`). */
export interface WasteSite {
  name: string;
  /** Requests counted, and the bytes they asked for. */
  count: number;
  requestedBytes: number;
  /** Bytes each allocator's blocks take beyond those requests. */
  waste: Record<string, number>;
}

/** The report (JSON-serializable; contract in docs/cli.md). */
export interface SizeClassWasteReport {
  /** `exact` requested sizes, or per-stack `average` requested sizes. */
  sizeKind: 'exact' | 'average';
  counts: 'allocations' | 'in-use objects';
  allocators: AllocatorName[];
  rankBy: AllocatorName;
  by: string;
  total: {
    count: number;
    requestedBytes: number;
    waste: Record<string, number>;
    /** Waste as a share of the requested bytes (0 when nothing was requested). */
    wasteShare: Record<string, number>;
  };
  /** Most waste (of `rankBy`) first. */
  sites: WasteSite[];
  siteCount: number;
}

/** Bytes lost to each allocator's size classes, per site and in all. */
export function sizeClassWaste(inputs: readonly LoadedInput[], options: SizeClassWasteOptions = {}): SizeClassWasteReport {
  checkRequestedSizes(inputs);
  const allocators = [...(options.allocators ?? defaultAllocators(inputs[0].profile.meta.format))];
  for (const a of allocators) sizeClassRules(a);
  const rankBy = options.rankBy ?? allocators[0];
  if (!allocators.includes(rankBy)) throw new Error(`the ranking allocator ${rankBy} is not among ${allocators.join(', ')}`);
  const r = sizes(inputs, { ...options, buckets: 'exact', waste: allocators, sites: Infinity, sizesPerSite: 0 });
  const sites: WasteSite[] = r.sites.map((s) => ({ name: s.name, count: s.count, requestedBytes: s.bytes, waste: s.waste ?? {} }));
  sites.sort((a, b) => (b.waste[rankBy] ?? 0) - (a.waste[rankBy] ?? 0) || b.requestedBytes - a.requestedBytes || (a.name < b.name ? -1 : 1));
  const waste = r.waste?.total ?? {};
  const wasteShare: Record<string, number> = {};
  for (const a of allocators) wasteShare[a] = r.totalBytes > 0 ? (waste[a] ?? 0) / r.totalBytes : 0;
  return {
    sizeKind: r.sizeKind === 'exact' ? 'exact' : 'average',
    counts: r.counts,
    allocators,
    rankBy,
    by: r.by,
    total: { count: r.totalCount, requestedBytes: r.totalBytes, waste, wasteShare },
    sites: options.limit !== undefined ? sites.slice(0, options.limit) : sites,
    siteCount: sites.length,
  };
}

/** The sample type {@link withWasteSampleType} adds. */
export const WASTE_SPACE: ValueType = { type: 'waste_space', unit: 'bytes' };

/**
 * `input`'s profile with one more sample type, `waste_space`: per sample, the
 * bytes `allocator`'s size classes lose to rounding its requests (counted as
 * `sizeClassWaste` counts them). `top(…, { sampleType: 'waste_space' })`
 * then ranks sites by it.
 */
export function withWasteSampleType(input: LoadedInput, allocator: AllocatorName): HeapProfile {
  checkRequestedSizes([input]);
  const rules = sizeClassRules(allocator);
  const p = input.profile;
  if (p.sampleTypeIndex(WASTE_SPACE.type) >= 0) throw new Error(`${p.meta.file} already has a ${WASTE_SPACE.type} sample type`);
  const column = new Float64Array(p.samples.length);
  if (input.trace) {
    // A replay's samples are its sites, in site order: sample i is site i.
    tracePart(input.trace, 'sizes');
    const rows = input.trace.sizes;
    for (let r = 0; r < rows.length; r++) column[rows.site[r]] += rows.count[r] * roundingWaste(rules, rows.sizeBytes[r]);
  } else {
    const useAlloc = p.sampleTypeIndex('alloc_objects') >= 0;
    const objects = p.samples.values[p.sampleTypeIndex(useAlloc ? 'alloc_objects' : 'inuse_objects')];
    const space = p.samples.values[p.sampleTypeIndex(useAlloc ? 'alloc_space' : 'inuse_space')];
    if (objects && space) {
      for (let i = 0; i < column.length; i++) if (objects[i] > 0) column[i] = objects[i] * roundingWaste(rules, space[i] / objects[i]);
    }
  }
  return p.with({ sampleTypes: [...p.sampleTypes, WASTE_SPACE], samples: { ...p.samples, values: [...p.samples.values, column] } });
}
