/**
 * The set of live blocks while a trace is accumulated: an open-addressing hash table keyed
 * by the pointer's two 32-bit halves, with linear probing and backward-shift
 * deletion (no tombstones, so long traces with heavy churn never degrade).
 * Memory grows with the number of live blocks only.
 */

/** Per-block values kept while a block is live. */
export class LiveSet {
  private keyHi: Uint32Array;
  private keyLo: Uint32Array;
  private used: Uint8Array;
  /** Block size in bytes, by slot. */
  sizeBytes: Float64Array;
  /** Site id, by slot. */
  site: Int32Array;
  /** Event index of the allocation, by slot. */
  bornEvent: Float64Array;
  /** Allocation time (ns, or -1), by slot. */
  bornTimeNs: Float64Array;
  private mask: number;
  /** Number of live blocks. */
  count = 0;

  constructor(capacity = 1 << 16) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.keyHi = new Uint32Array(c);
    this.keyLo = new Uint32Array(c);
    this.used = new Uint8Array(c);
    this.sizeBytes = new Float64Array(c);
    this.site = new Int32Array(c);
    this.bornEvent = new Float64Array(c);
    this.bornTimeNs = new Float64Array(c);
    this.mask = c - 1;
  }

  private slotOf(hi: number, lo: number): number {
    // Pointers are aligned, so the low bits carry little; mix both halves.
    let h = Math.imul(lo ^ (lo >>> 16), 0x45d9f3b) ^ Math.imul(hi, 0x119de1f3);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    return (h ^ (h >>> 13)) & this.mask;
  }

  /** The slot holding `ptr`, or -1. */
  find(hi: number, lo: number): number {
    const { keyHi, keyLo, used, mask } = this;
    for (let s = this.slotOf(hi, lo); used[s] !== 0; s = (s + 1) & mask) {
      if (keyLo[s] === lo && keyHi[s] === hi) return s;
    }
    return -1;
  }

  /** The slot for a new block at `ptr`; the caller must know `ptr` is not live. */
  insert(hi: number, lo: number): number {
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    const { used, mask } = this;
    let s = this.slotOf(hi, lo);
    while (used[s] !== 0) s = (s + 1) & mask;
    used[s] = 1;
    this.keyHi[s] = hi;
    this.keyLo[s] = lo;
    this.count++;
    return s;
  }

  /** Removes the block in slot `s`, shifting later probes back into place. */
  removeAt(s: number): void {
    const { used, mask, keyHi, keyLo } = this;
    let hole = s;
    let next = (s + 1) & mask;
    while (used[next] !== 0) {
      const home = this.slotOf(keyHi[next], keyLo[next]);
      // Move `next` into the hole when its home is not in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        keyHi[hole] = keyHi[next];
        keyLo[hole] = keyLo[next];
        this.sizeBytes[hole] = this.sizeBytes[next];
        this.site[hole] = this.site[next];
        this.bornEvent[hole] = this.bornEvent[next];
        this.bornTimeNs[hole] = this.bornTimeNs[next];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    used[hole] = 0;
    this.count--;
  }

  /** Calls `fn(slot)` for every live block. */
  forEach(fn: (slot: number) => void): void {
    for (let s = 0; s < this.used.length; s++) if (this.used[s] !== 0) fn(s);
  }

  private grow(): void {
    const old = this;
    const oldUsed = this.used;
    const { keyHi, keyLo, sizeBytes, site, bornEvent, bornTimeNs } = this;
    const c = oldUsed.length * 2;
    this.keyHi = new Uint32Array(c);
    this.keyLo = new Uint32Array(c);
    this.used = new Uint8Array(c);
    this.sizeBytes = new Float64Array(c);
    this.site = new Int32Array(c);
    this.bornEvent = new Float64Array(c);
    this.bornTimeNs = new Float64Array(c);
    this.mask = c - 1;
    this.count = 0;
    for (let s = 0; s < oldUsed.length; s++) {
      if (oldUsed[s] === 0) continue;
      const t = old.insert(keyHi[s], keyLo[s]);
      this.sizeBytes[t] = sizeBytes[s];
      this.site[t] = site[s];
      this.bornEvent[t] = bornEvent[s];
      this.bornTimeNs[t] = bornTimeNs[s];
    }
  }
}
