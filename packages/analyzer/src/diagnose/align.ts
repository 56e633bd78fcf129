/**
 * diagnose, step 1: the inputs of one run (allocator statistics, /proc
 * samples, heap profiles) aligned into one series of points, each with the
 * figures the verdict compares — allocated, footprint, unpurged.
 */
import type { AllocatorStats, HeapProfile, StatsAllocator, StatsSnapshot } from '@heapscope/parser';
import { DiagnoseError, type DiagnoseInputs, type DiagnosePoint, type DiagnoseSources, type FootprintKind } from './report.js';

/** Page size for glibc's trimmable estimate (glibc reports no page size). */
const GLIBC_PAGE = 4096;
/**
 * Bytes at the start of a free glibc chunk that malloc_trim(0) keeps: the
 * chunk header and its free-list links (`sizeof (struct malloc_chunk)` on
 * 64-bit); it returns the whole pages after them.
 */
const GLIBC_FREE_CHUNK_HEAD = 48;

/** Which statistics format to use when one allocator's dumps come in two (the richer first). */
const FORMAT_PREFERENCE = ['jemalloc-stats-json', 'jemalloc-stats', 'glibc-malloc-info', 'glibc-malloc-stats', 'tcmalloc-stats', 'mimalloc-stats'];

/** The run's points, aligned, and where each figure came from. */
export interface AlignedRun {
  allocator: StatsAllocator | 'unknown';
  allocatorVersion: string | null;
  /** One per point of the reference series (allocator statistics, else heap profiles, else /proc samples); at least one. */
  series: DiagnosePoint[];
  sources: DiagnoseSources;
  /** The allocator dumps behind the first and last points, when the statistics are the reference. */
  firstSnap: StatsSnapshot | undefined;
  lastSnap: StatsSnapshot | undefined;
  /** The input a "cannot tell" error is about. */
  statsFile: string | undefined;
  warnings: string[];
}

/** A point of one input series before alignment. */
interface RawPoint {
  label: string;
  timeSec?: number;
  marker: boolean;
  snap?: StatsSnapshot;
  allocated?: number;
  rss?: number;
}

/**
 * Aligns the inputs into one series. The reference series is the allocator
 * statistics when there are any, else the heap profiles, else the /proc
 * samples; the others are matched to its points by `###` time when both
 * carry one, else by position in the run (with a warning when the lengths
 * differ).
 */
export function alignRun(inputs: DiagnoseInputs): AlignedRun {
  const warnings: string[] = [];
  const allocStats = inputs.stats.filter((s) => s.allocator !== 'proc');
  const procStats = inputs.stats.filter((s) => s.allocator === 'proc');
  if (allocStats.length === 0 && procStats.length === 0 && inputs.profiles.length === 0) throw new DiagnoseError('no input');

  const allocators = [...new Set(allocStats.map((s) => s.allocator))];
  if (allocators.length > 1) throw new DiagnoseError(`the statistics come from different allocators (${allocators.join(', ')}): give one run's`);
  // Two formats of one allocator are two views of the same dumps, not a longer series.
  const formats = [...new Set(allocStats.map((s) => s.format))];
  let chosen = allocStats;
  if (formats.length > 1) {
    const best = FORMAT_PREFERENCE.find((f) => formats.includes(f)) ?? formats[0];
    chosen = allocStats.filter((s) => s.format === best);
    warnings.push(`${formats.join(' and ')} are two views of the same dumps; using ${best} (${chosen.map((s) => s.file).join(', ')})`);
  }
  const statPoints: RawPoint[] = chosen.flatMap((s) => s.snapshots.map((snap) => pointOf(s, snap)));
  const procPoints: RawPoint[] = procStats.flatMap((s) => s.snapshots.map((snap) => ({ ...pointOf(s, snap), rss: snap.rssBytes })));
  const profilePoints: RawPoint[] = inputs.profiles.map((p) => ({ label: basename(p.meta.file), marker: false, allocated: inUseBytes(p) }));

  warnings.push(...notOneRun(chosen, statPoints), ...notOneRun(procStats, procPoints), ...sameFileTwice(inputs.profiles.map((p) => p.meta.file)));
  const pids = [...new Set(procStats.flatMap((s) => s.snapshots.map((snap) => snap.pid)).filter((pid) => pid !== undefined))];
  if (pids.length > 1) warnings.push(`the /proc samples come from ${pids.length} processes (pids ${pids.join(', ')}): diagnose compares the points of one run of one process`);

  const reference = statPoints.length > 0 ? statPoints : profilePoints.length > 0 ? profilePoints : procPoints;
  const n = reference.length;
  const refName = reference === statPoints ? 'allocator statistics' : reference === profilePoints ? 'heap profiles' : '/proc samples';
  const align = (other: RawPoint[], what: string): (RawPoint | undefined)[] => {
    if (other === reference || other.length === 0) return other === reference ? other : new Array(n).fill(undefined);
    if (other.length !== n) {
      const byTime = reference.every((p) => p.marker) && other.every((p) => p.marker);
      warnings.push(`${what} has ${other.length} points and the ${refName} ${n}: aligned by ${byTime ? 'time' : 'position in the run'}`);
      return reference.map((p, i) => (byTime ? nearestInTime(other, p.timeSec as number) : other[n === 1 ? 0 : Math.round((i * (other.length - 1)) / (n - 1))]));
    }
    return other;
  };
  const procAligned = align(procPoints, 'the /proc series');
  const profilesAligned = align(profilePoints, 'the heap profile series');

  const allocator: StatsAllocator | 'unknown' = allocators[0] ?? profileAllocator(inputs.profiles);
  const allocatorVersion = chosen.find((s) => s.version !== undefined)?.version ?? null;
  // A figure most dumps have is the series' (trends.ts fits over the points that have it).
  const mostHave = (count: number, of: number) => count === of || (count >= 2 && count * 2 > of);
  const allocatedFromStats = statPoints.length > 0 && mostHave(statPoints.filter((p) => p.snap?.allocatedBytes !== undefined).length, statPoints.length);
  const allocatedFromProfiles = !allocatedFromStats && profilePoints.length > 0;

  const series: DiagnosePoint[] = reference.map((ref, i) => {
    const snap = statPoints.length > 0 ? statPoints[i].snap : undefined;
    const allocated = allocatedFromStats ? (snap?.allocatedBytes ?? null) : allocatedFromProfiles ? (profilesAligned[i]?.allocated ?? null) : null;
    const rss = procAligned[i]?.rss ?? snap?.rssBytes ?? null;
    return {
      label: ref.label,
      timeSec: ref.timeSec ?? null,
      allocated,
      resident: snap?.residentBytes ?? null,
      rss,
      mapped: snap?.mappedBytes ?? null,
      footprint: null,
      heap: null,
      metadata: snap?.metadataBytes ?? null,
      unpurged: null,
      ratio: null,
    };
  });
  const kinds = ['resident', 'rss', 'mapped'] as const;
  const known = (k: (typeof kinds)[number]) => series.filter((p) => p[k] !== null).length;
  const footprintKind = kinds.find((k) => mostHave(known(k), n)) ?? null;
  for (let i = 0; i < n; i++) {
    const p = series[i];
    p.footprint = footprintKind ? p[footprintKind] : null;
    p.heap = heapOf(allocator, p);
    p.unpurged = unpurgedOf(allocator, statPoints[i]?.snap, p);
    p.ratio = p.allocated !== null && p.footprint !== null && p.footprint > 0 ? p.allocated / p.footprint : null;
  }

  const hasRss = series.every((p) => p.rss !== null);
  const sources: DiagnoseSources = {
    allocated: allocatedFromStats ? chosen.map((s) => s.file).join(', ') : allocatedFromProfiles ? `${inputs.profiles.length} heap profiles (in-use bytes)` : null,
    footprint: footprintKind === 'rss' ? sourceOfRss(procStats, chosen) : footprintKind ? chosen.map((s) => s.file).join(', ') : null,
    footprintKind,
    rss: hasRss ? sourceOfRss(procStats, chosen) : null,
    profiles: inputs.profiles.length,
  };
  return {
    allocator,
    allocatorVersion,
    series,
    sources,
    firstSnap: statPoints[0]?.snap,
    lastSnap: statPoints[statPoints.length - 1]?.snap,
    statsFile: chosen[0]?.file ?? procStats[0]?.file,
    warnings,
  };
}

/**
 * Figures that never decrease within one run: the dump's time (a `###`
 * line's, or the producer's clock — jemalloc's arena uptime, mimalloc's
 * `elapsed`), glibc's high-water marks (malloc_stats' max mmap bytes,
 * malloc_info's max system bytes) and tcmalloc's virtual address space
 * (gperftools returns freed pages with madvise and keeps their addresses:
 * its own dump says released bytes "take up virtual address space"). One
 * going back from a dump to the next means the series holds more than one
 * run (two runs' dumps appended to one file, a file given twice), whose
 * points a trend would mix: a leak read twice looks like a step, not a rise.
 */
const NEVER_DECREASING: readonly [string, (snap: StatsSnapshot) => number | undefined][] = [
  ['the time', (snap) => snap.timeSec],
  ["glibc's max mmap bytes", (snap) => snap.raw['total.max mmap bytes']],
  ["glibc's max system bytes", (snap) => snap.raw['malloc.system.max.size']],
  ["tcmalloc's virtual address space", (snap) => snap.raw['Virtual address space used']],
];

/** Warnings for a series (the points of `stats`, in order) that is not one run of one process. */
function notOneRun(stats: readonly AllocatorStats[], points: readonly RawPoint[]): string[] {
  const warnings = sameFileTwice(stats.map((s) => s.file));
  // A file given twice goes back where it starts again: that is said already.
  if (warnings.length > 0) return warnings;
  for (const [what, figure] of NEVER_DECREASING) {
    for (let i = 1; i < points.length; i++) {
      const [before, after] = [figure(points[i - 1].snap as StatsSnapshot), figure(points[i].snap as StatsSnapshot)];
      if (before === undefined || after === undefined || after >= before) continue;
      warnings.push(`${what} goes back from ${points[i - 1].label} (${before}) to ${points[i].label} (${after}): these are not the dumps of one run (two runs in one file, or a file given twice?); diagnose compares the points of one run`);
      return warnings;
    }
  }
  return warnings;
}

function sameFileTwice(files: readonly string[]): string[] {
  const twice = files.filter((f, i) => files.indexOf(f) !== i);
  return [...new Set(twice)].map((f) => `${f} is given more than once: its points are counted twice`);
}

function pointOf(s: AllocatorStats, snap: StatsSnapshot): RawPoint {
  const label = snap.label ?? `${basename(s.file)}#${snap.index + 1}`;
  const p: RawPoint = { label, marker: snap.timeSource === 'marker', snap };
  if (snap.timeSec !== undefined) p.timeSec = snap.timeSec;
  return p;
}

function basename(path: string): string {
  return path.replace(/.*\//, '');
}

function nearestInTime(points: RawPoint[], t: number): RawPoint | undefined {
  let best: RawPoint | undefined;
  for (const p of points) if (!best || Math.abs((p.timeSec as number) - t) < Math.abs((best.timeSec as number) - t)) best = p;
  return best;
}

/** In-use bytes of a heap profile (its inuse_space total). */
function inUseBytes(p: HeapProfile): number | undefined {
  const t = p.sampleTypeIndex('inuse_space');
  return t < 0 ? undefined : p.total(t);
}

function profileAllocator(profiles: readonly HeapProfile[]): StatsAllocator | 'unknown' {
  const f = profiles[0]?.meta.format;
  return f === 'jemalloc' ? 'jemalloc' : f === 'gperftools' ? 'tcmalloc' : 'unknown';
}

function sourceOfRss(proc: readonly AllocatorStats[], chosen: readonly AllocatorStats[]): string {
  return (proc.length > 0 ? proc : chosen).map((s) => s.file).join(', ');
}

/**
 * What the allocator's heap holds at a point, as far as the inputs bound it:
 * the figure the level of waste is judged on, with or without a trend.
 * - The allocator's resident bytes, when it reports them (jemalloc,
 *   tcmalloc).
 * - glibc reports none. Its mapped bytes (arena system bytes and mmapped
 *   chunks) grow only as it hands memory out, so they are touched memory,
 *   except the pages malloc_trim(0) returned from inside free chunks,
 *   which stay counted; RSS bounds those, but holds the binary, libraries
 *   and thread stacks too. Each is an upper bound of the heap's resident
 *   bytes: the smaller one.
 * - mimalloc's committed bytes need not be resident (it commits whole
 *   segments), and RSS alone holds more than the heap: nothing bounds it.
 */
function heapOf(allocator: StatsAllocator | 'unknown', p: DiagnosePoint): number | null {
  if (p.resident !== null) return p.resident;
  if (allocator === 'glibc' && p.mapped !== null) return p.rss !== null ? Math.min(p.mapped, p.rss) : p.mapped;
  return null;
}

/**
 * Free pages the allocator has not returned, per point: jemalloc's dirty and
 * muzzy pages, tcmalloc's page heap free list (both read as `dirty`);
 * mimalloc's footprint beyond its pages in use (`touched`, stat builds);
 * glibc's whole pages inside free chunks, which malloc_trim(0) returns
 * ({@link glibcTrimmableBytes}).
 */
function unpurgedOf(allocator: StatsAllocator | 'unknown', snap: StatsSnapshot | undefined, p: DiagnosePoint): number | null {
  if (!snap) return null;
  if (snap.dirtyBytes !== undefined) return snap.dirtyBytes + (snap.muzzyBytes ?? 0);
  if (snap.activeBytes !== undefined && p.footprint !== null) return Math.max(0, p.footprint - snap.activeBytes);
  if (allocator === 'glibc') {
    const trimmable = glibcTrimmableBytes(snap);
    if (trimmable === null) return null;
    // Pages malloc_trim(0) already returned stay in their free chunks and in the mapped bytes, but not in
    // RSS: what is mapped beyond RSS cannot be returned again (RSS holding more than the heap, this takes
    // off less than it might).
    const gone = p.mapped !== null && p.rss !== null ? Math.max(0, p.mapped - p.rss) : 0;
    return Math.max(0, trimmable - gone);
  }
  return null;
}

/**
 * glibc: the whole pages inside free chunks that malloc_trim(0) returns, an
 * estimate from malloc_info's free-chunk histogram (null for malloc_stats,
 * which has none). For each free chunk in the unsorted and the regular
 * bins, malloc_trim returns the whole pages after its first
 * {@link GLIBC_FREE_CHUNK_HEAD} bytes: for a chunk of S bytes at a random
 * alignment, S − 48 − 4096 bytes on average (nothing below a page plus the
 * head). A histogram row gives the count and total of its chunks, not each
 * size, so a row is credited total − count × (4096 + 48): exact on average
 * when all its chunks hold a page, less when some are smaller.
 * Fast-bin chunks (up to 128 bytes) are never that large: malloc_trim
 * merges neighbouring ones first, but the histogram does not say which are
 * neighbours, so they count for nothing here (the evidence names them).
 */
function glibcTrimmableBytes(snap: StatsSnapshot): number | null {
  if (snap.raw['malloc.system.current.size'] === undefined) return null;
  let total = 0;
  for (const c of snap.sizeClasses) {
    if (c.table !== 'free-chunks') continue;
    total += Math.max(0, (c.freeBytes ?? 0) - (c.freeBlocks ?? 0) * (GLIBC_PAGE + GLIBC_FREE_CHUNK_HEAD));
  }
  return total;
}
