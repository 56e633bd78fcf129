/**
 * The set of live blocks while a trace is accumulated: an open-addressing hash table keyed
 * by the pointer's two 32-bit halves, with linear probing and backward-shift
 * deletion (no tombstones, so long traces with heavy churn never degrade).
 * Memory grows with the number of live blocks only.
 *
 * Why this layout: once many blocks are live the table is larger than the
 * cache, and each event touches it at a random place. A slot holds only the
 * key, a used flag and the block's row (16 bytes, four slots to a cache
 * line); the block's values live in that row of a dense pool, side by side,
 * and a freed row is the next one reused — so the rows in use stay few and
 * recently touched, a probe or a backward shift moves 16 bytes, and an event
 * costs about one cache line of the table.
 */

/** Ints per slot in `keys`: hi, lo, used (0 or 1), row in the pool. */
const KEY_STRIDE = 4;
/** Numbers per row in `rows`: size in bytes, event of the allocation, time of the allocation, site. */
const ROW_STRIDE = 4;

/** Per-block values kept while a block is live. */
export class LiveSet {
  private keys: Uint32Array;
  private mask: number;
  private rows: Float64Array;
  /** Rows freed, reused last in, first out. */
  private freeRows: Int32Array;
  private freeCount = 0;
  /** Rows ever handed out. */
  private rowCount = 0;
  /** Number of live blocks. */
  count = 0;

  constructor(capacity = 1 << 12) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.keys = new Uint32Array(c * KEY_STRIDE);
    this.mask = c - 1;
    this.rows = new Float64Array((c / 2) * ROW_STRIDE);
    this.freeRows = new Int32Array(c / 2);
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
    const row = this.freeCount > 0 ? this.freeRows[--this.freeCount] : this.rowCount++;
    const o = s * KEY_STRIDE;
    keys[o] = hi;
    keys[o + 1] = lo;
    keys[o + 2] = 1;
    keys[o + 3] = row;
    const r = row * ROW_STRIDE;
    const rows = this.rows;
    rows[r] = sizeBytes;
    rows[r + 1] = bornEvent;
    rows[r + 2] = bornTimeNs;
    rows[r + 3] = site;
    this.count++;
    return s;
  }

  /** Size in bytes of the block in slot `s`. */
  sizeBytes(s: number): number {
    return this.rows[this.keys[s * KEY_STRIDE + 3] * ROW_STRIDE];
  }

  /** Site id of the block in slot `s`. */
  site(s: number): number {
    return this.rows[this.keys[s * KEY_STRIDE + 3] * ROW_STRIDE + 3];
  }

  /** Event index of the allocation of the block in slot `s`. */
  bornEvent(s: number): number {
    return this.rows[this.keys[s * KEY_STRIDE + 3] * ROW_STRIDE + 1];
  }

  /** Allocation time (ns, or -1) of the block in slot `s`. */
  bornTimeNs(s: number): number {
    return this.rows[this.keys[s * KEY_STRIDE + 3] * ROW_STRIDE + 2];
  }

  /** Removes the block in slot `s`, shifting later probes back into place. */
  removeAt(s: number): void {
    const { keys, mask } = this;
    this.freeRows[this.freeCount++] = keys[s * KEY_STRIDE + 3];
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

  /** Calls `fn(slot)` for every live block. */
  forEach(fn: (slot: number) => void): void {
    for (let s = 0; s <= this.mask; s++) if (this.keys[s * KEY_STRIDE + 2] !== 0) fn(s);
  }

  /** Doubles the table (the pool keeps its rows: at most half the slots are ever in use). */
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
    const rows = new Float64Array((slots / 2) * ROW_STRIDE);
    rows.set(this.rows);
    this.rows = rows;
    const freeRows = new Int32Array(slots / 2);
    freeRows.set(this.freeRows);
    this.freeRows = freeRows;
  }
}
