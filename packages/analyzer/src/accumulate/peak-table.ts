/**
 * The event accumulator's peak table: the largest live byte count of the
 * trace, when it was reached, and every site's live values at that moment —
 * exact, at the cost of one pass over the sites touched since the last peak
 * whenever a new peak is reached: between peaks only which sites changed is
 * kept (their values now are the site table's).
 */
import { NO_TIME, float64Column, int32Column, type GrowableColumn } from '@heapscope/parser';

/** Per-site values at the last peak, and the sites changed since. */
export class PeakTable {
  private readonly bytesAtPeak = float64Column(4096);
  private readonly objectsAtPeak = float64Column(4096);
  /** Sites with a change since the last peak, and a flag per site saying so. */
  private readonly touched = int32Column(1024);
  private readonly touchedFlag = new GrowableFlags();
  /** The peak so far: live bytes and objects. */
  bytes = 0;
  objects = 0;
  /** Events accumulated when the peak was reached (the event that reached it included). */
  event = 0;
  /** Time of the last event then, or NO_TIME. */
  timeNs = NO_TIME;

  constructor(
    /** The site table's live bytes and objects per site, now. */
    private readonly liveBytes: GrowableColumn<Float64Array>,
    private readonly liveObjects: GrowableColumn<Float64Array>,
  ) {}

  /** A new site: its row. */
  addSite(): void {
    this.bytesAtPeak.push(0);
    this.objectsAtPeak.push(0);
  }

  /** The site changed last (-1: none since the last peak): consecutive events usually come from one site. */
  private lastChanged = -1;

  /** `site`'s live values changed. */
  change(site: number): void {
    if (site === this.lastChanged) return;
    this.lastChanged = site;
    if (!this.touchedFlag.get(site)) {
      this.touchedFlag.set(site);
      this.touched.push(site);
    }
  }

  /** The live bytes reached a new peak: the values of the sites changed since the last one are the peak's. */
  reach(bytes: number, objects: number, event: number, timeNs: number): void {
    const t = this.touched.data;
    for (let i = 0; i < this.touched.length; i++) {
      const s = t[i];
      this.bytesAtPeak.data[s] = this.liveBytes.data[s];
      this.objectsAtPeak.data[s] = this.liveObjects.data[s];
      this.touchedFlag.clear(s);
    }
    this.touched.length = 0;
    this.lastChanged = -1;
    this.bytes = bytes;
    this.objects = objects;
    this.event = event;
    this.timeNs = timeNs;
  }

  /** Each site's live bytes and objects at the peak (the changes since are not folded in: the peak is exact as it is). */
  finish(): { bytes: Float64Array; objects: Float64Array } {
    return { bytes: this.bytesAtPeak.finish(), objects: this.objectsAtPeak.finish() };
  }
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
