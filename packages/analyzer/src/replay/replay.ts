/**
 * The streaming replay of an allocation trace (docs/design.md#event-traces).
 *
 * One pass over the events keeps only the live set and per-site aggregates —
 * memory grows with the live set and the number of distinct (stack, thread)
 * sites, never with the trace's length — and yields:
 * - the final profile: `alloc_*` = everything allocated, `inuse_*` = live at
 *   the end, per (stack, thread);
 * - the peak: the largest live byte count, the event and time where it was
 *   reached, and the per-site live values at that moment (exact: deltas since
 *   the last peak are folded in whenever a new peak is reached);
 * - live-set snapshots at evenly spaced events, for growth analysis;
 * - exact size histograms (whole trace and per site), lifetime histograms in
 *   events and in ns, heaptrack's "temporary" allocations (freed by the very
 *   next allocation event of the process), counts per operation.
 */
import {
  ALLOC_OBJECTS,
  ALLOC_OP_NAMES,
  ALLOC_SPACE,
  INUSE_OBJECTS,
  INUSE_SPACE,
  NO_TIME,
  PairIndex,
  WarningCollector,
  float64Column,
  int32Column,
  AllocOp,
  type HeapProfile,
  type ProfileBuilder,
  type TraceFacts,
  type TraceSink,
} from '@heapscope/parser';
import { LiveSet } from './live-set.js';

/** Options of a replay. */
export interface ReplayOptions {
  /** Number of evenly spaced live-set snapshots wanted (0: none). */
  windows?: number;
}

/** Sizes below this get their id from a table instead of a Map. */
const SMALL_SIZES = 1 << 16;

/** Lifetime histograms use log2 buckets: bucket 0 holds 0, bucket b holds [2^(b-1), 2^b). */
export const LIFETIME_BUCKETS = 64;
/** Per-site lifetime histograms use log4 buckets of events: 0, [1,4), [4,16), … */
export const SITE_LIFETIME_BUCKETS = 16;

/** Live-set snapshots kept per window wanted, at most (see `snapshot`). */
const SNAPSHOTS_PER_WINDOW = 8;

/** A live-set snapshot. */
export interface TraceSnapshot {
  /** Events replayed when it was taken. */
  event: number;
  /** Time of the last event, or null without timestamps. */
  timeNs: number | null;
  /** The live set then, as a profile (`inuse_*` only meaningful). */
  profile: HeapProfile;
}

/** Per-site aggregates, as columns indexed by site id. */
export interface SiteColumns {
  readonly length: number;
  readonly stack: Int32Array;
  /** Thread index, -1 when the trace has no threads. */
  readonly thread: Int32Array;
  readonly allocObjects: Float64Array;
  readonly allocBytes: Float64Array;
  readonly liveObjects: Float64Array;
  readonly liveBytes: Float64Array;
  readonly freedObjects: Float64Array;
  /** Sum of lifetimes (events) of freed blocks. */
  readonly lifetimeEvents: Float64Array;
  /** Allocations freed by the very next allocation event (heaptrack's "temporary"). */
  readonly temporary: Float64Array;
  /** Lifetime histogram per site, `SITE_LIFETIME_BUCKETS` per site (log4 of events). */
  readonly lifetimeHistogram: Uint32Array;
}

/** Exact sizes: `(site, size) → count` rows. */
export interface SiteSizeRows {
  readonly length: number;
  readonly site: Int32Array;
  readonly sizeBytes: Float64Array;
  readonly count: Float64Array;
}

/** Everything a replay learned. JSON-unfriendly parts (profiles, columns) are separate fields. */
export interface TraceReport {
  facts: TraceFacts;
  /** Allocation, free and realloc events replayed (thread exits not included). */
  events: number;
  /** Counts per operation: malloc, calloc, memalign, realloc, other, free, freeNull, untracked, threadDone. */
  ops: Record<string, number>;
  liveBytes: number;
  liveObjects: number;
  peak: { bytes: number; objects: number; event: number; timeNs: number | null };
  /** Blocks freed by the very next allocation event. */
  temporary: number;
  /** Frees of pointers that were not live. */
  unknownFrees: number;
  /** First and last timestamps, when the trace has them. */
  firstTimeNs: number | null;
  lastTimeNs: number | null;
  /** Lifetime histogram of freed blocks, in events (log2 buckets). */
  lifetimeEvents: number[];
  /** Lifetime histogram of freed blocks, in ns (log2 buckets), when timestamps exist. */
  lifetimeNs: number[] | null;
}

/** What `Replay.finish()` returns. */
export interface ReplayResult {
  /** `alloc_*` = allocated over the trace, `inuse_*` = live at the end. */
  profile: HeapProfile;
  /** Live values per site at the peak (same tables as `profile`). */
  peakProfile: HeapProfile;
  snapshots: TraceSnapshot[];
  report: TraceReport;
  sites: SiteColumns;
  sizes: SiteSizeRows;
}

/** Weight of profiler samples that are not allocations (perf CPU samples). */
export const SAMPLES = { type: 'samples', unit: 'count' } as const;

function log2Bucket(v: number): number {
  if (v < 1) return 0;
  // floor(log2(v)) + 1 = the bit length of floor(v); clz32 is exact below 2^32.
  const b = v < 0x100000000 ? 32 - Math.clz32(v) : Math.floor(Math.log2(v)) + 1;
  return b < LIFETIME_BUCKETS ? b : LIFETIME_BUCKETS - 1;
}

function log4Bucket(v: number): number {
  if (v < 1) return 0;
  const b = ((v < 0x100000000 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v))) >> 1) + 1;
  return b < SITE_LIFETIME_BUCKETS ? b : SITE_LIFETIME_BUCKETS - 1;
}

/** A TraceSink that replays events; call `finish()` after the importer is done. */
export class Replay implements TraceSink {
  private readonly live = new LiveSet();
  private readonly warnings = new WarningCollector();

  // sites
  private readonly siteIndex = new PairIndex(4096);
  private readonly siteStack = int32Column(4096);
  private readonly siteThread = int32Column(4096);
  private readonly allocObjects = float64Column(4096);
  private readonly allocBytes = float64Column(4096);
  private readonly liveObjects = float64Column(4096);
  private readonly liveBytesCol = float64Column(4096);
  private readonly freedObjects = float64Column(4096);
  private readonly lifetimeSum = float64Column(4096);
  private readonly temporaryCol = float64Column(4096);
  private readonly samplesCol = float64Column(4096);
  private sampleWeight = 0;
  private siteHistogram = new Uint32Array(4096 * SITE_LIFETIME_BUCKETS);

  // sizes
  private readonly sizeIds = new Map<number, number>();
  /** Size id + 1 of sizes below SMALL_SIZES (0: not seen). */
  private readonly smallSizeIds = new Int32Array(SMALL_SIZES);
  private readonly sizeValues: number[] = [];
  private readonly siteSizeIndex = new PairIndex(4096);
  private readonly siteSizeSite = int32Column(4096);
  private readonly siteSizeSize = int32Column(4096);
  private readonly siteSizeCount = float64Column(4096);

  // peak: per-site values at the last peak, plus deltas since then
  private readonly peakBytesCol = float64Column(4096);
  private readonly peakObjectsCol = float64Column(4096);
  private readonly deltaBytes = float64Column(4096);
  private readonly deltaObjects = float64Column(4096);
  private readonly touched = int32Column(1024);
  private readonly touchedFlag = new GrowableFlags();

  // totals
  private events = 0;
  private liveBytes = 0;
  private liveCount = 0;
  private peakBytes = 0;
  private peakObjects = 0;
  private peakEvent = 0;
  private peakTime = NO_TIME;
  private temporary = 0;
  private unknownFrees = 0;
  /** Frees timed before their block's allocation (timestamps out of order). */
  private freedBeforeBorn = 0;
  /** Allocations per AllocOp (a typed array: a string-keyed increment per event is slow). */
  private readonly opCounts = new Float64Array(ALLOC_OP_NAMES.length);
  private readonly ops = { malloc: 0, calloc: 0, memalign: 0, realloc: 0, other: 0, free: 0, freeNull: 0, untracked: 0, threadDone: 0 };
  private firstTime = NO_TIME;
  private lastTime = NO_TIME;
  private readonly lifetimeEvents = new Array<number>(LIFETIME_BUCKETS).fill(0);
  private readonly lifetimeNs = new Array<number>(LIFETIME_BUCKETS).fill(0);
  // heaptrack's temporary: the last event was an allocation of this pointer
  private lastAllocHi = -1;
  private lastAllocLo = -1;

  // snapshots
  private readonly windows: number;
  private snapshotEvery: number;
  private readonly snapshots: { event: number; timeNs: number; bytes: Float64Array; objects: Float64Array }[] = [];

  constructor(
    private readonly builder: ProfileBuilder,
    options: ReplayOptions = {},
  ) {
    this.windows = options.windows ?? 0;
    this.snapshotEvery = 1;
  }

  private lastSiteStack = -2;
  private lastSiteThread = -2;
  private lastSite = -1;

  private siteOf(stack: number, thread: number): number {
    // Consecutive events usually come from the same site (one thread's run).
    if (stack === this.lastSiteStack && thread === this.lastSiteThread) return this.lastSite;
    const site = this.internSite(stack, thread);
    this.lastSiteStack = stack;
    this.lastSiteThread = thread;
    this.lastSite = site;
    return site;
  }

  private internSite(stack: number, thread: number): number {
    const before = this.siteIndex.size;
    const site = this.siteIndex.intern(stack, thread + 1);
    if (site === before) {
      this.siteStack.push(stack);
      this.siteThread.push(thread);
      for (const c of [this.allocObjects, this.allocBytes, this.liveObjects, this.liveBytesCol, this.freedObjects, this.lifetimeSum, this.temporaryCol, this.samplesCol, this.peakBytesCol, this.peakObjectsCol, this.deltaBytes, this.deltaObjects]) c.push(0);
      if ((site + 1) * SITE_LIFETIME_BUCKETS > this.siteHistogram.length) {
        const grown = new Uint32Array(this.siteHistogram.length * 2);
        grown.set(this.siteHistogram);
        this.siteHistogram = grown;
      }
    }
    return site;
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

  private countSize(site: number, sizeBytes: number): void {
    // Most sizes are small integers: a direct table before the Map.
    const small = sizeBytes < SMALL_SIZES && sizeBytes === (sizeBytes | 0);
    let id = small ? this.smallSizeIds[sizeBytes] - 1 : (this.sizeIds.get(sizeBytes) ?? -1);
    if (id < 0) {
      if (small) this.smallSizeIds[sizeBytes] = this.sizeValues.length + 1;
      id = this.sizeValues.length;
      this.sizeIds.set(sizeBytes, id);
      this.sizeValues.push(sizeBytes);
    }
    const before = this.siteSizeIndex.size;
    const row = this.siteSizeIndex.intern(site, id);
    if (row === before) {
      this.siteSizeSite.push(site);
      this.siteSizeSize.push(id);
      this.siteSizeCount.push(0);
    }
    this.siteSizeCount.data[row]++;
  }

  /** Records a change of live values at a site and tracks the peak. */
  private changeLive(site: number, bytes: number, objects: number): void {
    this.liveBytesCol.data[site] += bytes;
    this.liveObjects.data[site] += objects;
    this.liveBytes += bytes;
    this.liveCount += objects;
    this.deltaBytes.data[site] += bytes;
    this.deltaObjects.data[site] += objects;
    if (!this.touchedFlag.get(site)) {
      this.touchedFlag.set(site);
      this.touched.push(site);
    }
    if (this.liveBytes > this.peakBytes) {
      // Fold the deltas since the last peak into the peak vector.
      const t = this.touched.data;
      for (let i = 0; i < this.touched.length; i++) {
        const s = t[i];
        this.peakBytesCol.data[s] += this.deltaBytes.data[s];
        this.peakObjectsCol.data[s] += this.deltaObjects.data[s];
        this.deltaBytes.data[s] = 0;
        this.deltaObjects.data[s] = 0;
        this.touchedFlag.clear(s);
      }
      this.touched.length = 0;
      this.peakBytes = this.liveBytes;
      this.peakObjects = this.liveCount;
      this.peakEvent = this.events + 1; // counting the event being replayed
      this.peakTime = this.lastTime;
    }
  }

  private born(ptrHi: number, ptrLo: number, sizeBytes: number, site: number, timeNs: number): void {
    let slot = this.live.find(ptrHi, ptrLo);
    if (slot >= 0) {
      // The block was freed without a record of it (events lost or dropped).
      this.warnings.add('allocation of a pointer that was already live; its earlier block is taken as freed (free events missing?)');
      this.kill(slot, timeNs, false);
    }
    slot = this.live.insert(ptrHi, ptrLo);
    this.live.sizeBytes[slot] = sizeBytes;
    this.live.site[slot] = site;
    this.live.bornEvent[slot] = this.events;
    this.live.bornTimeNs[slot] = timeNs;
    this.allocObjects.data[site]++;
    this.allocBytes.data[site] += sizeBytes;
    this.countSize(site, sizeBytes);
    this.changeLive(site, sizeBytes, 1);
    this.lastAllocHi = ptrHi;
    this.lastAllocLo = ptrLo;
  }

  /** Frees the block in `slot`; `counted` false for implicit frees. */
  private kill(slot: number, timeNs: number, temporary: boolean): void {
    const site = this.live.site[slot];
    const size = this.live.sizeBytes[slot];
    const lifetime = this.events - this.live.bornEvent[slot];
    this.freedObjects.data[site]++;
    this.lifetimeSum.data[site] += lifetime;
    this.siteHistogram[site * SITE_LIFETIME_BUCKETS + log4Bucket(lifetime)]++;
    this.lifetimeEvents[log2Bucket(lifetime)]++;
    const born = this.live.bornTimeNs[slot];
    if (timeNs !== NO_TIME && born !== NO_TIME) {
      // A free timed before its allocation has no lifetime to count.
      if (timeNs >= born) this.lifetimeNs[log2Bucket(timeNs - born)]++;
      else this.freedBeforeBorn++;
    }
    if (temporary) {
      this.temporary++;
      this.temporaryCol.data[site]++;
    }
    this.live.removeAt(slot);
    this.changeLive(site, -size, -1);
  }

  private died(ptrHi: number, ptrLo: number, timeNs: number): void {
    const slot = this.live.find(ptrHi, ptrLo);
    if (slot < 0) {
      this.unknownFrees++;
    } else {
      this.kill(slot, timeNs, ptrHi === this.lastAllocHi && ptrLo === this.lastAllocLo);
    }
    this.lastAllocHi = -1;
    this.lastAllocLo = -1;
  }

  private tick(): void {
    this.events++;
    if (this.windows > 0 && this.events % this.snapshotEvery === 0) this.snapshot();
  }

  private snapshot(): void {
    this.snapshots.push({
      event: this.events,
      timeNs: this.lastTime,
      bytes: this.liveBytesCol.finish(),
      objects: this.liveObjects.finish(),
    });
    // Keep between 4 × and 8 × `windows` evenly spaced snapshots: the
    // trace's length is not known until its end, and then the snapshot
    // nearest each window's end is at most 1/8 of a window away from it.
    if (this.snapshots.length >= SNAPSHOTS_PER_WINDOW * this.windows) {
      const kept = this.snapshots.filter((_, i) => i % 2 === 1);
      this.snapshots.length = 0;
      this.snapshots.push(...kept);
      this.snapshotEvery *= 2;
    }
  }

  alloc(ptrHi: number, ptrLo: number, sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[op]++;
    this.born(ptrHi, ptrLo, sizeBytes, this.siteOf(stack, thread), timeNs);
    this.tick();
  }

  free(ptrHi: number, ptrLo: number, _stack: number, _thread: number, timeNs: number): void {
    this.time(timeNs);
    if (ptrHi === 0 && ptrLo === 0) {
      this.ops.freeNull++; // free(NULL): a no-op, and not an event for "temporary"
      return;
    }
    this.ops.free++;
    this.died(ptrHi, ptrLo, timeNs);
    this.tick();
  }

  realloc(oldHi: number, oldLo: number, newHi: number, newLo: number, sizeBytes: number, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[AllocOp.realloc]++;
    this.died(oldHi, oldLo, timeNs);
    this.born(newHi, newLo, sizeBytes, this.siteOf(stack, thread), timeNs);
    this.tick();
  }

  allocUntracked(sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number): void {
    this.time(timeNs);
    this.opCounts[op]++;
    this.ops.untracked++;
    const site = this.siteOf(stack, thread);
    this.allocObjects.data[site]++;
    this.allocBytes.data[site] += sizeBytes;
    this.countSize(site, sizeBytes);
    this.lastAllocHi = -1;
    this.lastAllocLo = -1;
    this.tick();
  }

  sample(stack: number, thread: number, weight: number, timeNs: number): void {
    this.time(timeNs);
    this.samplesCol.data[this.siteOf(stack, thread)] += weight;
    this.sampleWeight += weight;
  }

  threadDone(_thread: number, timeNs: number): void {
    this.time(timeNs);
    this.ops.threadDone++;
  }

  /** Ends the replay: writes the samples into the builder and builds the reports. */
  finish(facts: TraceFacts): ReplayResult {
    ALLOC_OP_NAMES.forEach((name, op) => (this.ops[name] = this.opCounts[op]));
    if (this.unknownFrees > 0) {
      this.warnings.add(`${this.unknownFrees} frees of pointers not allocated in the trace (allocated before recording started?)`);
    }
    if (this.freedBeforeBorn > 0) {
      this.warnings.add(`${this.freedBeforeBorn} blocks freed at a time before their allocation (timestamps out of order): their lifetimes in ns are left out`);
    }
    if (this.ops.untracked > 0 && facts.tracksPointers) {
      this.warnings.add(`${this.ops.untracked} allocations without a returned pointer count as allocated, never as live`);
    }
    const n = this.siteStack.length;
    const values = new Float64Array(4);
    const b = this.builder;
    for (let s = 0; s < n; s++) {
      values[0] = this.allocObjects.data[s];
      values[1] = this.allocBytes.data[s];
      values[2] = this.liveObjects.data[s];
      values[3] = this.liveBytesCol.data[s];
      b.addSample(this.siteStack.data[s], this.siteThread.data[s], values);
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
      const samples = this.samplesCol.finish();
      const allocs = this.ops.untracked + this.ops.malloc + this.ops.calloc + this.ops.memalign + this.ops.realloc + this.ops.other;
      profile = profile.with({
        sampleTypes: allocs > 0 ? [...profile.sampleTypes, SAMPLES] : [SAMPLES],
        defaultSampleType: allocs > 0 ? profile.defaultSampleType : SAMPLES.type,
        samples: { ...profile.samples, values: allocs > 0 ? [...profile.samples.values, samples] : [samples] },
      });
    }
    // Fold the remaining deltas only into a copy: the peak vector is exact as it is.
    const withLive = (bytes: Float64Array, objects: Float64Array): HeapProfile =>
      profile.with({
        sampleTypes: [INUSE_OBJECTS, INUSE_SPACE],
        defaultSampleType: INUSE_SPACE.type,
        samples: { ...profile.samples, values: [objects.slice(0, n), bytes.slice(0, n)] },
      });
    const timeOrNull = (t: number) => (t === NO_TIME ? null : t);
    const report: TraceReport = {
      facts,
      events: this.events,
      ops: { ...this.ops },
      liveBytes: this.liveBytes,
      liveObjects: this.liveCount,
      peak: { bytes: this.peakBytes, objects: this.peakObjects, event: this.peakEvent, timeNs: timeOrNull(this.peakTime) },
      temporary: this.temporary,
      unknownFrees: this.unknownFrees,
      firstTimeNs: timeOrNull(this.firstTime),
      lastTimeNs: timeOrNull(this.lastTime),
      lifetimeEvents: trimZeros(this.lifetimeEvents),
      lifetimeNs: facts.hasTimestamps ? trimZeros(this.lifetimeNs) : null,
    };
    const snapshots = this.evenSnapshots().map((s) => ({
      event: s.event,
      timeNs: timeOrNull(s.timeNs),
      profile: withLive(padTo(s.bytes, n), padTo(s.objects, n)),
    }));
    const sizeIndex = this.siteSizeSize.finish();
    return {
      profile,
      peakProfile: withLive(this.peakBytesCol.finish(), this.peakObjectsCol.finish()),
      snapshots,
      report,
      sites: {
        length: n,
        stack: this.siteStack.finish(),
        thread: this.siteThread.finish(),
        allocObjects: this.allocObjects.finish(),
        allocBytes: this.allocBytes.finish(),
        liveObjects: this.liveObjects.finish(),
        liveBytes: this.liveBytesCol.finish(),
        freedObjects: this.freedObjects.finish(),
        lifetimeEvents: this.lifetimeSum.finish(),
        temporary: this.temporaryCol.finish(),
        lifetimeHistogram: this.siteHistogram.slice(0, n * SITE_LIFETIME_BUCKETS),
      },
      sizes: {
        length: sizeIndex.length,
        site: this.siteSizeSite.finish(),
        sizeBytes: Float64Array.from(sizeIndex, (id) => this.sizeValues[id]),
        count: this.siteSizeCount.finish(),
      },
    };
  }

  /**
   * `windows` snapshots at the ends of evenly spaced windows (by event
   * count): for window i, the kept snapshot nearest event i × events /
   * windows; the last one at the trace's end.
   */
  private evenSnapshots() {
    if (this.windows <= 0) return [];
    const all = [...this.snapshots];
    if (all.length === 0 || all[all.length - 1].event !== this.events) {
      all.push({ event: this.events, timeNs: this.lastTime, bytes: this.liveBytesCol.finish(), objects: this.liveObjects.finish() });
    }
    if (all.length <= this.windows) return all;
    const picked: typeof all = [];
    let from = 0;
    for (let i = 1; i <= this.windows; i++) {
      const target = (i * this.events) / this.windows;
      // Snapshots are in event order: walk forward to the nearest one, never reusing one.
      let j = from;
      while (j + 1 < all.length && Math.abs(all[j + 1].event - target) <= Math.abs(all[j].event - target)) j++;
      if (all.length - j < this.windows - i + 1) j = all.length - (this.windows - i + 1);
      picked.push(all[j]);
      from = j + 1;
    }
    return picked;
  }
}

function trimZeros(values: number[]): number[] {
  let end = values.length;
  while (end > 0 && values[end - 1] === 0) end--;
  return values.slice(0, end);
}

function padTo(values: Float64Array, n: number): Float64Array {
  if (values.length >= n) return values;
  const out = new Float64Array(n);
  out.set(values);
  return out;
}

/** A growable bit set. */
class GrowableFlags {
  private bits = new Uint8Array(4096);
  get(i: number): boolean {
    return i < this.bits.length && this.bits[i] !== 0;
  }
  set(i: number): void {
    if (i >= this.bits.length) {
      const grown = new Uint8Array(Math.max(i + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[i] = 1;
  }
  clear(i: number): void {
    if (i < this.bits.length) this.bits[i] = 0;
  }
}

