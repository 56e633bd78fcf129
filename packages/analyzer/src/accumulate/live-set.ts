/**
 * The set of live blocks while a trace is accumulated: an open-addressing hash table keyed
 * by the pointer's two 32-bit halves, with linear probing and backward-shift
 * deletion (no tombstones, so long traces with heavy churn never degrade).
 * Memory grows with the number of live blocks only.
 *
 * Why two interleaved arrays rather than one array per field: the table is
 * much larger than the cache once many blocks are live, and each event
 * touches one slot at a random place. With a slot's key, flag and site side
 * by side (16 bytes) and its three numbers side by side (32 bytes), an event
 * reads two cache lines instead of seven.
 */

/** Ints per slot in `keys`: hi, lo, used (0 or 1), site. */
const KEY_STRIDE = 4;
/** Numbers per slot in `values`: size in bytes, event of the allocation, time of the allocation (one unused: slots stay within a cache line). */
const VALUE_STRIDE = 4;

/** Per-block values kept while a block is live. */
export class LiveSet {
  private keys: Uint32Array;
  private values: Float64Array;
  private mask: number;
  /** Number of live blocks. */
  count = 0;

  constructor(capacity = 1 << 12) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.keys = new Uint32Array(c * KEY_STRIDE);
    this.values = new Float64Array(c * VALUE_STRIDE);
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
   * Adds a block at `ptr` with its values and returns its slot; when `ptr`
   * is already live, changes nothing and returns `-1 - slot` of that block
   * (one probe for what would be a find and an insert).
   */
  insert(hi: number, lo: number, sizeBytes: number, site: number, bornEvent: number, bornTimeNs: number): number {
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
    keys[o + 3] = site;
    const v = s * VALUE_STRIDE;
    this.values[v] = sizeBytes;
    this.values[v + 1] = bornEvent;
    this.values[v + 2] = bornTimeNs;
    this.count++;
    return s;
  }

  /** Size in bytes of the block in slot `s`. */
  sizeBytes(s: number): number {
    return this.values[s * VALUE_STRIDE];
  }

  /** Site id of the block in slot `s`. */
  site(s: number): number {
    return this.keys[s * KEY_STRIDE + 3];
  }

  /** Event index of the allocation of the block in slot `s`. */
  bornEvent(s: number): number {
    return this.values[s * VALUE_STRIDE + 1];
  }

  /** Allocation time (ns, or -1) of the block in slot `s`. */
  bornTimeNs(s: number): number {
    return this.values[s * VALUE_STRIDE + 2];
  }

  /** Removes the block in slot `s`, shifting later probes back into place. */
  removeAt(s: number): void {
    const { keys, values, mask } = this;
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
        const hv = hole * VALUE_STRIDE;
        const nv = next * VALUE_STRIDE;
        values[hv] = values[nv];
        values[hv + 1] = values[nv + 1];
        values[hv + 2] = values[nv + 2];
        hole = next;
      }
      next = (next + 1) & mask;
    }
    keys[hole * KEY_STRIDE + 2] = 0;
    this.count--;
  }

  /** Calls `fn(slot)` for every live block. */
  forEach(fn: (slot: number) => void): void {
    for (let s = 0; s <= this.mask; s++) if (this.keys[s * KEY_STRIDE + 2] !== 0) fn(s);
  }

  private grow(): void {
    const { keys, values } = this;
    const slots = (this.mask + 1) * 2;
    this.keys = new Uint32Array(slots * KEY_STRIDE);
    this.values = new Float64Array(slots * VALUE_STRIDE);
    this.mask = slots - 1;
    this.count = 0;
    for (let s = 0; s * KEY_STRIDE < keys.length; s++) {
      const o = s * KEY_STRIDE;
      if (keys[o + 2] === 0) continue;
      const v = s * VALUE_STRIDE;
      this.insert(keys[o], keys[o + 1], values[v], keys[o + 3], values[v + 1], values[v + 2]);
    }
  }
}
