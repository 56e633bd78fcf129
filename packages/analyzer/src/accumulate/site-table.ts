/**
 * The event accumulator's site table: one row per (stack, thread) the trace
 * allocated at, with what was allocated, what is live, what was freed and
 * how long it lived, the temporary allocations, and the profiler samples
 * (perf CPU samples) counted there. Columns grow as sites appear; a site's
 * id is its row.
 */
import { PairIndex, float64Column, holding, int32Column } from '@heapscope/parser';
import { SITE_LIFETIME_BUCKETS, log4Bucket } from './lifetime-buckets.js';

/** Per-site aggregates, as columns indexed by site id (what the accumulator hands on). */
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

/** The growing site table. */
export class SiteTable {
  private readonly index = new PairIndex(4096);
  readonly stack = int32Column(4096);
  readonly thread = int32Column(4096);
  readonly allocObjects = float64Column(4096);
  readonly allocBytes = float64Column(4096);
  readonly liveObjects = float64Column(4096);
  readonly liveBytes = float64Column(4096);
  readonly freedObjects = float64Column(4096);
  readonly lifetimeSum = float64Column(4096);
  readonly temporary = float64Column(4096);
  /** Weight of profiler samples that are not allocations, per site. */
  readonly samples = float64Column(4096);
  private histogram = new Uint32Array(4096 * SITE_LIFETIME_BUCKETS);
  private lastStack = -2;
  private lastThread = -2;
  private lastSite = -1;
  /** Per stack id, the site + 1 of its last (stack, thread) looked up (0: none), and that thread. */
  private byStackSite = new Int32Array(4096);
  private byStackThread = new Int32Array(4096);

  constructor(
    /** Called once per new site, after its row exists (other tables add theirs). */
    private readonly onNewSite: () => void,
  ) {}

  /** Number of sites. */
  get length(): number {
    return this.stack.length;
  }

  /** The site of (stack, thread), added when new. */
  siteOf(stack: number, thread: number): number {
    // Consecutive events usually come from the same site (one thread's run).
    if (stack === this.lastStack && thread === this.lastThread) return this.lastSite;
    // Then a direct table by stack: a stack is usually allocated at by one thread
    // (or the trace has none), so the hash table is rarely needed.
    let site: number;
    if (stack >= 0 && stack < this.byStackSite.length && this.byStackSite[stack] > 0 && this.byStackThread[stack] === thread) {
      site = this.byStackSite[stack] - 1;
    } else {
      site = this.intern(stack, thread);
      if (stack >= 0) this.cacheByStack(stack, thread, site);
    }
    this.lastStack = stack;
    this.lastThread = thread;
    this.lastSite = site;
    return site;
  }

  private cacheByStack(stack: number, thread: number, site: number): void {
    this.byStackSite = holding(this.byStackSite, stack);
    this.byStackThread = holding(this.byStackThread, stack);
    this.byStackSite[stack] = site + 1;
    this.byStackThread[stack] = thread;
  }

  private intern(stack: number, thread: number): number {
    const before = this.index.size;
    const site = this.index.intern(stack, thread + 1);
    if (site === before) {
      this.stack.push(stack);
      this.thread.push(thread);
      for (const c of [this.allocObjects, this.allocBytes, this.liveObjects, this.liveBytes, this.freedObjects, this.lifetimeSum, this.temporary, this.samples]) c.push(0);
      if ((site + 1) * SITE_LIFETIME_BUCKETS > this.histogram.length) {
        const grown = new Uint32Array(this.histogram.length * 2);
        grown.set(this.histogram);
        this.histogram = grown;
      }
      this.onNewSite();
    }
    return site;
  }

  /** A block of `site` that lived `lifetime` events was freed. */
  freed(site: number, lifetime: number, temporary: boolean): void {
    this.freedObjects.data[site]++;
    this.lifetimeSum.data[site] += lifetime;
    this.histogram[site * SITE_LIFETIME_BUCKETS + log4Bucket(lifetime)]++;
    if (temporary) this.temporary.data[site]++;
  }

  /** The table as columns. */
  finish(): SiteColumns {
    const n = this.length;
    return {
      length: n,
      stack: this.stack.finish(),
      thread: this.thread.finish(),
      allocObjects: this.allocObjects.finish(),
      allocBytes: this.allocBytes.finish(),
      liveObjects: this.liveObjects.finish(),
      liveBytes: this.liveBytes.finish(),
      freedObjects: this.freedObjects.finish(),
      lifetimeEvents: this.lifetimeSum.finish(),
      temporary: this.temporary.finish(),
      lifetimeHistogram: this.histogram.slice(0, n * SITE_LIFETIME_BUCKETS),
    };
  }
}
