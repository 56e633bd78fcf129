/**
 * The set of live pointers while a trace is accumulated: an open-addressing
 * hash table from a pointer's two 32-bit halves to its block's id in the
 * block table (block-table.ts), with linear probing and backward-shift
 * deletion (no tombstones, so long traces with heavy churn never degrade).
 * Memory grows with the number of live blocks only.
 *
 * Why this layout: once many blocks are live the table is larger than the
 * cache, and each event touches it at a random place. A slot holds only the
 * key, a used flag and the block id (16 bytes, four slots to a cache line);
 * the block's values are in the block table, whose ids of dead blocks are
 * the next ones reused — so the rows in use stay few and recently touched,
 * a probe or a backward shift moves 16 bytes, and an event costs about one
 * cache line of this table.
 */

/** Ints per slot in `keys`: hi, lo, used (0 or 1), block id. */
const KEY_STRIDE = 4;

/** Live pointers and their blocks. */
export class LiveSet {
  private keys: Uint32Array;
  private mask: number;
  /** Number of live pointers. */
  count = 0;

  constructor(capacity = 1 << 12) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.keys = new Uint32Array(c * KEY_STRIDE);
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
    const { keys, mask } = this;
    for (let s = this.slotOf(hi, lo); ; s = (s + 1) & mask) {
      const o = s * KEY_STRIDE;
      if (keys[o + 2] === 0) return -1;
      if (keys[o + 1] === lo && keys[o] === hi) return s;
    }
  }

  /**
   * Adds `ptr` and returns its slot, whose block the caller then sets; when
   * `ptr` is already live, changes nothing and returns `-1 - slot` of it
   * (one probe for what would be a find and an insert).
   */
  claim(hi: number, lo: number): number {
    let { keys, mask } = this;
    let s = this.slotOf(hi, lo);
    for (; keys[s * KEY_STRIDE + 2] !== 0; s = (s + 1) & mask) {
      if (keys[s * KEY_STRIDE + 1] === lo && keys[s * KEY_STRIDE] === hi) return -1 - s;
    }
    if ((this.count + 1) * 2 > mask + 1) {
      this.grow();
      ({ keys, mask } = this);
      for (s = this.slotOf(hi, lo); keys[s * KEY_STRIDE + 2] !== 0; s = (s + 1) & mask);
    }
    const o = s * KEY_STRIDE;
    keys[o] = hi;
    keys[o + 1] = lo;
    keys[o + 2] = 1;
    this.count++;
    return s;
  }

  /** The block of the pointer in slot `s`. */
  block(s: number): number {
    return this.keys[s * KEY_STRIDE + 3];
  }

  /** Sets the block of the pointer in slot `s`. */
  setBlock(s: number, block: number): void {
    this.keys[s * KEY_STRIDE + 3] = block;
  }

  /** Removes the pointer in slot `s`, shifting later probes back into place. */
  removeAt(s: number): void {
    const { keys, mask } = this;
    let hole = s;
    let next = (s + 1) & mask;
    while (keys[next * KEY_STRIDE + 2] !== 0) {
      const n = next * KEY_STRIDE;
      const home = this.slotOf(keys[n], keys[n + 1]);
      // Move `next` into the hole when its home is not in (hole, next].
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!between) {
        const h = hole * KEY_STRIDE;
        keys[h] = keys[n];
        keys[h + 1] = keys[n + 1];
        keys[h + 3] = keys[n + 3];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole * KEY_STRIDE + 2] = 0;
    this.count--;
  }

  /** Doubles the table. */
  private grow(): void {
    const old = this.keys;
    const slots = (this.mask + 1) * 2;
    const keys = new Uint32Array(slots * KEY_STRIDE);
    this.keys = keys;
    this.mask = slots - 1;
    for (let o = 0; o < old.length; o += KEY_STRIDE) {
      if (old[o + 2] === 0) continue;
      let s = this.slotOf(old[o], old[o + 1]);
      while (keys[s * KEY_STRIDE + 2] !== 0) s = (s + 1) & this.mask;
      keys.set(old.subarray(o, o + KEY_STRIDE), s * KEY_STRIDE);
    }
  }
}
