/**
 * An allocator's bins at one moment, from its statistics: per size class,
 * the regions in use and free, and what the statistics leave out.
 *
 * - jemalloc (`malloc_stats_print`, text or JSON): each small size class is
 *   a bin of slabs; `curregs` regions are in use out of `curslabs × nregs`,
 *   and the rest are free regions of slabs that hold at least one region in
 *   use (jemalloc returns a slab once it is empty). Regions in thread caches
 *   count as in use: a program that wants them counted as free flushes its
 *   cache before printing (`thread.tcache.flush`). Classes from 16 KiB (with
 *   4 KiB pages) are large extents: no bin, nothing shared.
 * - tcmalloc (gperftools `MallocExtension::GetStats`): the class table gives
 *   only free objects per class, summed over thread caches, transfer caches
 *   and the central lists (whose objects sit in partly used spans). It has
 *   no objects in use and no span count per class: the live objects come
 *   from the heap profile instead, and cached objects cannot be told from
 *   those that partly used spans hold.
 */
import type { AllocatorStats, StatsSnapshot } from '@heapscope/parser';
import { JEMALLOC_SMALL_MAX_BYTES, TCMALLOC_MAX_CLASS_BYTES, jemallocSizeClass, tcmallocSizeClass } from '../size-classes.js';

/** Allocators whose statistics have per-class tables that waste per site can use. */
export type BinnedAllocator = 'jemalloc' | 'tcmalloc';

/** One bin (size class) as the statistics give it. */
export interface AllocatorBin {
  sizeBytes: number;
  /** Regions in use (jemalloc `curregs`); absent for tcmalloc, whose statistics do not say. */
  liveRegions?: number;
  /** Free regions the bin holds. */
  freeRegions: number;
  freeBytes: number;
  /** jemalloc: slabs now, regions per slab, bytes per slab. */
  slabs?: number;
  regionsPerSlab?: number;
  slabBytes?: number;
}

/** The bins of one statistics dump. */
export interface BinTable {
  allocator: BinnedAllocator;
  /** Index of the dump in the statistics file. */
  snapshot: number;
  bins: Map<number, AllocatorBin>;
  /** The allocator's own total of free bytes in its bins. */
  unusedBinBytes: number;
  /** jemalloc: live extents per large class (`curlextents`); empty for tcmalloc. */
  largeLive: Map<number, number>;
  /** What these statistics lack for a per-site account, one sentence each. */
  missing: string[];
  /** The size class a block of `sizeBytes` (the dump's size: usable for jemalloc, requested for tcmalloc) belongs to. */
  classOf(sizeBytes: number): number;
  /** Whether blocks of class `classBytes` live in a bin (else: large extents or whole pages). */
  binned(classBytes: number): boolean;
}

/** Statistics that cannot be read per bin. */
export class BinStatsError extends Error {}

/** The bins of `stats`' dump number `snapshot` (default: the last). */
export function binTable(stats: AllocatorStats, snapshot = stats.snapshots.length - 1): BinTable {
  const snap: StatsSnapshot | undefined = stats.snapshots[snapshot];
  if (!snap) throw new BinStatsError(`${stats.file}: no statistics dump number ${snapshot + 1} (the file has ${stats.snapshots.length})`);
  if (stats.allocator === 'jemalloc') return jemallocBins(stats.file, snap, snapshot);
  if (stats.allocator === 'tcmalloc') return tcmallocBins(stats.file, snap, snapshot);
  throw new BinStatsError(`${stats.file}: ${stats.allocator} statistics have no per-bin table of regions (waste per site reads jemalloc's malloc_stats_print or tcmalloc's GetStats)`);
}

function jemallocBins(file: string, snap: StatsSnapshot, snapshot: number): BinTable {
  const bins = new Map<number, AllocatorBin>();
  const largeLive = new Map<number, number>();
  let unused = 0;
  let largestBin = 0;
  for (const c of snap.sizeClasses) {
    if (c.table === 'large' && c.liveBlocks !== undefined) largeLive.set(c.sizeBytes, c.liveBlocks);
    if (c.table !== 'small') continue;
    if (c.liveBlocks === undefined || c.freeBlocks === undefined) {
      throw new BinStatsError(`${file}: jemalloc bin ${c.sizeBytes} has no curregs/curslabs figures (statistics printed without bins?)`);
    }
    const bin: AllocatorBin = { sizeBytes: c.sizeBytes, liveRegions: c.liveBlocks, freeRegions: c.freeBlocks, freeBytes: c.freeBlocks * c.sizeBytes };
    if (c.slabs !== undefined) bin.slabs = c.slabs;
    if (c.regionsPerSlab !== undefined) bin.regionsPerSlab = c.regionsPerSlab;
    if (c.slabBytes !== undefined) bin.slabBytes = c.slabBytes;
    bins.set(c.sizeBytes, bin);
    unused += bin.freeBytes;
    largestBin = Math.max(largestBin, c.sizeBytes);
  }
  if (bins.size === 0) throw new BinStatsError(`${file}: the jemalloc statistics have no bins table (printed with the "b" option off?)`);
  // Larger pages make larger slab classes; the printed bins say where they end at least.
  const smallMax = Math.max(JEMALLOC_SMALL_MAX_BYTES, largestBin);
  return {
    allocator: 'jemalloc',
    snapshot,
    bins,
    unusedBinBytes: unused,
    largeLive,
    missing: [],
    classOf: (size) => jemallocSizeClass(Math.round(size)),
    binned: (classBytes) => classBytes <= smallMax,
  };
}

function tcmallocBins(file: string, snap: StatsSnapshot, snapshot: number): BinTable {
  const bins = new Map<number, AllocatorBin>();
  let unused = 0;
  for (const c of snap.sizeClasses) {
    if (c.table !== 'class' || c.freeBlocks === undefined) continue;
    const freeBytes = c.freeBlocks * c.sizeBytes;
    bins.set(c.sizeBytes, { sizeBytes: c.sizeBytes, freeRegions: c.freeBlocks, freeBytes });
    unused += freeBytes;
  }
  if (snap.raw['Bytes in use by application'] !== undefined && !hasClassTable(snap)) {
    throw new BinStatsError(`${file}: this tcmalloc dump has no size-class table (MALLOCSTATS=1 prints the summary only; GetStats or MALLOCSTATS=2 print the table)`);
  }
  return {
    allocator: 'tcmalloc',
    snapshot,
    bins,
    unusedBinBytes: unused,
    largeLive: new Map(),
    missing: [
      'objects in use per class: taken from the heap profile, as the statistics print free objects only',
      'spans per class: free objects in thread and transfer caches are not told apart from those in partly used spans, so the pinned bytes are an upper bound',
    ],
    classOf: (size) => tcmallocSizeClass(Math.ceil(size)),
    binned: (classBytes) => classBytes <= TCMALLOC_MAX_CLASS_BYTES,
  };
}

/** Whether a tcmalloc dump printed its class table (a dump with no free object in any class prints an empty one, but then its page-heap lines are there). */
function hasClassTable(snap: StatsSnapshot): boolean {
  return snap.sizeClasses.length > 0 || snap.raw['PageHeap sizes'] !== undefined;
}
