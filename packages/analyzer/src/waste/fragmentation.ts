/**
 * Fragmentation per call site: the free memory in partly used slabs that
 * each call site's live objects pin.
 *
 * Inputs: a heap dump and the allocator's statistics taken at the same
 * moment (jemalloc: a `heap_v2` dump and `malloc_stats_print` text or JSON;
 * tcmalloc: a gperftools heap profile and `GetStats` text). For each site:
 *
 * 1. Its objects' size classes, from the dump's average size per stack and
 *    thread (`row-class.ts`; a row whose average is no class is spread over
 *    two classes chosen with the statistics' room per class, `mixed-sizes.ts`).
 * 2. The regions those objects take in each bin. A jemalloc dump that was
 *    sampled has its sampled small objects outside the bins (jemalloc
 *    allocates a sampled small object as a page-sized extent), so of N
 *    objects of Z bytes, N·e^(−Z/R) are expected in the bin.
 * 3. Each bin's utilization (regions in use ÷ regions in its slabs), and its
 *    free bytes shared among the sites with regions there, in proportion to
 *    their regions: a site's pinned bytes. Regions of the bin that no site
 *    accounts for (allocations the dump did not sample, or made before the
 *    profiler started) keep their share as `unattributedBytes`, so the pinned
 *    bytes of all sites never exceed the allocator's own unused bin bytes.
 *
 * Assumptions (docs/analyses.md, "Fragmentation per call site"): a bin's free
 * regions are pinned by its live regions alike, whichever slab they are in
 * (the dump does not say which slab holds which object); the dump and the
 * statistics describe the same moment; thread caches were flushed before the
 * statistics were printed (else their regions count as in use). Sites rank by
 * pinned bytes; with a sampled dump each site's regions, and so its pinned
 * bytes, carry a standard error (sampling-error.ts).
 */
import type { AllocatorStats, HeapProfile, Sampling } from '@heapscope/parser';
import { SiteIndex, type SiteOptions } from '../sites.js';
import { rowVariance, sampledProbability } from '../sampling-error.js';
import { binTable, type AllocatorBin, type BinTable, type BinnedAllocator } from './bins.js';
import { classBelow, spreadOverRoom, type Placement } from './mixed-sizes.js';
import { rowClass } from './row-class.js';

export interface FragmentationOptions extends SiteOptions {
  /** Which dump of the statistics file, 0-based (default: the last). */
  snapshot?: number;
  /** Keep the first n sites (all when absent). */
  limit?: number;
}

/** A site's regions in one bin. */
export interface SiteBin {
  /** The bin's size class (bytes). */
  sizeBytes: number;
  /** Regions of the bin the site's objects take (estimated: fractional). */
  regions: number;
  /** Their standard error, for a sampled dump (0 when exact). */
  regionsStderr: number;
  /** The bin's utilization: regions in use ÷ regions of its slabs (tcmalloc: in use ÷ (in use + free)). */
  utilization: number;
  /** The site's share of the bin's free bytes. */
  pinnedBytes: number;
}

/** One call site. */
export interface FragmentationSite {
  name: string;
  /** Live objects and bytes (the dump's unsampled values). */
  liveObjects: number;
  liveBytes: number;
  /** Its stacks mix size classes (an average that is no class); `spread` says how they were placed. */
  mixedSizes: boolean;
  /** `bins`: over two classes chosen with the statistics' room; `average`: all in the class of the average (nothing better known). */
  spread: 'none' | 'bins' | 'average';
  bins: SiteBin[];
  /** Objects in classes without a bin (jemalloc large extents, tcmalloc pages): nothing shared, nothing pinned. */
  unbinnedObjects: number;
  unbinnedBytes: number;
  pinnedBytes: number;
  pinnedStderr: number;
}

/** One bin of the report. */
export interface FragmentationBin {
  sizeBytes: number;
  /** Regions in use: the allocator's count (jemalloc), or the sites' (tcmalloc). */
  liveRegions: number;
  freeRegions: number;
  freeBytes: number;
  utilization: number;
  slabs?: number;
  regionsPerSlab?: number;
  /** Regions the sites account for. */
  siteRegions: number;
  /** Free bytes shared to no site (regions no site accounts for). */
  unattributedBytes: number;
  sites: number;
}

/** The report (JSON-serializable; contract in docs/cli.md, "heapscope waste"). */
export interface FragmentationReport {
  allocator: BinnedAllocator;
  /** The heap dump and statistics files, and which statistics dump (0-based). */
  profile: string;
  stats: string;
  snapshot: number;
  sampling: Sampling;
  /** What the statistics lack for this account, one sentence each (empty for jemalloc). */
  missing: string[];
  /** Sites with objects in a bin or beyond, most pinned bytes first. */
  sites: FragmentationSite[];
  siteCount: number;
  /** Bins that hold regions, smallest class first. */
  bins: FragmentationBin[];
  totals: {
    /** Pinned bytes of all sites (≤ unusedBinBytes). */
    pinnedBytes: number;
    /** The allocator's own free bytes in its bins. */
    unusedBinBytes: number;
    /** Free bytes of bins shared to no site. */
    unattributedBytes: number;
    liveBytes: number;
  };
  /** Facts about the inputs that weaken the estimate. */
  warnings: string[];
}

/** The inputs do not fit together (wrong allocator, no in-use values). */
export class FragmentationInputError extends Error {}

interface SiteAccount {
  liveObjects: number;
  liveBytes: number;
  mixed: boolean;
  spread: FragmentationSite['spread'];
  /** class → [regions, variance of regions] */
  regions: Map<number, [number, number]>;
  unbinnedObjects: number;
  unbinnedBytes: number;
}

/** Pinned bytes per call site: `profile` (heap dump) joined with `stats` (the allocator's statistics from the same moment). */
export function siteFragmentation(profile: HeapProfile, stats: AllocatorStats, options: FragmentationOptions = {}): FragmentationReport {
  const table = binTable(stats, options.snapshot);
  checkPairing(profile, table.allocator, stats.file);
  const objects = profile.samples.values[profile.sampleTypeIndex('inuse_objects')];
  const space = profile.samples.values[profile.sampleTypeIndex('inuse_space')];
  if (!objects || !space) throw new FragmentationInputError(`${profile.meta.file}: no in-use objects and bytes to place in bins`);
  const { sampling } = profile.meta;
  // jemalloc allocates a sampled small object as a page-sized extent: it is not in the bin.
  const inBinShare = (classBytes: number) => (table.allocator === 'jemalloc' && table.binned(classBytes) ? 1 - sampledProbability(sampling, classBytes) : 1);
  const sites = new SiteIndex(profile, { ...options, by: options.by ?? 'function' });
  const accounts = new Map<string, SiteAccount>();
  const accountOf = (name: string) => {
    let a = accounts.get(name);
    if (!a) accounts.set(name, (a = { liveObjects: 0, liveBytes: 0, mixed: false, spread: 'none', regions: new Map(), unbinnedObjects: 0, unbinnedBytes: 0 }));
    return a;
  };
  const place = (account: SiteAccount, p: Placement, rowObjects: number, rowBytes: number) => {
    if (!table.binned(p.classBytes)) {
      account.unbinnedObjects += p.objects;
      account.unbinnedBytes += p.objects * p.classBytes;
      return;
    }
    const share = inBinShare(p.classBytes);
    // The placement's part of the row's variance, in objects: the row's object-count variance scaled to its part.
    const variance = rowVariance(sampling, rowObjects, rowBytes, 'objects') * (p.objects / rowObjects) * share * share;
    const r = account.regions.get(p.classBytes) ?? [0, 0];
    account.regions.set(p.classBytes, [r[0] + p.objects * share, r[1] + variance]);
  };

  // Rows of one class first; mixed rows after, into the room those leave.
  const mixedRows: { account: SiteAccount; count: number; bytes: number }[] = [];
  for (let i = 0; i < profile.samples.length; i++) {
    const count = objects[i];
    const bytes = space[i];
    if (!(count > 0) || !(bytes > 0)) continue;
    const keys = sites.sampleKeys(i);
    if (keys === null || keys.length === 0) continue;
    const account = accountOf(sites.names[keys[0]]);
    account.liveObjects += count;
    account.liveBytes += bytes;
    const cls = rowClass(table.allocator, sampling, count, bytes, table.classOf);
    if (cls !== null) place(account, { classBytes: cls, objects: count }, count, bytes);
    else {
      account.mixed = true;
      mixedRows.push({ account, count, bytes });
    }
  }
  if (mixedRows.length > 0) spreadMixed(mixedRows, table, accounts, inBinShare, place);

  return report(profile, stats, table, accounts, options);
}

/** The dump and the statistics must come from the same allocator. */
function checkPairing(profile: HeapProfile, allocator: BinnedAllocator, statsFile: string): void {
  const format = profile.meta.format;
  const ok = allocator === 'jemalloc' ? format === 'jemalloc' : format === 'gperftools';
  if (!ok) {
    const want = allocator === 'jemalloc' ? 'a jemalloc heap_v2 dump' : 'a gperftools heap profile';
    throw new FragmentationInputError(`${profile.meta.file} is a ${format} profile, but ${statsFile} holds ${allocator} statistics: they need ${want} of the same process`);
  }
}

/**
 * Places the mixed rows, largest first. jemalloc: over the bins' room (regions in use
 * the single-class rows leave unexplained). tcmalloc's statistics have no regions in
 * use per class, so a mixed row there goes to the class of its average.
 */
function spreadMixed(
  rows: { account: SiteAccount; count: number; bytes: number }[],
  table: BinTable,
  accounts: Map<string, SiteAccount>,
  inBinShare: (classBytes: number) => number,
  place: (account: SiteAccount, p: Placement, rowObjects: number, rowBytes: number) => void,
): void {
  rows.sort((a, b) => b.bytes - a.bytes);
  if (table.allocator !== 'jemalloc') {
    for (const { account, count, bytes } of rows) {
      account.spread = 'average';
      place(account, { classBytes: table.classOf(bytes / count), objects: count }, count, bytes);
    }
    return;
  }
  // Large classes are left out of the room: sampled small objects inflate their counts.
  const room = new Map<number, number>();
  for (const [size, bin] of table.bins) room.set(size, bin.liveRegions ?? 0);
  for (const a of accounts.values()) for (const [c, [r]] of a.regions) room.set(c, (room.get(c) ?? 0) - r);
  for (const { account, count, bytes } of rows) {
    const upper = table.classOf(bytes / count);
    const lower = classBelow(upper, table.classOf) ?? upper;
    const placements = spreadOverRoom(count, bytes, [lower, upper], room, (c, n) => n * inBinShare(c));
    account.spread = 'bins';
    for (const p of placements) {
      // Each placement is a part of the row: its variance goes with its share of the row's objects.
      place(account, p, count, bytes);
      if (room.has(p.classBytes)) room.set(p.classBytes, (room.get(p.classBytes) as number) - p.objects * inBinShare(p.classBytes));
    }
  }
}

function report(profile: HeapProfile, stats: AllocatorStats, table: BinTable, accounts: Map<string, SiteAccount>, options: FragmentationOptions): FragmentationReport {
  const warnings: string[] = [];
  // Per bin: the sites' regions, and the denominator their shares are taken of.
  const siteRegions = new Map<number, number>();
  const siteCount = new Map<number, number>();
  for (const a of accounts.values()) {
    for (const [c, [r]] of a.regions) {
      siteRegions.set(c, (siteRegions.get(c) ?? 0) + r);
      siteCount.set(c, (siteCount.get(c) ?? 0) + 1);
    }
  }
  const liveOf = (c: number, bin: AllocatorBin | undefined) => bin?.liveRegions ?? siteRegions.get(c) ?? 0;
  const shareBase = (c: number, bin: AllocatorBin | undefined) => Math.max(liveOf(c, bin), siteRegions.get(c) ?? 0);
  const utilization = (c: number, bin: AllocatorBin | undefined) => {
    if (!bin) return 1;
    const live = liveOf(c, bin);
    return live + bin.freeRegions > 0 ? live / (live + bin.freeRegions) : 0;
  };
  const overCounted: string[] = [];
  for (const [c, r] of siteRegions) {
    const bin = table.bins.get(c);
    if (bin?.liveRegions !== undefined && r > bin.liveRegions * 1.25 + 4) overCounted.push(`${c}`);
    if (!bin && table.allocator === 'jemalloc' && r > 4) overCounted.push(`${c}`);
  }
  if (overCounted.length > 0) {
    warnings.push(`the dump places more objects in bins ${overCounted.slice(0, 8).join(', ')} (bytes) than the statistics count there: were they taken at different moments, or is the dump sampled coarsely?`);
  }

  const siteRows: FragmentationSite[] = [];
  for (const [name, a] of accounts) {
    const bins: SiteBin[] = [];
    let pinned = 0;
    let pinnedVariance = 0;
    for (const [c, [regions, variance]] of [...a.regions].sort((x, y) => x[0] - y[0])) {
      const bin = table.bins.get(c);
      const base = shareBase(c, bin);
      const free = bin?.freeBytes ?? 0;
      const pinnedBytes = base > 0 ? (free * regions) / base : 0;
      pinned += pinnedBytes;
      if (base > 0) pinnedVariance += variance * (free / base) ** 2;
      bins.push({ sizeBytes: c, regions, regionsStderr: Math.sqrt(variance), utilization: utilization(c, bin), pinnedBytes });
    }
    siteRows.push({
      name,
      liveObjects: a.liveObjects,
      liveBytes: a.liveBytes,
      mixedSizes: a.mixed,
      spread: a.spread,
      bins,
      unbinnedObjects: a.unbinnedObjects,
      unbinnedBytes: a.unbinnedBytes,
      pinnedBytes: pinned,
      pinnedStderr: Math.sqrt(pinnedVariance),
    });
  }
  siteRows.sort((x, y) => y.pinnedBytes - x.pinnedBytes || y.liveBytes - x.liveBytes || (x.name < y.name ? -1 : 1));

  const bins: FragmentationBin[] = [...new Set([...table.bins.keys(), ...siteRegions.keys()])]
    .filter((c) => table.binned(c))
    .sort((x, y) => x - y)
    .map((c) => {
      const bin = table.bins.get(c);
      const base = shareBase(c, bin);
      const attributed = siteRegions.get(c) ?? 0;
      const free = bin?.freeBytes ?? 0;
      const row: FragmentationBin = {
        sizeBytes: c,
        liveRegions: liveOf(c, bin),
        freeRegions: bin?.freeRegions ?? 0,
        freeBytes: free,
        utilization: utilization(c, bin),
        siteRegions: attributed,
        unattributedBytes: base > 0 ? (free * (base - attributed)) / base : free,
        sites: siteCount.get(c) ?? 0,
      };
      if (bin?.slabs !== undefined) row.slabs = bin.slabs;
      if (bin?.regionsPerSlab !== undefined) row.regionsPerSlab = bin.regionsPerSlab;
      return row;
    });
  const pinnedTotal = siteRows.reduce((s, r) => s + r.pinnedBytes, 0);
  const sum = (f: (b: FragmentationBin) => number) => bins.reduce((s, b) => s + f(b), 0);
  return {
    allocator: table.allocator,
    profile: profile.meta.file,
    stats: stats.file,
    snapshot: table.snapshot,
    sampling: profile.meta.sampling,
    missing: table.missing,
    sites: options.limit !== undefined ? siteRows.slice(0, options.limit) : siteRows,
    siteCount: siteRows.length,
    bins,
    totals: {
      pinnedBytes: pinnedTotal,
      unusedBinBytes: table.unusedBinBytes,
      unattributedBytes: sum((b) => b.unattributedBytes),
      liveBytes: siteRows.reduce((s, r) => s + r.liveBytes, 0),
    },
    warnings,
  };
}
