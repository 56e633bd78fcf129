/**
 * Churn per call site: how much is allocated versus how much stays.
 *
 * - From an event trace: allocations, what is still live at the end, frees,
 *   heaptrack's "temporary" allocations (freed by the very next allocation
 *   event of the process, no other malloc or free in between), the median
 *   lifetime in events, allocations per second when timestamps exist, and
 *   lifetime histograms: for the whole trace in events and (with
 *   timestamps) in ns, per site in events.
 * - From a series of snapshots with cumulative counts: per interval (dump
 *   i−1 → i, the first from the process start), what was allocated (Δ
 *   cumulative) and what was retained (Δ in use); churned = allocated −
 *   retained. The totals are the sums over the intervals.
 * - From one snapshot with cumulative counts: allocated versus in use (one
 *   interval, from the process start).
 * Sites with the most freed (churned) objects come first.
 */
import { plural, type HeapProfile } from '@heapscope/parser';
import type { LoadedInput } from './pipeline/read-input.js';
import { LIFETIME_BUCKETS, SITE_LIFETIME_BUCKETS } from './accumulate/lifetime-buckets.js';
import { tracePart } from './accumulate/accumulator.js';
import { SiteIndex, type SiteOptions } from './sites.js';
import { formatBytes, formatCount } from './units.js';

export interface ChurnOptions extends SiteOptions {
  limit?: number;
}

/**
 * One bucket of a lifetime histogram in allocation events: freed blocks
 * whose lifetime (allocation events from their allocation to their free) is
 * at least `fromEvents` and below `toEvents` (null: no upper bound, the
 * last bucket catches everything above). Buckets are powers of 2 (whole
 * trace) or of 4 (per site); a block freed by the very next event lives 1.
 */
export interface LifetimeEventsBucket {
  fromEvents: number;
  toEvents: number | null;
  count: number;
  /** count / the histogram's freed blocks (0..1). */
  share: number;
}

/** One bucket of a lifetime histogram in time: `fromNs` ≤ lifetime < `toNs` (powers of 2 of ns). */
export interface LifetimeNsBucket {
  fromNs: number;
  toNs: number | null;
  count: number;
  /** count / the histogram's timed blocks (0..1). */
  share: number;
}

/**
 * Lifetime histograms of a whole trace (every site: `--focus`, `--ignore`
 * and `--thread` do not narrow them). Buckets run from the first non-empty
 * one to the last, empty ones between included.
 */
export interface ProcessLifetimes {
  /** Blocks freed in the trace (lifetime known): the sum of `events`' counts. */
  freedObjects: number;
  /** Power-of-2 buckets of events: [0,1), [1,2), [2,4), [4,8), … */
  events: LifetimeEventsBucket[];
  /** Freed blocks whose allocation and free both carry a timestamp: the sum of `ns`' counts; null without timestamps. */
  timedObjects: number | null;
  /** Power-of-2 buckets of ns: [0,1), [1,2), [2,4), …; null without timestamps. */
  ns: LifetimeNsBucket[] | null;
}

/** Lifetime histogram of one site's freed blocks, in power-of-4 buckets of events: [0,1), [1,4), [4,16), … */
export interface SiteLifetimes {
  /** Blocks of this site freed in the trace: the sum of `events`' counts. */
  freedObjects: number;
  events: LifetimeEventsBucket[];
}

/**
 * One site's values over one interval of a series (dump i−1 → i, the first
 * from the process start, when cumulative counts were zero).
 */
export interface ChurnIntervalValues {
  /** Allocated in the interval: the change of the cumulative counts. */
  allocObjects: number;
  allocBytes: number;
  /** Retained: the change of the in-use values (negative when earlier blocks were freed). */
  retainedObjects: number;
  retainedBytes: number;
  /** allocObjects − retainedObjects: blocks allocated and freed again (plus earlier blocks freed). */
  churnObjects: number;
  churnBytes: number;
}

/** The whole process over one interval of a series: which dumps bound it, and what was in use at its end. */
export interface ChurnInterval extends ChurnIntervalValues {
  /** The dump the interval starts at (its file), or null for the first interval, from the process start. */
  from: string | null;
  /** The dump the interval ends at. */
  to: string;
  /** In use at `to`. */
  liveObjects: number;
  liveBytes: number;
}

/** One site's churn (JSON contract: name, allocObjects, allocBytes, liveObjects, liveBytes). */
export interface ChurnRow {
  name: string;
  allocObjects: number;
  allocBytes: number;
  /** Live at the end (trace), in use in the last snapshot. */
  liveObjects: number;
  liveBytes: number;
  /** Allocated and not retained: allocObjects − liveObjects (objects freed). */
  churnObjects: number;
  churnBytes: number;
  /** Share of allocated objects that did not stay (0..1). */
  churnShare: number;
  /** Traces: allocations freed by the very next allocation event (heaptrack's "temporary"). */
  temporary: number | null;
  /** Traces: median lifetime of freed blocks, in allocation events (a bucket bound: ≤ this). */
  medianLifetimeEvents: number | null;
  /** Traces with timestamps: allocations per second over the trace. */
  allocsPerSecond: number | null;
  /** Traces that record pointers: the lifetime histogram of this site's freed blocks; else null. */
  lifetimes: SiteLifetimes | null;
  /** Dumps: this site's values per interval (as the report's `intervals`); null for traces. Their sums are the totals above. */
  intervals: ChurnIntervalValues[] | null;
}

export interface ChurnReport {
  /** `trace`, `series` (snapshots with cumulative counts) or `snapshot`. */
  source: 'trace' | 'series' | 'snapshot';
  /** Trace duration in seconds, when timestamps exist. */
  durationSeconds: number | null;
  rows: ChurnRow[];
  rowCount: number;
  verdict: string;
  /** Traces that record pointers: the whole trace's lifetime histograms; else null. */
  lifetimes: ProcessLifetimes | null;
  /** Dumps: the process (every site the filters keep) per interval, in order; null for traces. */
  intervals: ChurnInterval[] | null;
  /**
   * Some dump was sampled (jemalloc `lg_prof_sample` > 0, tcmalloc's
   * sampling): its values are estimates, unsampled as the reference tools do,
   * and so is every difference between two dumps.
   */
  sampled: boolean;
}

interface Acc {
  allocObjects: number;
  allocBytes: number;
  liveObjects: number;
  liveBytes: number;
  temporary: number;
  freedObjects: number;
  lifetime: number[];
  /** Dumps: per interval, allocObjects, allocBytes, retainedObjects, retainedBytes. */
  intervals: number[] | null;
}

function acc(map: Map<string, Acc>, name: string): Acc {
  let a = map.get(name);
  if (!a) {
    a = { allocObjects: 0, allocBytes: 0, liveObjects: 0, liveBytes: 0, temporary: 0, freedObjects: 0, lifetime: new Array(SITE_LIFETIME_BUCKETS).fill(0), intervals: null };
    map.set(name, a);
  }
  return a;
}

/** The upper bound (in events) of the log4 lifetime bucket holding the median. */
function medianLifetime(hist: number[]): number | null {
  const total = hist.reduce((s, v) => s + v, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let b = 0; b < hist.length; b++) {
    seen += hist[b];
    if (seen * 2 >= total) return b === 0 ? 0 : 4 ** b - 1;
  }
  return null;
}

/**
 * The buckets of a histogram of `base`-power buckets (bucket 0 holds
 * [0, 1), bucket b holds [base^(b−1), base^b), the last of `size` is open),
 * from the first non-empty one to the last.
 */
function bucketsOf(hist: readonly number[], base: number, size: number): { from: number; to: number | null; count: number; share: number }[] {
  const total = hist.reduce((s, v) => s + v, 0);
  let first = 0;
  while (first < hist.length && hist[first] === 0) first++;
  let last = hist.length - 1;
  while (last >= first && hist[last] === 0) last--;
  const out = [];
  for (let b = first; b <= last; b++) {
    out.push({ from: b === 0 ? 0 : base ** (b - 1), to: b === size - 1 ? null : base ** b, count: hist[b], share: total > 0 ? hist[b] / total : 0 });
  }
  return out;
}

const eventBuckets = (hist: readonly number[], base: number, size: number): LifetimeEventsBucket[] =>
  bucketsOf(hist, base, size).map((b) => ({ fromEvents: b.from, toEvents: b.to, count: b.count, share: b.share }));

/** Adds `from` into `into`, index by index (the accumulator trims trailing empty buckets). */
function addInto(into: number[], from: readonly number[]): void {
  for (let b = 0; b < from.length; b++) into[b] = (into[b] ?? 0) + from[b];
}

/** How to get cumulative counts from each producer, for the error that says they are missing. */
const CUMULATIVE_HINT: Record<string, string> = {
  jemalloc: ' (jemalloc: MALLOC_CONF=prof_accum:true)',
  'android-heap-dump': ' (a native heap dump lists live allocations only: record a malloc_debug record_allocs trace for churn)',
  pprof: ' (this pprof profile has no alloc_objects sample type)',
};

/** Churn from one trace or snapshot, or from a series of snapshots (in order). */
export function churn(inputs: readonly LoadedInput[], options: ChurnOptions = {}): ChurnReport {
  const bySite = new Map<string, Acc>();
  const traces = inputs.filter((i) => i.trace);
  let source: ChurnReport['source'];
  let durationSeconds: number | null = null;
  let lifetimes: ProcessLifetimes | null = null;
  let intervals: ChurnInterval[] | null = null;
  let sampled = false;
  if (traces.length === inputs.length) {
    source = 'trace';
    let duration = 0;
    const events: number[] = [];
    let ns: number[] | null = null;
    let tracksPointers = false;
    for (const input of inputs) {
      const trace = input.trace!;
      const { firstTimeNs, lastTimeNs } = trace.report;
      if (firstTimeNs !== null && lastTimeNs !== null) duration += (lastTimeNs - firstTimeNs) / 1e9;
      // Size-only records (perf entry probes) never see a free: lifetimes are unknown, not zero.
      if (trace.report.facts.tracksPointers) tracksPointers = true;
      addInto(events, trace.report.lifetimeEvents);
      if (trace.report.lifetimeNs) addInto((ns ??= []), trace.report.lifetimeNs);
      const sites = new SiteIndex(input.profile, options);
      tracePart(trace, 'siteLifetimes');
      const s = trace.sites;
      for (let i = 0; i < s.length; i++) {
        const keys = sites.sampleKeys(i); // sample i is site i
        if (keys === null) continue;
        const a = acc(bySite, keys.length ? sites.names[keys[0]] : '(no stack)');
        a.allocObjects += s.allocObjects[i];
        a.allocBytes += s.allocBytes[i];
        a.liveObjects += s.liveObjects[i];
        a.liveBytes += s.liveBytes[i];
        a.temporary += s.temporary[i];
        a.freedObjects += s.freedObjects[i];
        for (let b = 0; b < SITE_LIFETIME_BUCKETS; b++) a.lifetime[b] += s.lifetimeHistogram[i * SITE_LIFETIME_BUCKETS + b];
      }
    }
    durationSeconds = duration > 0 ? duration : null;
    if (tracksPointers) {
      const timed = ns === null ? null : ns.reduce((t, v) => t + v, 0);
      lifetimes = {
        freedObjects: events.reduce((t, v) => t + v, 0),
        events: eventBuckets(events, 2, LIFETIME_BUCKETS),
        timedObjects: timed,
        ns: ns === null ? null : bucketsOf(ns, 2, LIFETIME_BUCKETS).map((b) => ({ fromNs: b.from, toNs: b.to, count: b.count, share: b.share })),
      };
    }
  } else if (traces.length > 0) {
    throw new Error('churn: give either event traces or snapshots, not both');
  } else {
    const profiles = inputs.map((i) => i.profile);
    for (const p of profiles) {
      if (p.sampleTypeIndex('alloc_objects') < 0) throw missingCumulativeCounts(p.meta.file, p.meta.format);
    }
    source = profiles.length > 1 ? 'series' : 'snapshot';
    const points = profiles.map((p) => churnPoint(p, options));
    intervals = snapshotChurn(points, bySite);
    sampled = points.some((p) => p.sampled === true);
  }
  return churnReport(bySite, { source, durationSeconds, lifetimes, intervals, sampled }, options);
}

/**
 * Churn of snapshots already reduced to their per-site values (see
 * {@link churnPoint}), in order: one point is one snapshot, more are a
 * series. Memory is sites × points numbers; a database can form the points.
 */
export function churnOfPoints(points: readonly ChurnPoint[], options: ChurnOptions = {}): ChurnReport {
  const bySite = new Map<string, Acc>();
  const intervals = snapshotChurn(points, bySite);
  return churnReport(bySite, { source: points.length > 1 ? 'series' : 'snapshot', durationSeconds: null, lifetimes: null, intervals, sampled: points.some((p) => p.sampled === true) }, options);
}

/** The error for a snapshot without cumulative counts, with how its producer records them. */
export function missingCumulativeCounts(file: string, format: string): Error {
  return new Error(`${file}: churn needs cumulative allocation counts, which this dump does not have${CUMULATIVE_HINT[format] ?? ''}`);
}

/** The rows, sorted and limited, with the verdict, from the per-site accumulators. */
function churnReport(
  bySite: Map<string, Acc>,
  facts: Pick<ChurnReport, 'source' | 'durationSeconds' | 'lifetimes' | 'intervals' | 'sampled'>,
  options: ChurnOptions,
): ChurnReport {
  const { source, durationSeconds, lifetimes, intervals, sampled } = facts;
  const traceLifetimes = source === 'trace' && lifetimes !== null;
  const rows: ChurnRow[] = [...bySite.entries()].map(([name, a]) => ({
    name,
    allocObjects: a.allocObjects,
    allocBytes: a.allocBytes,
    liveObjects: a.liveObjects,
    liveBytes: a.liveBytes,
    churnObjects: a.allocObjects - a.liveObjects,
    churnBytes: a.allocBytes - a.liveBytes,
    churnShare: a.allocObjects > 0 ? (a.allocObjects - a.liveObjects) / a.allocObjects : 0,
    temporary: source === 'trace' ? a.temporary : null,
    medianLifetimeEvents: source === 'trace' ? medianLifetime(a.lifetime) : null,
    allocsPerSecond: durationSeconds ? a.allocObjects / durationSeconds : null,
    lifetimes: traceLifetimes ? { freedObjects: a.freedObjects, events: eventBuckets(a.lifetime, 4, SITE_LIFETIME_BUCKETS) } : null,
    intervals: null,
  }));
  rows.sort((a, b) => b.churnObjects - a.churnObjects || b.churnBytes - a.churnBytes || a.name.localeCompare(b.name));
  const rowCount = rows.length;
  const shown = options.limit !== undefined ? rows.slice(0, options.limit) : rows;
  // Per-interval values only for the rows kept: sites × dumps objects add up on long series.
  for (const row of shown) {
    const flat = bySite.get(row.name)!.intervals;
    if (flat !== null) row.intervals = intervalValues(flat);
  }
  return {
    source,
    durationSeconds,
    rows: shown,
    rowCount,
    verdict: churnVerdict(rows, source),
    lifetimes,
    intervals,
    sampled,
  };
}

/** Per-interval values from the flat accumulator (4 numbers per interval). */
function intervalValues(flat: readonly number[]): ChurnIntervalValues[] {
  const out: ChurnIntervalValues[] = [];
  for (let k = 0; k + 3 < flat.length; k += 4) {
    const [allocObjects, allocBytes, retainedObjects, retainedBytes] = [flat[k], flat[k + 1], flat[k + 2], flat[k + 3]];
    out.push({ allocObjects, allocBytes, retainedObjects, retainedBytes, churnObjects: allocObjects - retainedObjects, churnBytes: allocBytes - retainedBytes });
  }
  return out;
}

/**
 * One snapshot reduced to what churn needs (a long series is analyzed
 * point by point, as growth's `growthPoint`).
 */
export interface ChurnPoint {
  /** The dump's file: intervals are named by the dumps that bound them. */
  file: string;
  /** Per site: alloc_objects, alloc_space, inuse_objects, inuse_space. */
  sites: Map<string, [number, number, number, number]>;
  /** The dump was sampled: its values are estimates (see {@link ChurnReport.sampled}). */
  sampled?: boolean;
}

/** Reduces a snapshot with cumulative counts to its per-site values ({@link ChurnPoint}). */
export function churnPoint(p: HeapProfile, options: ChurnOptions = {}): ChurnPoint {
  const sites = new SiteIndex(p, options);
  const [ao, as, io, is] = ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'].map((t) => p.samples.values[p.sampleTypeIndex(t)]);
  const now = new Map<string, [number, number, number, number]>();
  for (let i = 0; i < p.samples.length; i++) {
    const keys = sites.sampleKeys(i);
    if (keys === null) continue;
    const name = keys.length ? sites.names[keys[0]] : '(no stack)';
    let v = now.get(name);
    if (!v) now.set(name, (v = [0, 0, 0, 0]));
    v[0] += ao[i];
    v[1] += as[i];
    v[2] += io ? io[i] : 0;
    v[3] += is ? is[i] : 0;
  }
  return { file: p.meta.file, sites: now, sampled: p.meta.sampling.periodBytes > 1 };
}

/**
 * Series: per interval, allocated (Δ cumulative) and retained (Δ in use),
 * per site and for the process; the first interval runs from the process
 * start (counts zero) to the first dump. A site's totals are the sums over
 * its intervals: allocated = its last cumulative count, live = its last
 * in-use values, so churned = allocated − retained summed.
 *
 * A site missing from a dump (a sampled dump may miss a site none of whose
 * allocations was sampled; a dump without prof_accum drops freed stacks)
 * has nothing in use there and its cumulative counts are taken as unchanged
 * since it was last seen — so a site that comes back is not counted twice.
 */
function snapshotChurn(points: readonly ChurnPoint[], bySite: Map<string, Acc>): ChurnInterval[] {
  // Per site: cumulative allocations when last seen.
  const lastAlloc = new Map<string, [number, number]>();
  const intervals: ChurnInterval[] = [];
  points.forEach((point, k) => {
    const now = point.sites;
    const interval: ChurnInterval = {
      from: k === 0 ? null : points[k - 1].file,
      to: point.file,
      allocObjects: 0,
      allocBytes: 0,
      retainedObjects: 0,
      retainedBytes: 0,
      churnObjects: 0,
      churnBytes: 0,
      liveObjects: 0,
      liveBytes: 0,
    };
    for (const name of now.keys()) acc(bySite, name); // every site seen so far gets this interval
    for (const [name, a] of bySite) {
      const v = now.get(name);
      const before = lastAlloc.get(name) ?? [0, 0];
      const allocObjects = v ? v[0] - before[0] : 0;
      const allocBytes = v ? v[1] - before[1] : 0;
      const [liveObjects, liveBytes] = v ? [v[2], v[3]] : [0, 0];
      const retainedObjects = liveObjects - a.liveObjects;
      const retainedBytes = liveBytes - a.liveBytes;
      if (v) lastAlloc.set(name, [v[0], v[1]]);
      a.intervals ??= new Array<number>(4 * k).fill(0); // a site first seen now: nothing before
      a.intervals.push(allocObjects, allocBytes, retainedObjects, retainedBytes);
      a.allocObjects += allocObjects;
      a.allocBytes += allocBytes;
      a.liveObjects = liveObjects;
      a.liveBytes = liveBytes;
      interval.allocObjects += allocObjects;
      interval.allocBytes += allocBytes;
      interval.retainedObjects += retainedObjects;
      interval.retainedBytes += retainedBytes;
      interval.liveObjects += liveObjects;
      interval.liveBytes += liveBytes;
    }
    interval.churnObjects = interval.allocObjects - interval.retainedObjects;
    interval.churnBytes = interval.allocBytes - interval.retainedBytes;
    intervals.push(interval);
  });
  return intervals;
}

function churnVerdict(rows: ChurnRow[], source: ChurnReport['source']): string {
  const top = rows[0];
  if (!top || top.churnObjects <= 0) return 'no churn: everything allocated is still in use';
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  let text = `${top.name} allocated ${formatCount(top.allocObjects)} ${plural(top.allocObjects, 'block')} (${formatBytes(top.allocBytes)}) and kept ${formatCount(top.liveObjects)} (${pct(top.churnShare)} churned)`;
  if (source === 'trace' && top.temporary !== null && top.allocObjects > 0) text += `; ${pct(top.temporary / top.allocObjects)} were temporary`;
  return text;
}
