/**
 * Hot allocation sizes: a histogram of sizes — counts, bytes and shares —
 * for the whole process, and per call site or thread.
 *
 * What a size means depends on the input, and the report says which:
 * - event traces and perf probe records know each allocation's exact
 *   requested size (`exact`);
 * - a heap dump only knows, per stack, the average size of its objects
 *   (`average-requested`), and jemalloc records usable size classes, not
 *   requested sizes (`average-usable`).
 * Snapshots are counted by cumulative allocations when the dump has them,
 * else by in-use objects (`counts` says which); traces by allocations.
 */
import type { HeapProfile, Sampling, SizeKind } from '@heapscope/parser';
import type { LoadedInput } from './pipeline/read-input.js';
import { SiteIndex, type SiteOptions } from './sites.js';
import { tracePart } from './accumulate/accumulator.js';
import { inputAllocator, pow2Bucket, sizeClassRules, type AllocatorName } from './size-classes.js';
import { WasteTally, checkRequestedSizes } from './waste/waste-tally.js';
import { rowClass } from './waste/row-class.js';
import { jemallocSizeClass } from './size-classes/jemalloc.js';

export type SizeBuckets = 'exact' | 'pow2' | 'class';
/** Whose size classes `buckets: 'class'` uses. */
export type SizeClasses = AllocatorName;

export interface SizesOptions extends SiteOptions {
  buckets?: SizeBuckets;
  /** Size classes for `buckets: 'class'`; default: the input's allocator ({@link inputAllocator}: jemalloc for jemalloc dumps, tcmalloc for gperftools, bionic's jemalloc for Android, glibc otherwise). */
  classes?: SizeClasses;
  /** Per-site breakdown: how many sites, and sizes per site (default 10 and 5). */
  sites?: number;
  sizesPerSite?: number;
  /** Also the bytes these allocators' size classes lose to rounding (waste/size-class-waste.ts); needs requested sizes. */
  waste?: readonly AllocatorName[];
}

/** One bucket. */
export interface SizeRow {
  /** The bucket's size: the exact size, the power of two, or the size class (bytes). */
  size: number;
  count: number;
  bytes: number;
  /** Share of all allocations counted (0..1). */
  countShare: number;
  /** Share of all bytes counted (0..1). */
  bytesShare: number;
  /** With `waste`: bytes lost to rounding for this row's requests, by allocator. */
  waste?: Record<string, number>;
}

/** A call site's (or thread's) sizes. */
export interface SiteSizes {
  name: string;
  count: number;
  bytes: number;
  rows: SizeRow[];
  /** With `waste`: the site's bytes lost to rounding, by allocator. */
  waste?: Record<string, number>;
}

/** The report (JSON contract: `rows` of `{size, count, bytes}`, largest count first). */
export interface SizesReport {
  /**
   * What the sizes are, in the model's words (`SizeKind`, as `info` says it
   * of an input): `exact` sizes, or per-stack averages of requested sizes
   * (`average-requested`) or of the allocator's size classes (`average-usable`).
   */
  sizeKind: SizeKind;
  /** What is counted: allocations over the run, or objects in use. */
  counts: 'allocations' | 'in-use objects';
  buckets: SizeBuckets;
  classes: SizeClasses | null;
  totalCount: number;
  totalBytes: number;
  rows: SizeRow[];
  /** Breakdown by `by` (call site, thread, …), largest count first. */
  by: string;
  sites: SiteSizes[];
  /** With `waste`: the allocators compared and their bytes lost to rounding over all requests. */
  waste?: { allocators: AllocatorName[]; total: Record<string, number> };
}

interface Tally {
  count: Map<number, number>;
  bytes: Map<number, number>;
  waste?: WasteTally;
}

function add(t: Tally, bucket: number, count: number, bytes: number, size: number): void {
  t.count.set(bucket, (t.count.get(bucket) ?? 0) + count);
  t.bytes.set(bucket, (t.bytes.get(bucket) ?? 0) + bytes);
  t.waste?.add(bucket, size, count);
}

function rowsOf(t: Tally, totalCount: number, totalBytes: number, limit?: number): SizeRow[] {
  const rows = [...t.count.entries()].map(([size, count]) => {
    const bytes = t.bytes.get(size) ?? 0;
    const row: SizeRow = { size, count, bytes, countShare: totalCount ? count / totalCount : 0, bytesShare: totalBytes ? bytes / totalBytes : 0 };
    if (t.waste) row.waste = t.waste.of(size);
    return row;
  });
  rows.sort((a, b) => b.count - a.count || b.bytes - a.bytes || a.size - b.size);
  return limit === undefined ? rows : rows.slice(0, limit);
}

/** Sizes over one or more inputs (their histograms add up). */
export function sizes(inputs: readonly LoadedInput[], options: SizesOptions = {}): SizesReport {
  if (options.waste?.length) checkRequestedSizes(inputs);
  // Traces and perf records carry each allocation's size; so do snapshots
  // whose samples are one size each (Android native heap dumps).
  const histogram = new SizeHistogram(options, {
    format: inputs[0].profile.meta.format,
    exact: inputs.every((i) => i.trace !== undefined || i.profile.meta.sizeKind === 'exact'),
    usable: inputs.some((i) => i.profile.meta.sizeKind === 'average-usable'),
    snapshotsHaveAlloc: inputs.every((i) => i.trace !== undefined || i.profile.sampleTypeIndex('alloc_objects') >= 0),
  });
  for (const input of inputs) {
    const sites = new SiteIndex(input.profile, { ...options, by: options.by ?? 'function' });
    if (input.trace) {
      // An accumulated trace's samples are its sites, in site order: sample i is site i.
      tracePart(input.trace, 'sizes');
      const { sizes: rows } = input.trace;
      for (let r = 0; r < rows.length; r++) {
        const keys = sites.sampleKeys(rows.site[r]);
        if (keys === null) continue;
        histogram.record(keys.length ? sites.names[keys[0]] : null, rows.sizeBytes[r], rows.count[r]);
      }
    } else {
      snapshotSizes(input.profile, sites, histogram);
    }
  }
  return histogram.report();
}

/** What a size histogram needs to know of its inputs as a whole. */
export interface SizeInputFacts {
  /** The first input's format: its allocator's size classes are the default ({@link inputAllocator}). */
  format: string;
  /** Every input knows exact sizes (traces, probe records, one-size samples). */
  exact: boolean;
  /** Some input records usable sizes (jemalloc's size classes). */
  usable: boolean;
  /** Every snapshot has cumulative counts: allocations are counted, not in-use objects. */
  snapshotsHaveAlloc: boolean;
}

/**
 * A histogram of allocation sizes, for the process and per site, filled
 * record by record: from profiles here, or from sums a database formed.
 */
export class SizeHistogram {
  private readonly buckets: SizeBuckets;
  private readonly classes: SizeClasses | null;
  private readonly total: Tally;
  private readonly perSite = new Map<string, Tally>();
  private totalCount = 0;
  private totalBytes = 0;

  constructor(
    private readonly options: SizesOptions,
    /** The inputs' facts; `snapshotsHaveAlloc` says which columns a snapshot's sizes come from. */
    readonly facts: SizeInputFacts,
  ) {
    this.buckets = options.buckets ?? 'exact';
    this.classes = this.buckets === 'class' ? (options.classes ?? inputAllocator(facts.format)) : null;
    this.total = this.newTally();
  }

  private newTally(): Tally {
    return { count: new Map(), bytes: new Map(), ...(this.options.waste?.length ? { waste: new WasteTally(this.options.waste) } : {}) };
  }

  private bucketOf(size: number): number {
    const s = Math.round(size);
    if (this.buckets === 'pow2') return pow2Bucket(s);
    if (this.buckets === 'class') return sizeClassRules(this.classes as AllocatorName).blockBytes(s);
    return s;
  }

  /** Counts `count` allocations of `size` bytes at `site` (null: in the totals only). */
  record(site: string | null, size: number, count: number): void {
    this.recordRow(site, size, count, count * size);
  }

  /** Counts `count` allocations of `size` bytes holding `bytes` in all (an estimate's, when not count × size). */
  private recordRow(site: string | null, size: number, count: number, bytes: number): void {
    if (count === 0 || !(size >= 0)) return;
    const bucket = this.bucketOf(size);
    add(this.total, bucket, count, bytes, size);
    this.totalCount += count;
    this.totalBytes += bytes;
    if (site === null) return;
    let t = this.perSite.get(site);
    if (!t) {
      t = this.newTally();
      this.perSite.set(site, t);
    }
    add(t, bucket, count, bytes, size);
  }

  /**
   * Counts a row of a sampled jemalloc dump: its objects are one size class
   * when {@link rowClass} finds one, and are counted at that class, with the
   * row's own count and bytes (the estimates `top` sums); else at their
   * average. Why: jemalloc ≥ 5.3 writes each sampled row so that unsampling
   * recovers its own estimate, and the average of such a row is off its class
   * (4,113 B for 4,096-byte objects), often enough to fall in the next class.
   */
  recordSampledUsable(site: string | null, sampling: Sampling, objects: number, space: number): void {
    if (objects <= 0) return;
    const size = rowClass('jemalloc', sampling, objects, space, jemallocSizeClass) ?? space / objects;
    this.recordRow(site, size, objects, space);
  }

  /** Counts a snapshot sample: `objects` objects holding `space` bytes, at their average size. */
  recordAverage(site: string | null, objects: number, space: number): void {
    if (objects <= 0) return;
    this.record(site, space / objects, objects);
  }

  /** The report, rows largest count first. */
  report(): SizesReport {
    const { options, facts } = this;
    const siteRows: SiteSizes[] = [...this.perSite.entries()].map(([name, t]) => {
      let count = 0;
      let bytes = 0;
      for (const v of t.count.values()) count += v;
      for (const v of t.bytes.values()) bytes += v;
      const site: SiteSizes = { name, count, bytes, rows: rowsOf(t, count, bytes, options.sizesPerSite ?? 5) };
      if (t.waste) site.waste = t.waste.total();
      return site;
    });
    siteRows.sort((a, b) => b.count - a.count || b.bytes - a.bytes);
    return {
      sizeKind: facts.exact ? 'exact' : facts.usable ? 'average-usable' : 'average-requested',
      counts: facts.snapshotsHaveAlloc ? 'allocations' : 'in-use objects',
      buckets: this.buckets,
      classes: this.classes,
      totalCount: this.totalCount,
      totalBytes: this.totalBytes,
      rows: rowsOf(this.total, this.totalCount, this.totalBytes),
      by: options.by ?? 'function',
      sites: siteRows.slice(0, options.sites ?? 10),
      ...(this.total.waste ? { waste: { allocators: [...this.total.waste.allocators], total: this.total.waste.total() } } : {}),
    };
  }
}

/** A snapshot's sizes: each sample's average object size, weighted by its object count. */
function snapshotSizes(p: HeapProfile, sites: SiteIndex, histogram: SizeHistogram): void {
  const useAlloc = histogram.facts.snapshotsHaveAlloc;
  const objects = p.samples.values[p.sampleTypeIndex(useAlloc ? 'alloc_objects' : 'inuse_objects')];
  const space = p.samples.values[p.sampleTypeIndex(useAlloc ? 'alloc_space' : 'inuse_space')];
  if (!objects || !space) return;
  const { sampling, sizeKind } = p.meta;
  const sampledClasses = sizeKind === 'average-usable' && sampling.periodBytes > 1;
  for (let i = 0; i < p.samples.length; i++) {
    if (objects[i] <= 0) continue;
    const keys = sites.sampleKeys(i);
    if (keys === null) continue;
    const site = keys.length ? sites.names[keys[0]] : null;
    if (sampledClasses) histogram.recordSampledUsable(site, sampling, objects[i], space[i]);
    else histogram.recordAverage(site, objects[i], space[i]);
  }
}
