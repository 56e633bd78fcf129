/**
 * Allocator statistics: what an allocator (or the kernel, for /proc) says
 * about a process's memory at a moment, as a series of snapshots — a file
 * may hold several periodic dumps, one after the other.
 *
 * These are not heap profiles: they have no call stacks, only totals, and
 * per-arena and per-size-class tables where the allocator prints them. They
 * answer the question heap profiles cannot: how much memory does the
 * *allocator* hold beyond what the program asked for, and of what kind.
 *
 * Invariants:
 * - Every `*Bytes` field is in bytes, converted from the producer's unit
 *   (pages, KiB, rounded MiB); a field the producer does not report is
 *   `undefined`, never 0.
 * - Snapshots are in file order; `index` is the position in the file.
 * - `raw` holds every number of the dump the importer understood, by the
 *   producer's own name (qualified by section, e.g. `arenas[0].resident`),
 *   in the producer's unit; `settings` the non-numeric ones (`opt.thp`).
 */
import type { Warning } from '../errors.js';
import type { Input } from '../input/source.js';
import type { Head, ParseContext } from '../importers/importer.js';

/** Who wrote the statistics. `proc` is the kernel's /proc/<pid>/status or smaps_rollup. */
export type StatsAllocator = 'jemalloc' | 'glibc' | 'tcmalloc' | 'mimalloc' | 'proc';

/**
 * The normalized memory figures, in bytes. Which allocator reports which:
 *
 * | field     | jemalloc        | glibc                     | tcmalloc                          | mimalloc           |
 * |-----------|-----------------|---------------------------|-----------------------------------|--------------------|
 * | allocated | `allocated`     | in-use chunks + mmapped   | bytes in use by application       | `total` current (stat builds only) |
 * | active    | `active`        | –                         | –                                 | `touched` current (stat builds only) |
 * | resident  | `resident`      | –                         | actual memory used (phys + swap)  | –                  |
 * | mapped    | `mapped`        | arena system bytes + mmap | virtual address space used        | `committed`        |
 * | retained  | `retained`      | –                         | bytes released to OS (unmapped)   | reserved − committed |
 * | dirty     | pdirty × page   | –                         | page heap freelist                | –                  |
 * | muzzy     | pmuzzy × page   | –                         | –                                 | –                  |
 * | metadata  | `metadata`      | –                         | bytes in malloc metadata          | –                  |
 */
export interface MemoryFigures {
  /** Bytes in blocks the program holds (usable sizes for jemalloc, mimalloc and tcmalloc; chunk sizes for glibc). */
  allocatedBytes?: number;
  /** Bytes in pages that hold at least one live block (jemalloc `active`, mimalloc `touched`). */
  activeBytes?: number;
  /** Physically resident bytes the allocator accounts for (its own estimate, metadata included). */
  residentBytes?: number;
  /** Bytes the allocator has mapped (or, mimalloc, committed) and not returned. */
  mappedBytes?: number;
  /** Virtual memory kept for reuse but not backed (jemalloc `retained`, tcmalloc unmapped): not resident. */
  retainedBytes?: number;
  /** Free pages still backed, not yet purged (jemalloc dirty, tcmalloc page heap freelist). */
  dirtyBytes?: number;
  /** Free pages lazily purged (MADV_FREE) that the kernel may or may not have reclaimed (jemalloc). */
  muzzyBytes?: number;
  /** The allocator's own bookkeeping (jemalloc `metadata`, tcmalloc "Bytes in malloc metadata"), counted in its resident bytes. */
  metadataBytes?: number;
}

/** One arena (jemalloc `arenas[i]`, glibc `heap nr`): where the memory sits when a process has several. */
export interface ArenaStats extends MemoryFigures {
  /** The producer's name for it: `0`, `1`, … */
  name: string;
  /** Threads attached (jemalloc). */
  threads?: number;
  /** Free bytes held in the arena's bins (glibc: fast + rest, top chunk included). */
  freeBytes?: number;
}

/**
 * One row of a per-size table: an allocator size class (jemalloc bins and
 * large classes, tcmalloc classes, mimalloc bins) or, for glibc, a bucket of
 * its free-chunk histogram.
 */
export interface SizeClassStats {
  /** The class's block size (the bucket's largest size for glibc). */
  sizeBytes: number;
  /** Smallest size of a glibc free-chunk bucket (= sizeBytes for classes). */
  minSizeBytes: number;
  /** Which table: `small` (jemalloc bins), `large` (jemalloc large classes), `class` (tcmalloc), `bin` (mimalloc), `free-chunks` (glibc). */
  table: 'small' | 'large' | 'class' | 'bin' | 'free-chunks';
  /** Live blocks. */
  liveBlocks?: number;
  /** Bytes in live blocks. */
  allocatedBytes?: number;
  /** Free blocks this class holds (in partly used slabs/spans and caches): memory only this class can reuse. */
  freeBlocks?: number;
  /** Bytes in those free blocks. */
  freeBytes?: number;
  /** Live share of the class's slab capacity, 0..1 (jemalloc `util`). */
  utilization?: number;
  /** Slabs holding this class's regions now (jemalloc `curslabs`): empty slabs are returned, so each holds a live region or a cached one. */
  slabs?: number;
  /** Of those, the slabs with a free region (jemalloc `nonfull_slabs`, 5.3). */
  nonfullSlabs?: number;
  /** Regions per slab (jemalloc `nregs`, `regs` in the text). */
  regionsPerSlab?: number;
  /** Bytes of one slab (jemalloc `slab_size`, `pgs` × page size in the text). */
  slabBytes?: number;
}

/** One dump. */
export interface StatsSnapshot extends MemoryFigures {
  /** 0-based position in the file. */
  index: number;
  /** 1-based line where the dump starts. */
  line: number;
  /**
   * When the dump was taken, in seconds. From a `### <seconds>` line before
   * the dump (`timeSource: 'marker'`; any origin, e.g. `date +%s.%N`), or
   * from the producer's own clock (`'producer'`: jemalloc arena uptime,
   * mimalloc elapsed — since the process or arena started).
   */
  timeSec?: number;
  timeSource?: 'marker' | 'producer';
  /** The text after the time on the `###` line, if any. */
  label?: string;
  /** Resident set size of the whole process (/proc VmRSS or smaps_rollup Rss). */
  rssBytes?: number;
  /** Process id, when the dump says. */
  pid?: number;
  arenas: ArenaStats[];
  sizeClasses: SizeClassStats[];
  /** Every number the importer understood, by the producer's (section-qualified) name, in the producer's unit. */
  raw: Record<string, number>;
  /** Non-numeric values (options, versions), by name. */
  settings: Record<string, string>;
}

/** A file of allocator statistics. */
export interface AllocatorStats {
  /** Importer id. */
  format: string;
  allocator: StatsAllocator;
  /** Allocator version when the dump says (jemalloc `Version`, glibc `malloc version`). */
  version?: string;
  /** Display name of the input. */
  file: string;
  /** In file order; at least one. */
  snapshots: StatsSnapshot[];
  warnings: Warning[];
}

/** An importer of allocator statistics: input in, a series of snapshots out. */
export interface StatsImporter {
  readonly id: string;
  readonly kind: 'stats';
  /** One line naming the producer. */
  readonly description: string;
  /** Confidence in [0, 1] that `head` is this format; 0 = not mine. */
  sniff(head: Head): number;
  parse(input: Input, ctx: ParseContext): Promise<AllocatorStats>;
}
