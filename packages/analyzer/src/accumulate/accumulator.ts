/**
 * The event accumulator: what the analyses learn from an allocation trace,
 * in one streaming pass (docs/design.md#event-traces). It is the trace
 * importers' usual sink.
 *
 * Memory grows with the live set and the number of distinct (stack, thread)
 * sites, never with the trace's length. The pass yields:
 * - the final profile: `alloc_*` = everything allocated, `inuse_*` = live at
 *   the end, per (stack, thread) — the site table (site-table.ts);
 * - the peak: the largest live byte count, the event and time where it was
 *   reached, and the per-site live values at that moment — the peak table
 *   (peak-table.ts);
 * - exact sizes per site — the size table (size-table.ts);
 * - live-set snapshots at evenly spaced events, for growth analysis
 *   (window-snapshots.ts);
 * - lifetime histograms in events and in ns (lifetime-buckets.ts),
 *   heaptrack's "temporary" allocations (freed by the very next allocation
 *   event of the process), counts per operation.
 * This class holds the live blocks (block-table.ts), the live set of
 * pointers to them (live-set.ts) and the trace-wide totals, and sends each
 * event to the tables it changes. A trace that names blocks itself
 * (`BlockSink`: heaptrack's allocation infos) skips the live set, and its
 * allocation kinds keep their site and size row: the same tables, reached
 * by index instead of by hash.
 */
import {
  ALLOC_OBJECTS,
  ALLOC_OP_NAMES,
  ALLOC_SPACE,
  INUSE_OBJECTS,
  INUSE_SPACE,
  NO_TIME,
  WarningCollector,
  WARNING_LOCATIONS_KEPT,
  AllocOp,
  counted,
  type HeapProfile,
  type ProfileBuilder,
  type BlockSink,
  type TraceFacts,
  type TraceSink,
  holding,
  int32Column,
  type WarningLocation,
} from '@heapscope/parser';
import { BlockTable } from './block-table.js';
import { LiveSet } from './live-set.js';
import { LIFETIME_BUCKETS, log2Bucket } from './lifetime-buckets.js';
import { SiteTable, type SiteColumns } from './site-table.js';
import { SizeTable, type SiteSizeRows } from './size-table.js';
import { PeakTable } from './peak-table.js';
import { WindowSnapshots, type RawSnapshot } from './window-snapshots.js';

export { LIFETIME_BUCKETS, SITE_LIFETIME_BUCKETS } from './lifetime-buckets.js';
export type { SiteColumns } from './site-table.js';
export type { SiteSizeRows } from './size-table.js';

/**
 * Parts of an accumulation beyond the final profile, the report and the
 * snapshots, each with work of its own per event, that a command may go
 * without:
 * - `siteLifetimes`: per site, the blocks freed, their lifetimes (sum and
 *   histogram) and temporaries (the freed, lifetime and temporary columns of
 *   `sites`: churn);
 * - `sizes`: exact sizes per site (`sizes`: sizes, waste);
 * - `peakSites`: the live values per site at the peak (`peakProfile`: peak).
 * The report (the peak's totals, the trace's lifetime histograms and
 * temporaries) is always whole.
 */
export type TracePart = 'siteLifetimes' | 'sizes' | 'peakSites';

/** Every part: what an accumulation computes unless told otherwise. */
export const ALL_TRACE_PARTS: readonly TracePart[] = ['siteLifetimes', 'sizes', 'peakSites'];

/** Options of an accumulation. */
export interface AccumulatorOptions {
  /** Number of evenly spaced live-set snapshots wanted (0: none). */
  windows?: number;
  /** The parts wanted (default {@link ALL_TRACE_PARTS}); the columns of the others are left empty (zeros), see {@link tracePart}. */
  parts?: readonly TracePart[];
}

/** A live-set snapshot. */
export interface TraceSnapshot {
  /** Events accumulated when it was taken. */
  event: number;
  /** Time of the last event, or null without timestamps. */
  timeNs: number | null;
  /** The live set then, as a profile (`inuse_*` only meaningful). */
  profile: HeapProfile;
  /** Allocated from the trace's start to this snapshot: bytes and blocks (memory over time's allocation rate). */
  allocatedBytes: number;
  allocatedObjects: number;
  /** Temporary allocations from the trace's start to this snapshot. */
  temporary: number;
}

/** Everything the accumulator learned that is JSON (`info`'s `trace`). Profiles and columns are separate fields of {@link AccumulatedTrace}. */
export interface TraceReport {
  facts: TraceFacts;
  /** Allocation, free and realloc events accumulated (thread exits not included). */
  events: number;
  /** Counts per operation: malloc, calloc, memalign, realloc, other, free, freeNull, untracked, threadDone. */
  ops: Record<string, number>;
  liveBytes: number;
  liveObjects: number;
  peak: { bytes: number; objects: number; event: number; timeNs: number | null };
  /** Blocks freed by the very next allocation event. */
  temporary: number;
  /** Frees of pointers that were not live (by free, or by realloc of its old pointer). */
  unknownFrees: number;
  /** First and last timestamps, when the trace has them. */
  firstTimeNs: number | null;
  lastTimeNs: number | null;
  /** Lifetime histogram of freed blocks, in events (log2 buckets). */
  lifetimeEvents: number[];
  /** Lifetime histogram of freed blocks, in ns (log2 buckets), when timestamps exist. */
  lifetimeNs: number[] | null;
}

/** What {@link EventAccumulator.finish} returns: a trace, accumulated. */
export interface AccumulatedTrace {
  /** `alloc_*` = allocated over the trace, `inuse_*` = live at the end. */
  profile: HeapProfile;
  /** Live values per site at the peak (same tables as `profile`). */
  peakProfile: HeapProfile;
  snapshots: TraceSnapshot[];
  report: TraceReport;
  sites: SiteColumns;
  sizes: SiteSizeRows;
  /** The parts accumulated ({@link TracePart}): the others' columns are zeros, not values. */
  parts: readonly TracePart[];
}

/**
 * Checks that `trace` was accumulated with `part` before a reader of that
 * part uses it: a command that reads a part it did not ask for fails here
 * instead of reporting zeros.
 */
export function tracePart(trace: AccumulatedTrace, part: TracePart): void {
  if (!trace.parts.includes(part)) throw new Error(`internal error: the trace was accumulated without its ${part} (the command must ask for them)`);
}

/**
 * A warning about events that do not fit the trace (a free of a pointer
 * never allocated): counted, with where its first few events are when the
 * importer said (`TraceSink.locator`).
 */
class EventWarning {
  count = 0;
  private readonly locations: WarningLocation[] = [];

  constructor(private readonly message: string) {}

  /** One more event; `where` says where it is. */
  see(where: (() => WarningLocation) | undefined): void {
    if (this.count++ < WARNING_LOCATIONS_KEPT && where) this.locations.push(where());
  }

  /** Adds the warning to `warnings`, if it was seen. */
  report(warnings: WarningCollector): void {
    if (this.count === 0) return;
    if (this.locations.length === 0) warnings.add(this.message, undefined, this.count);
    this.locations.forEach((location, i) => warnings.add(this.message, location, i === 0 ? this.count : 0));
  }
}

/** Integers per allocation kind in `EventAccumulator.kinds`: operation, site, size row (and one unused, for alignment). */
const KIND_STRIDE = 4;

/** Weight of profiler samples that are not allocations (perf CPU samples). */
export const SAMPLES = { type: 'samples', unit: 'count' } as const;

/** A TraceSink (and BlockSink) that accumulates events; call `finish()` after the importer is done. */
export class EventAccumulator implements TraceSink, BlockSink {
  private readonly live = new LiveSet();
  private readonly blocks = new BlockTable();
  /**
   * Allocation kinds (BlockSink): their size; KIND_STRIDE integers each:
   * operation, and site and size row once allocated at (-1 before); then
   * their stack and thread, read once. Integers in an Int32Array: they
   * index other arrays without a conversion.
   */
  private kindSize = new Float64Array(4096);
  private kinds = new Int32Array(4096 * KIND_STRIDE);
  private kindCount = 0;
  private readonly kindStack = int32Column(4096);
  private readonly kindThread = int32Column(4096);
  private readonly warnings = new WarningCollector();
  /** Where the importer is, for the warnings below (when it says). */
  private where: (() => WarningLocation) | undefined;
  private readonly alreadyLive = new EventWarning(
    'allocations of a pointer that was already live: its earlier block is taken as freed (free events missing, or two traces appended?)',
  );
  private readonly unknownFree = new EventWarning('frees of pointers not allocated in the trace (allocated before recording started?)');
  private readonly unknownRealloc = new EventWarning(
    'reallocs of pointers not allocated in the trace (allocated before recording started?): only the new block counts',
  );
  private readonly freedBeforeBorn = new EventWarning(
    'blocks freed at a time before their allocation (timestamps out of order): their lifetimes in ns are left out',
  );
  private readonly sites = new SiteTable(() => this.peak.addSite());
  private readonly peak = new PeakTable(this.sites.liveBytes, this.sites.liveObjects);
  private readonly sizes = new SizeTable();
  private readonly windows: WindowSnapshots;
  /** Windows wanted (0: no snapshots to take). */
  private readonly windowCount: number;
  // The site table's hot columns, held here: one load less per event.
  private readonly allocObjects = this.sites.allocObjects;
  private readonly allocBytes = this.sites.allocBytes;
  private readonly siteLiveObjects = this.sites.liveObjects;
  private readonly siteLiveBytes = this.sites.liveBytes;

  // totals
  private events = 0;
  private liveBytes = 0;
  private liveCount = 0;
  private temporary = 0;
  private sampleWeight = 0;
  /** Allocations per AllocOp (a typed array: a string-keyed increment per event is slow). */
  private readonly opCounts = new Float64Array(ALLOC_OP_NAMES.length);
  private readonly ops = { malloc: 0, calloc: 0, memalign: 0, realloc: 0, other: 0, free: 0, freeNull: 0, untracked: 0, threadDone: 0 };
  private firstTime = NO_TIME;
  private lastTime = NO_TIME;
  private readonly lifetimeEvents = new Array<number>(LIFETIME_BUCKETS).fill(0);
  private readonly lifetimeNs = new Array<number>(LIFETIME_BUCKETS).fill(0);
  /** heaptrack's temporary: the block the last event allocated (-1: that event was no allocation). */
  private lastAlloc = -1;
  /** The parts accumulated, and a flag for each. */
  private readonly parts: readonly TracePart[];
  private readonly siteLifetimes: boolean;
  private readonly exactSizes: boolean;
  private readonly peakSites: boolean;

  constructor(
    private readonly builder: ProfileBuilder,
    options: AccumulatorOptions = {},
  ) {
    this.windowCount = options.windows ?? 0;
    this.windows = new WindowSnapshots(this.windowCount);
    this.parts = ALL_TRACE_PARTS.filter((p) => (options.parts ?? ALL_TRACE_PARTS).includes(p));
    this.siteLifetimes = this.parts.includes('siteLifetimes');
    this.exactSizes = this.parts.includes('sizes');
    this.peakSites = this.parts.includes('peakSites');
  }

  /**
   * Takes an event's time. The trace's span is from its earliest to its
   * latest time, and `lastTime` (the time of snapshots and of the peak) is
   * the latest so far: a time earlier than one before it (an out-of-order
   * trace, which its importer reports) never moves them backwards.
   */
  private time(timeNs: number): void {
    if (timeNs === NO_TIME) return;
    if (this.firstTime === NO_TIME || timeNs < this.firstTime) this.firstTime = timeNs;
    if (timeNs > this.lastTime) this.lastTime = timeNs;
  }

  /** Takes the importer's `where` (see {@link TraceSink.locator}). */
  locator(where: () => WarningLocation): void {
    this.where = where;
  }

  /** Records a change of live values at a site and tracks the peak. */
  private changeLive(site: number, bytes: number, objects: number): void {
    this.siteLiveBytes.data[site] += bytes;
    this.siteLiveObjects.data[site] += objects;
    this.liveBytes += bytes;
    this.liveCount += objects;
    if (this.peakSites) this.peak.change(site);
    // The event being accumulated counts: it reached the peak.
    if (this.liveBytes > this.peak.bytes) this.peak.reach(this.liveBytes, this.liveCount, this.events + 1, this.lastTime);
  }

  /**
   * A block of `sizeBytes` is born at `site`, its (site, size) in the size
   * table's `sizeRow` (-1 without exact sizes); returns its id.
   */
  private born(sizeBytes: number, site: number, sizeRow: number, timeNs: number): number {
    const block = this.blocks.add(sizeBytes, site, this.events, timeNs);
    this.allocObjects.data[site]++;
    this.allocBytes.data[site] += sizeBytes;
    if (sizeRow >= 0) this.sizes.addAt(sizeRow);
    this.changeLive(site, sizeBytes, 1);
    this.lastAlloc = block;
    return block;
  }

  /** A block is born at pointer `ptr`. */
  private bornAt(ptrHi: number, ptrLo: number, sizeBytes: number, site: number, timeNs: number): void {
    let slot = this.live.claim(ptrHi, ptrLo);
    if (slot < 0) {
      // The block was freed without a record of it (events lost or dropped).
      this.alreadyLive.see(this.where);
      slot = -1 - slot;
      this.kill(this.live.block(slot), timeNs, false);
    }
    this.live.setBlock(slot, this.born(sizeBytes, site, this.sizeRow(site, sizeBytes), timeNs));
  }

  /** The size table's row of (`site`, `sizeBytes`), or -1 without exact sizes. */
  private sizeRow(site: number, sizeBytes: number): number {
    return this.exactSizes ? this.sizes.row(site, sizeBytes) : -1;
  }

  /** Frees `block`; `temporary` when the event before was its allocation. */
  private kill(block: number, timeNs: number, temporary: boolean): void {
    const blocks = this.blocks;
    const site = blocks.site(block);
    const size = blocks.sizeBytes(block);
    const lifetime = this.events - blocks.bornEvent(block);
    if (this.siteLifetimes) this.sites.freed(site, lifetime, temporary);
    this.lifetimeEvents[log2Bucket(lifetime)]++;
    const born = blocks.bornTimeNs(block);
    if (timeNs !== NO_TIME && born !== NO_TIME) {
      // A free timed before its allocation has no lifetime to count.
      if (timeNs >= born) this.lifetimeNs[log2Bucket(timeNs - born)]++;
      else this.freedBeforeBorn.see(this.where);
    }
    if (temporary) this.temporary++;
    blocks.remove(block);
    this.changeLive(site, -size, -1);
  }

  /** The block at `ptr` dies (when there is one); `unknown` counts it when there is none. */
  private diedAt(ptrHi: number, ptrLo: number, timeNs: number, unknown: EventWarning): void {
    const slot = this.live.find(ptrHi, ptrLo);
    if (slot < 0) {
      unknown.see(this.where);
      this.lastAlloc = -1;
    } else {
      const block = this.live.block(slot);
      this.live.removeAt(slot);
      this.died(block, timeNs);
    }
  }

  /** `block` dies. */
  private died(block: number, timeNs: number): void {
    this.kill(block, timeNs, block === this.lastAlloc);
    this.lastAlloc = -1;
  }

  private tick(): void {
    this.events++;
    if (this.windowCount > 0 && this.windows.due(this.events)) this.windows.take(this.liveNow());
  }

  /** The live columns now, as a snapshot. */
  private liveNow(): RawSnapshot {
    const s = this.sites;
    // Summed here, not counted per event: a snapshot already costs a pass over the sites.
    let allocatedBytes = 0;
    let allocatedObjects = 0;
    for (let i = 0; i < s.length; i++) {
      allocatedBytes += this.allocBytes.data[i];
      allocatedObjects += this.allocObjects.data[i];
    }
    return { event: this.events, timeNs: this.lastTime, bytes: s.liveBytes.finish(), objects: s.liveObjects.finish(), allocatedBytes, allocatedObjects, temporary: this.temporary };
  }

  alloc(ptrHi: number, ptrLo: number, sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[op]++;
    this.bornAt(ptrHi, ptrLo, sizeBytes, this.sites.siteOf(stack, thread), timeNs);
    this.tick();
  }

  free(ptrHi: number, ptrLo: number, _stack: number, _thread: number, timeNs: number): void {
    this.time(timeNs);
    if (ptrHi === 0 && ptrLo === 0) {
      this.ops.freeNull++; // free(NULL): a no-op, and not an event for "temporary"
      return;
    }
    this.ops.free++;
    this.diedAt(ptrHi, ptrLo, timeNs, this.unknownFree);
    this.tick();
  }

  realloc(oldHi: number, oldLo: number, newHi: number, newLo: number, sizeBytes: number, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[AllocOp.realloc]++;
    this.diedAt(oldHi, oldLo, timeNs, this.unknownRealloc);
    this.bornAt(newHi, newLo, sizeBytes, this.sites.siteOf(stack, thread), timeNs);
    this.tick();
  }

  allocationKind(sizeBytes: number, op: AllocOp, stack: number, thread: number): void {
    this.kindSize = holding(this.kindSize, this.kindCount);
    this.kinds = holding(this.kinds, (this.kindCount + 1) * KIND_STRIDE - 1);
    this.kindSize[this.kindCount] = sizeBytes;
    const k = this.kindCount++ * KIND_STRIDE;
    this.kinds[k] = op;
    this.kinds[k + 1] = -1;
    this.kinds[k + 2] = -1;
    this.kindStack.push(stack);
    this.kindThread.push(thread);
  }

  allocBlock(kind: number, timeNs: number): number {
    this.time(timeNs);
    const kinds = this.kinds;
    const k = kind * KIND_STRIDE;
    this.opCounts[kinds[k]]++;
    const size = this.kindSize[kind];
    if (kinds[k + 1] < 0) {
      // Looked up at the kind's first allocation, as a pointer's would be: sites and sizes keep the order they are first met in.
      const site = this.sites.siteOf(this.kindStack.data[kind], this.kindThread.data[kind]);
      kinds[k + 1] = site;
      kinds[k + 2] = this.sizeRow(site, size);
    }
    const block = this.born(size, kinds[k + 1], kinds[k + 2], timeNs);
    this.tick();
    return block;
  }

  freeBlock(block: number, _thread: number, timeNs: number): void {
    this.time(timeNs);
    this.ops.free++;
    this.died(block, timeNs);
    this.tick();
  }

  allocUntracked(sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[op]++;
    this.ops.untracked++;
    const site = this.sites.siteOf(stack, thread);
    this.allocObjects.data[site]++;
    this.allocBytes.data[site] += sizeBytes;
    if (this.exactSizes) this.sizes.add(site, sizeBytes);
    this.lastAlloc = -1;
    this.tick();
  }

  sample(stack: number, thread: number, weight: number, timeNs: number): void {
    this.time(timeNs);
    this.sites.samples.data[this.sites.siteOf(stack, thread)] += weight;
    this.sampleWeight += weight;
  }

  threadDone(_thread: number, timeNs: number): void {
    this.time(timeNs);
    this.ops.threadDone++;
  }

  /** Ends the accumulation: writes the samples into the builder and builds the reports. */
  finish(facts: TraceFacts): AccumulatedTrace {
    ALLOC_OP_NAMES.forEach((name, op) => (this.ops[name] = this.opCounts[op]));
    for (const w of [this.alreadyLive, this.unknownFree, this.unknownRealloc, this.freedBeforeBorn]) w.report(this.warnings);
    if (this.ops.untracked > 0 && facts.tracksPointers) {
      this.warnings.add(`${counted(this.ops.untracked, 'allocation')} without a returned pointer count as allocated, never as live`);
    }
    const profile = this.finalProfile(facts);
    const n = this.sites.length;
    // The live set as a profile of the same tables: the peak's, and each snapshot's.
    const withLive = (bytes: Float64Array, objects: Float64Array): HeapProfile =>
      profile.with({
        sampleTypes: [INUSE_OBJECTS, INUSE_SPACE],
        defaultSampleType: INUSE_SPACE.type,
        samples: { ...profile.samples, values: [padTo(objects, n), padTo(bytes, n)] },
      });
    const timeOrNull = (t: number) => (t === NO_TIME ? null : t);
    const peak = this.peak;
    const report: TraceReport = {
      facts,
      events: this.events,
      ops: { ...this.ops },
      liveBytes: this.liveBytes,
      liveObjects: this.liveCount,
      peak: { bytes: peak.bytes, objects: peak.objects, event: peak.event, timeNs: timeOrNull(peak.timeNs) },
      temporary: this.temporary,
      unknownFrees: this.unknownFree.count + this.unknownRealloc.count,
      firstTimeNs: timeOrNull(this.firstTime),
      lastTimeNs: timeOrNull(this.lastTime),
      lifetimeEvents: trimZeros(this.lifetimeEvents),
      lifetimeNs: facts.hasTimestamps ? trimZeros(this.lifetimeNs) : null,
    };
    const snapshots = this.windows.even(this.events, () => this.liveNow()).map((s) => ({
      event: s.event,
      timeNs: timeOrNull(s.timeNs),
      profile: withLive(s.bytes, s.objects),
      allocatedBytes: s.allocatedBytes,
      allocatedObjects: s.allocatedObjects,
      temporary: s.temporary,
    }));
    const atPeak = this.peak.finish();
    return {
      profile,
      peakProfile: withLive(atPeak.bytes, atPeak.objects),
      snapshots,
      report,
      sites: this.sites.finish(),
      sizes: this.sizes.finish(),
      parts: this.parts,
    };
  }

  /**
   * The final profile, one sample per site: the four heap sample types, less
   * the live ones when pointers were not tracked, plus `samples` when the
   * trace had profiler samples.
   */
  private finalProfile(facts: TraceFacts): HeapProfile {
    const s = this.sites;
    const values = new Float64Array(4);
    const b = this.builder;
    for (let i = 0; i < s.length; i++) {
      values[0] = s.allocObjects.data[i];
      values[1] = s.allocBytes.data[i];
      values[2] = s.liveObjects.data[i];
      values[3] = s.liveBytes.data[i];
      b.addSample(s.stack.data[i], s.thread.data[i], values);
    }
    b.meta.warnings = [...b.meta.warnings, ...this.warnings.list()];
    let profile = b.finish();
    if (!facts.tracksPointers) {
      // Size-only records: what is live is unknown, not zero.
      profile = profile.with({
        sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE],
        defaultSampleType: ALLOC_SPACE.type,
        samples: { ...profile.samples, values: profile.samples.values.slice(0, 2) },
      });
    }
    if (this.sampleWeight > 0) {
      // Profiler samples that are not allocations (perf CPU samples).
      const samples = s.samples.finish();
      const allocs = this.ops.untracked + this.ops.malloc + this.ops.calloc + this.ops.memalign + this.ops.realloc + this.ops.other;
      profile = profile.with({
        sampleTypes: allocs > 0 ? [...profile.sampleTypes, SAMPLES] : [SAMPLES],
        defaultSampleType: allocs > 0 ? profile.defaultSampleType : SAMPLES.type,
        samples: { ...profile.samples, values: allocs > 0 ? [...profile.samples.values, samples] : [samples] },
      });
    }
    return profile;
  }
}

function trimZeros(values: number[]): number[] {
  let end = values.length;
  while (end > 0 && values[end - 1] === 0) end--;
  return values.slice(0, end);
}

/** `values`, or an exact-length copy: the peak's columns, and a snapshot's taken before later sites existed, get zeros for those. */
function padTo(values: Float64Array, n: number): Float64Array {
  if (values.length === n) return values;
  const out = new Float64Array(n);
  out.set(values.subarray(0, n));
  return out;
}
