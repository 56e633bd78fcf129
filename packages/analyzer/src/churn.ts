/**
 * Churn per call site: how much is allocated versus how much stays.
 *
 * - From an event trace: allocations, what is still live at the end, frees,
 *   heaptrack's "temporary" allocations (freed by the very next allocation
 *   event of the process, no other malloc or free in between), the median
 *   lifetime in events, and allocations per second when timestamps exist.
 * - From a series of snapshots with cumulative counts: per interval, what
 *   was allocated minus what was retained, summed over the intervals.
 * - From one snapshot with cumulative counts: allocated versus in use.
 * Sites with the most freed (churned) objects come first.
 */
import type { HeapProfile } from '@heapscope/parser';
import type { LoadedInput } from './load.js';
import { SITE_LIFETIME_BUCKETS } from './replay/replay.js';
import { SiteIndex, type SiteOptions } from './sites.js';
import { formatBytes, formatCount } from './units.js';

export interface ChurnOptions extends SiteOptions {
  limit?: number;
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
}

export interface ChurnReport {
  /** `trace`, `series` (snapshots with cumulative counts) or `snapshot`. */
  source: 'trace' | 'series' | 'snapshot';
  /** Trace duration in seconds, when timestamps exist. */
  durationSeconds: number | null;
  rows: ChurnRow[];
  rowCount: number;
  verdict: string;
}

interface Acc {
  allocObjects: number;
  allocBytes: number;
  liveObjects: number;
  liveBytes: number;
  temporary: number;
  lifetime: number[];
}

function acc(map: Map<string, Acc>, name: string): Acc {
  let a = map.get(name);
  if (!a) {
    a = { allocObjects: 0, allocBytes: 0, liveObjects: 0, liveBytes: 0, temporary: 0, lifetime: new Array(SITE_LIFETIME_BUCKETS).fill(0) };
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
  if (traces.length === inputs.length) {
    source = 'trace';
    let duration = 0;
    for (const input of inputs) {
      const trace = input.trace!;
      const { firstTimeNs, lastTimeNs } = trace.report;
      if (firstTimeNs !== null && lastTimeNs !== null) duration += (lastTimeNs - firstTimeNs) / 1e9;
      const sites = new SiteIndex(input.profile, options);
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
        for (let b = 0; b < SITE_LIFETIME_BUCKETS; b++) a.lifetime[b] += s.lifetimeHistogram[i * SITE_LIFETIME_BUCKETS + b];
      }
    }
    durationSeconds = duration > 0 ? duration : null;
  } else if (traces.length > 0) {
    throw new Error('churn: give either event traces or snapshots, not both');
  } else {
    const profiles = inputs.map((i) => i.profile);
    for (const p of profiles) {
      if (p.sampleTypeIndex('alloc_objects') < 0) {
        throw new Error(`${p.meta.file}: churn needs cumulative allocation counts, which this dump does not have${CUMULATIVE_HINT[p.meta.format] ?? ''}`);
      }
    }
    source = profiles.length > 1 ? 'series' : 'snapshot';
    snapshotChurn(profiles, options, bySite);
  }
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
  }));
  rows.sort((a, b) => b.churnObjects - a.churnObjects || b.churnBytes - a.churnBytes || a.name.localeCompare(b.name));
  const rowCount = rows.length;
  return {
    source,
    durationSeconds,
    rows: options.limit !== undefined ? rows.slice(0, options.limit) : rows,
    rowCount,
    verdict: churnVerdict(rows, source),
  };
}

/**
 * Series: per interval, allocated (Δ alloc) minus retained (Δ in use),
 * summed; the first snapshot contributes its own alloc − in-use. This equals
 * last alloc − last in use for sites present throughout, and stays right for
 * sites that appear or vanish between snapshots.
 */
function snapshotChurn(profiles: HeapProfile[], options: ChurnOptions, bySite: Map<string, Acc>): void {
  const previous = new Map<string, Acc>();
  for (const p of profiles) {
    const sites = new SiteIndex(p, options);
    const [ao, as, io, is] = ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'].map((t) => p.samples.values[p.sampleTypeIndex(t)]);
    const now = new Map<string, Acc>();
    for (let i = 0; i < p.samples.length; i++) {
      const keys = sites.sampleKeys(i);
      if (keys === null) continue;
      const a = acc(now, keys.length ? sites.names[keys[0]] : '(no stack)');
      a.allocObjects += ao[i];
      a.allocBytes += as[i];
      a.liveObjects += io ? io[i] : 0;
      a.liveBytes += is ? is[i] : 0;
    }
    for (const [name, a] of now) {
      const before = previous.get(name);
      const total = acc(bySite, name);
      // Allocated in this interval, retained as the last snapshot says.
      total.allocObjects += a.allocObjects - (before?.allocObjects ?? 0);
      total.allocBytes += a.allocBytes - (before?.allocBytes ?? 0);
      total.liveObjects = a.liveObjects;
      total.liveBytes = a.liveBytes;
    }
    for (const [name] of previous) if (!now.has(name)) {
      const total = acc(bySite, name);
      total.liveObjects = 0;
      total.liveBytes = 0;
    }
    previous.clear();
    for (const [name, a] of now) previous.set(name, a);
  }
}

function churnVerdict(rows: ChurnRow[], source: ChurnReport['source']): string {
  const top = rows[0];
  if (!top || top.churnObjects <= 0) return 'no churn: everything allocated is still in use';
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  let text = `${top.name} allocated ${formatCount(top.allocObjects)} blocks (${formatBytes(top.allocBytes)}) and kept ${formatCount(top.liveObjects)} (${pct(top.churnShare)} churned)`;
  if (source === 'trace' && top.temporary !== null && top.allocObjects > 0) text += `; ${pct(top.temporary / top.allocObjects)} were temporary`;
  return text;
}
