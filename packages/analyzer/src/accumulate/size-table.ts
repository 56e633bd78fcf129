/**
 * The event accumulator's size table: how many allocations of each exact
 * size each site made, as `(site, size) → count` rows.
 */
import { PairIndex, float64Column, holding, int32Column } from '@heapscope/parser';

/** Exact sizes: `(site, size) → count` rows. */
export interface SiteSizeRows {
  readonly length: number;
  readonly site: Int32Array;
  readonly sizeBytes: Float64Array;
  readonly count: Float64Array;
}

/** Sizes below this get their id from a table instead of a Map. */
const SMALL_SIZES = 1 << 16;

/** The growing size table. */
export class SizeTable {
  private readonly ids = new Map<number, number>();
  /** Size id + 1 of sizes below SMALL_SIZES (0: not seen). */
  private readonly smallIds = new Int32Array(SMALL_SIZES);
  private readonly values: number[] = [];
  private readonly index = new PairIndex(4096);
  private readonly site = int32Column(4096);
  private readonly size = int32Column(4096);
  private readonly count = float64Column(4096);

  /** Per site, the size of its last allocation and that (site, size)'s row + 1 (0: none yet). */
  private lastSize = new Float64Array(4096);
  private lastRow = new Int32Array(4096);

  /** Counts one allocation of `sizeBytes` at `site`. */
  add(site: number, sizeBytes: number): void {
    this.count.data[this.row(site, sizeBytes)]++;
  }

  /** Counts one allocation in `row` (a row from {@link row}). */
  addAt(row: number): void {
    this.count.data[row]++;
  }

  /** The row of (`site`, `sizeBytes`), added (with a count of 0) when new. */
  row(site: number, sizeBytes: number): number {
    // A site usually allocates the same size again (one type, one buffer length): try its last row first.
    if (site < this.lastRow.length) {
      const last = this.lastRow[site];
      if (last > 0 && this.lastSize[site] === sizeBytes) return last - 1;
    } else {
      this.lastSize = holding(this.lastSize, site);
      this.lastRow = holding(this.lastRow, site);
    }
    // Most sizes are small integers: a direct table before the Map.
    const small = sizeBytes < SMALL_SIZES && sizeBytes === (sizeBytes | 0);
    let id = small ? this.smallIds[sizeBytes] - 1 : (this.ids.get(sizeBytes) ?? -1);
    if (id < 0) {
      if (small) this.smallIds[sizeBytes] = this.values.length + 1;
      id = this.values.length;
      this.ids.set(sizeBytes, id);
      this.values.push(sizeBytes);
    }
    const before = this.index.size;
    const row = this.index.intern(site, id);
    if (row === before) {
      this.site.push(site);
      this.size.push(id);
      this.count.push(0);
    }
    this.lastSize[site] = sizeBytes;
    this.lastRow[site] = row + 1;
    return row;
  }

  /** The table as rows. */
  finish(): SiteSizeRows {
    const sizeIds = this.size.finish();
    return {
      length: sizeIds.length,
      site: this.site.finish(),
      sizeBytes: Float64Array.from(sizeIds, (id) => this.values[id]),
      count: this.count.finish(),
    };
  }
}
