/**
 * The event accumulator's live-set snapshots for `growth --windows N`: the
 * live values of every site at the ends of N evenly spaced windows of the
 * trace (by event count), although the trace's length is known only at its
 * end.
 */

/** Live-set snapshots kept per window wanted, at most (see `take`). */
const SNAPSHOTS_PER_WINDOW = 8;

/** One snapshot as taken: the events so far, the time, the live columns then, and the trace's running totals. */
export interface RawSnapshot {
  event: number;
  timeNs: number;
  bytes: Float64Array;
  objects: Float64Array;
  /** Allocated so far (bytes and blocks, untracked allocations included). */
  allocatedBytes: number;
  allocatedObjects: number;
  /** Temporary allocations so far (freed by the very next allocation event). */
  temporary: number;
}

/** Snapshots taken every so many events, thinned as the trace goes on. */
export class WindowSnapshots {
  private every = 1;
  private readonly taken: RawSnapshot[] = [];

  constructor(
    /** Windows wanted (0: none). */
    readonly windows: number,
  ) {}

  /** Whether a snapshot is due after `events` events. */
  due(events: number): boolean {
    return this.windows > 0 && events % this.every === 0;
  }

  /** Keeps a snapshot. */
  take(snapshot: RawSnapshot): void {
    this.taken.push(snapshot);
    // Keep between 4 and 8 times `windows` evenly spaced snapshots: the
    // trace's length is not known until its end, and then the snapshot
    // nearest each window's end is at most 1/8 of a window away from it.
    if (this.taken.length >= SNAPSHOTS_PER_WINDOW * this.windows) {
      const kept = this.taken.filter((_, i) => i % 2 === 1);
      this.taken.length = 0;
      this.taken.push(...kept);
      this.every *= 2;
    }
  }

  /**
   * `windows` snapshots at the ends of evenly spaced windows (by event
   * count): for window i, the kept snapshot nearest event i × events /
   * windows; the last one at the trace's end (`last`, taken now unless the
   * last kept snapshot is at the end already).
   */
  even(events: number, last: () => RawSnapshot): RawSnapshot[] {
    if (this.windows <= 0) return [];
    const all = [...this.taken];
    if (all.length === 0 || all[all.length - 1].event !== events) all.push(last());
    if (all.length <= this.windows) return all;
    const picked: RawSnapshot[] = [];
    let from = 0;
    for (let i = 1; i <= this.windows; i++) {
      const target = (i * events) / this.windows;
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
