/**
 * The event accumulator's live blocks: one row per block, found by its id
 * (a dense integer), with its size, the event and time of its allocation
 * and its site. A trace that names blocks by pointer reaches a block's id
 * through the live set (live-set.ts); one that names them itself (heaptrack's
 * allocation infos, `BlockSink`) holds the id. The id of a block that died
 * is the next one handed out (last in, first out), so the rows in use stay
 * few and recently touched, and memory grows with the live blocks only.
 */

/** Numbers per row: size in bytes, event of the allocation, time of the allocation, site. */
const ROW_STRIDE = 4;

/** Rows of the live blocks. */
export class BlockTable {
  private rows = new Float64Array(4096 * ROW_STRIDE);
  /** Ids of dead blocks, the last freed on top. */
  private freeIds = new Int32Array(4096);
  private freeCount = 0;
  /** Ids ever handed out. */
  private ids = 0;

  /** A new block; returns its id. */
  add(sizeBytes: number, site: number, bornEvent: number, bornTimeNs: number): number {
    let id: number;
    if (this.freeCount > 0) id = this.freeIds[--this.freeCount];
    else {
      id = this.ids++;
      if (id * ROW_STRIDE === this.rows.length) this.grow();
    }
    const r = id * ROW_STRIDE;
    const rows = this.rows;
    rows[r] = sizeBytes;
    rows[r + 1] = bornEvent;
    rows[r + 2] = bornTimeNs;
    rows[r + 3] = site;
    return id;
  }

  /** Size in bytes of block `id`. */
  sizeBytes(id: number): number {
    return this.rows[id * ROW_STRIDE];
  }

  /** Event index of the allocation of block `id`. */
  bornEvent(id: number): number {
    return this.rows[id * ROW_STRIDE + 1];
  }

  /** Allocation time (ns, or -1) of block `id`. */
  bornTimeNs(id: number): number {
    return this.rows[id * ROW_STRIDE + 2];
  }

  /** Site id of block `id`. */
  site(id: number): number {
    return this.rows[id * ROW_STRIDE + 3];
  }

  /** Block `id` died: its id is the next handed out. */
  remove(id: number): void {
    this.freeIds[this.freeCount++] = id;
  }

  private grow(): void {
    const rows = new Float64Array(this.rows.length * 2);
    rows.set(this.rows);
    this.rows = rows;
    const freeIds = new Int32Array(this.freeIds.length * 2);
    freeIds.set(this.freeIds);
    this.freeIds = freeIds;
  }
}
