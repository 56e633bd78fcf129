/**
 * Interns pairs of int32 values (a, b) into dense indexes 0, 1, 2, ... with
 * an open-addressing hash table over one Int32Array.
 *
 * Why not a Map with string or numeric keys: interning millions of (parent,
 * frame) pairs through a typed array is several times faster than through a
 * Map with numeric keys, and more again than with template-string keys
 * (docs/BENCHMARKS.md#measured-design-choices). Each slot holds its key and
 * value side by side (a, b, index + 1), so a lookup reads one cache line:
 * large tables (a dump's hundreds of thousands of stack nodes) are bound by
 * memory latency, not arithmetic. Stacks (parent, location), functions
 * (name, file), addresses (hi, lo) and sites are all interned through it.
 *
 * A table can also map pairs to values of the caller's choosing with
 * {@link PairIndex.put} (the stack table does: only some nodes' children are
 * hashed); such a table is not used with `intern`.
 */
export class PairIndex {
  /** Slots of three ints: a, b, index + 1 (0 = empty). */
  private table: Int32Array;
  private mask: number; // slot count − 1
  /** Number of distinct pairs interned. */
  size = 0;

  constructor(initialCapacity = 1024) {
    let slots = 16;
    while (slots < initialCapacity * 2) slots *= 2;
    this.table = new Int32Array(slots * 3);
    this.mask = slots - 1;
  }

  private static hash(a: number, b: number): number {
    // Murmur-style mix of the two 32-bit halves.
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 13;
    return h;
  }

  /** The index of (a, b), or -1 when it was never interned. */
  get(a: number, b: number): number {
    const { table, mask } = this;
    let slot = PairIndex.hash(a, b) & mask;
    for (;;) {
      const o = slot * 3;
      const entry = table[o + 2];
      if (entry === 0) return -1;
      if (table[o] === a && table[o + 1] === b) return entry - 1;
      slot = (slot + 1) & mask;
    }
  }

  /** The index of (a, b); a new pair gets the next index. */
  intern(a: number, b: number): number {
    return this.lookup(a, b, this.size);
  }

  /** Maps (a, b) to `value` (≥ 0); returns the value it already had, if any. */
  put(a: number, b: number, value: number): number {
    return this.lookup(a, b, value);
  }

  /** The value of (a, b), inserting `value` when the pair is absent. */
  private lookup(a: number, b: number, value: number): number {
    const { table, mask } = this;
    let slot = PairIndex.hash(a, b) & mask;
    for (;;) {
      const o = slot * 3;
      const entry = table[o + 2];
      if (entry === 0) {
        table[o] = a;
        table[o + 1] = b;
        table[o + 2] = value + 1;
        // Keep the load factor at or below one half.
        if (++this.size * 2 > mask + 1) this.grow();
        return value;
      }
      if (table[o] === a && table[o + 1] === b) return entry - 1;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * 3);
    const mask = slots - 1;
    for (let o = 0; o < old.length; o += 3) {
      if (old[o + 2] === 0) continue;
      let slot = PairIndex.hash(old[o], old[o + 1]) & mask;
      while (table[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      const t = slot * 3;
      table[t] = old[o];
      table[t + 1] = old[o + 1];
      table[t + 2] = old[o + 2];
    }
    this.table = table;
    this.mask = mask;
  }
}
