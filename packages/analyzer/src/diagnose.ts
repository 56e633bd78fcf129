/**
 * `diagnose`: is a process's memory growth a leak, fragmentation, retained
 * (unpurged) pages, or nothing? From allocator statistics, /proc samples and
 * heap profiles of one run.
 *
 * The method, in short (docs/diagnose.md has the long form):
 * - Two series matter: *allocated* — what the program holds (the
 *   allocator's allocated bytes, or the heap profiles' in-use totals) — and
 *   the *footprint* — what the allocator (or the process) holds: the
 *   allocator's resident bytes, else RSS, else its mapped bytes.
 * - Each gets a least-squares line over the points; its *rise* is the
 *   line's slope times the span (robust to one odd point, unlike last −
 *   first). A rise counts when it exceeds {@link DEFAULT_MIN_GROWTH_BYTES}
 *   and {@link DEFAULT_MIN_GROWTH_SHARE} of the starting footprint.
 * - **leak**: allocated rises, steadily (r² ≥ {@link STEADY_R2}). The
 *   program holds more; heap profiles name the sites.
 * - **fragmentation** / **retained**: allocated does not rise but the
 *   footprint does: the allocator holds memory the program does not use
 *   (the *waste*, footprint − allocated). When most of the waste's rise is
 *   in free pages the allocator has not returned yet (jemalloc dirty and
 *   muzzy pages, tcmalloc's page heap free list, mimalloc committed memory
 *   outside its pages in use, glibc free chunks malloc_trim could release)
 *   it is **retained**: a purge or decay setting returns it. Otherwise it
 *   is **fragmentation**: free space scattered inside pages that still hold
 *   live blocks, which only different allocation patterns (or allocator
 *   settings that segregate them) cure.
 * - **healthy**: neither rises over two or more points (and, from the
 *   allocator's own figures, the waste is not most of its footprint).
 * - **inconclusive**: one point (a single dump shows no trend), or no figure
 *   to judge at all. A single dump still gets fragmentation / retained when
 *   the allocator's own resident bytes are mostly waste
 *   ({@link HIGH_WASTE_SHARE}): that much is decisive without a trend.
 *
 * The report names where the waste sits (arenas, size classes) when the
 * statistics say, and the knobs of the allocator in use. Nothing here
 * prints; messages state facts.
 */
import type { AllocatorStats, HeapProfile, SizeClassStats, StatsAllocator, StatsSnapshot } from '@heapscope/parser';
import { growth, linearFit } from './growth.js';
import type { SiteOptions } from './sites.js';
import { formatBytes } from './units.js';

/** The verdicts (JSON contract). */
export type Verdict = 'leak' | 'fragmentation' | 'retained' | 'healthy' | 'inconclusive';

/** Below this, a rise is noise (bytes). */
export const DEFAULT_MIN_GROWTH_BYTES = 1024 * 1024;
/** …and below this share of the starting footprint. Why: RSS and resident wobble by a few percent with caches and thread stacks. */
export const DEFAULT_MIN_GROWTH_SHARE = 0.1;
/** A rise this well fitted by a line is steady growth, not a one-off step (warm-up). */
export const STEADY_R2 = 0.5;
/** A part that explains at least this share of a rise is the cause. */
export const EXPLAINED_SHARE = 0.5;
/** From a single dump (no trend), waste above this share of the footprint is worth a verdict. */
export const HIGH_WASTE_SHARE = 0.5;
/** Why mimalloc release builds cannot answer (the same words for one dump and for a growing series). */
const MIMALLOC_NO_STAT = 'mimalloc release builds count no allocations (MI_STAT=0)';
const MIMALLOC_NO_STAT_HINT = `${MIMALLOC_NO_STAT}: use a build with MI_STAT=1 or give heap profiles`;
/** Page size for glibc's trimmable estimate (glibc reports no page size). */
const GLIBC_PAGE = 4096;

/** The inputs cannot answer the question (for example: no allocated bytes anywhere and the footprint climbs). */
export class DiagnoseError extends Error {
  override readonly name = 'DiagnoseError';
  constructor(
    message: string,
    /** The input the problem is about, when there is one. */
    readonly file?: string,
  ) {
    super(message);
  }
}

export interface DiagnoseInputs {
  /** Allocator statistics and /proc samples, each a series, in the order given. */
  stats: readonly AllocatorStats[];
  /** Heap profiles of the same run, in series order. */
  profiles: readonly HeapProfile[];
}

export interface DiagnoseOptions extends SiteOptions {
  minGrowthBytes?: number;
  minGrowthShare?: number;
  /** How many growing call sites to name. */
  sites?: number;
}

/** One point of the series (JSON contract: allocated, resident, rss; null = not known). */
export interface DiagnosePoint {
  /** Where the point comes from: `file#n` or the `###` line's label. */
  label: string;
  /** Seconds, when the reference series has times. */
  timeSec: number | null;
  /** Bytes the program holds. */
  allocated: number | null;
  /** The allocator's resident bytes. */
  resident: number | null;
  /** The process's resident set. */
  rss: number | null;
  /** The allocator's mapped (mimalloc: committed) bytes. */
  mapped: number | null;
  /** What the verdict compares allocated with: resident, else RSS, else mapped. */
  footprint: number | null;
  /** Free pages not yet returned (see the module comment), when known. */
  unpurged: number | null;
  /** allocated / footprint. */
  ratio: number | null;
}

/** A series' line fit. */
export interface Trend {
  first: number;
  last: number;
  min: number;
  max: number;
  /** Least-squares slope, bytes per point. */
  slope: number;
  r2: number;
  /** slope × (points − 1): the rise the line says. */
  rise: number;
}

/** Where waste sits: an arena or a size class, at the first and last point. */
export interface WasteRow {
  name: string;
  firstBytes: number;
  lastBytes: number;
  /** Live share of the row's capacity at the last point, when known. */
  utilization?: number;
}

/** A setting that moves the verdict, for the allocator in use. */
export interface Knob {
  /** The setting (environment variable, option, call). */
  name: string;
  /** Its value in the dump, when the dump says. */
  current?: string;
  /** What it does here. */
  effect: string;
}

/** A growing call site (from the heap profiles). */
export interface DiagnoseSite {
  name: string;
  delta: number;
  slope: number;
  r2: number;
}

/** The report (JSON contract: verdict, evidence, series). */
export interface DiagnoseReport {
  verdict: Verdict;
  /** One line. */
  summary: string;
  /** Facts behind the verdict, most important first. */
  evidence: string[];
  allocator: StatsAllocator | 'unknown';
  allocatorVersion: string | null;
  /** Which input each series comes from. */
  sources: { allocated: string | null; footprint: string | null; footprintKind: 'resident' | 'rss' | 'mapped' | null; rss: string | null; profiles: number };
  points: number;
  series: DiagnosePoint[];
  trends: { allocated: Trend | null; footprint: Trend | null; waste: Trend | null; unpurged: Trend | null; rss: Trend | null };
  /** Rise below which a series counts as flat (bytes). */
  thresholdBytes: number;
  waste: { arenas: WasteRow[]; sizeClasses: WasteRow[] };
  sites: DiagnoseSite[];
  knobs: Knob[];
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

const FORMAT_PREFERENCE = ['jemalloc-stats-json', 'jemalloc-stats', 'glibc-malloc-info', 'glibc-malloc-stats', 'tcmalloc-stats', 'mimalloc-stats'];

/** Diagnoses one run from its statistics, /proc samples and heap profiles. */
export function diagnose(inputs: DiagnoseInputs, options: DiagnoseOptions = {}): DiagnoseReport {
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
  const version = chosen.find((s) => s.version !== undefined)?.version ?? null;
  const allocatedFromStats = statPoints.length > 0 && statPoints.every((p) => p.snap?.allocatedBytes !== undefined);
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
      unpurged: null,
      ratio: null,
    };
  });
  const footprintKind = (['resident', 'rss', 'mapped'] as const).find((k) => series.every((p) => p[k] !== null)) ?? null;
  for (let i = 0; i < n; i++) {
    const p = series[i];
    p.footprint = footprintKind ? p[footprintKind] : null;
    p.unpurged = unpurgedOf(allocator, statPoints[i]?.snap, p.footprint);
    p.ratio = p.allocated !== null && p.footprint !== null && p.footprint > 0 ? p.allocated / p.footprint : null;
  }

  const trendOf = (values: (number | null)[]): Trend | null => (values.length > 0 && values.every((v) => v !== null) ? trend(values as number[]) : null);
  const A = trendOf(series.map((p) => p.allocated));
  const F = trendOf(series.map((p) => p.footprint));
  const W = A && F ? trendOf(series.map((p) => (p.footprint as number) - (p.allocated as number))) : null;
  const U = trendOf(series.map((p) => p.unpurged));
  const R = trendOf(series.map((p) => p.rss));
  const base = Math.max(F?.first ?? 0, A?.first ?? 0);
  const threshold = Math.max(options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES, (options.minGrowthShare ?? DEFAULT_MIN_GROWTH_SHARE) * base);
  const sources = {
    allocated: allocatedFromStats ? chosen.map((s) => s.file).join(', ') : allocatedFromProfiles ? `${inputs.profiles.length} heap profiles (in-use bytes)` : null,
    footprint: footprintKind === 'rss' ? sourceOfRss(procStats, chosen) : footprintKind ? chosen.map((s) => s.file).join(', ') : null,
    footprintKind,
    rss: R ? sourceOfRss(procStats, chosen) : null,
    profiles: inputs.profiles.length,
  };

  // Sites from the heap profiles.
  let sites: DiagnoseSite[] = [];
  if (inputs.profiles.length >= 2) {
    const g = growth(inputs.profiles, { ...options, sampleType: 'inuse_space' });
    sites = g.rows
      .filter((r) => r.score > 0 && r.r2 >= STEADY_R2 && r.delta > 0 && !r.withinNoise)
      .slice(0, options.sites ?? 5)
      .map((r) => ({ name: r.name, delta: r.delta, slope: r.slope, r2: r.r2 }));
  }

  // Where the waste sits, from the first and last dumps.
  const firstSnap = statPoints[0]?.snap;
  const lastSnap = statPoints[statPoints.length - 1]?.snap;
  const waste = { arenas: arenaWaste(firstSnap, lastSnap), sizeClasses: classWaste(firstSnap, lastSnap) };

  // The verdict.
  const fpName = footprintKind === 'rss' ? 'RSS' : footprintKind === 'mapped' ? (allocator === 'mimalloc' ? 'committed' : 'mapped') : 'resident';
  const evidence: string[] = [];
  if (A) evidence.push(`allocated: ${describe(A, n)}`);
  else evidence.push(allocator === 'mimalloc' ? `allocated: not known; ${MIMALLOC_NO_STAT}` : 'allocated: not known (no allocation counters in these inputs)');
  if (F) evidence.push(`${fpName}: ${describe(F, n)}`);
  else evidence.push('footprint: not known (no resident, RSS or mapped figures in these inputs)');
  if (R && footprintKind !== 'rss') evidence.push(`RSS: ${describe(R, n)}`);
  const firstRatio = series[0]?.ratio;
  const lastRatio = series[n - 1]?.ratio;
  if (firstRatio != null && lastRatio != null) evidence.push(`allocated/${fpName}: ${n < 2 ? pct(firstRatio) : `${pct(firstRatio)} → ${pct(lastRatio)}`}`);
  if (n === 2) evidence.push('two points: any change fits a line (r²=1); more dumps tell steady growth from a step');

  let verdict: Verdict = 'healthy';
  let summary: string;
  const rising = (t: Trend | null) => t !== null && n >= 2 && t.rise > threshold;
  // Only the allocator's resident figure is comparable with allocated bytes when nothing grows: RSS holds
  // the binary, libraries and stacks too, and mapped (mimalloc: committed) memory need not be resident.
  const ownFootprint = footprintKind === 'resident';
  if (A && rising(A) && A.r2 >= STEADY_R2) {
    verdict = 'leak';
    summary = `leak: allocated grew ${formatBytes(A.rise)} (${formatBytes(A.slope)} per point, r²=${A.r2.toFixed(2)})`;
    if (F) evidence.push(`allocated accounts for ${share(A.rise, F.rise)} of the ${fpName} growth (${formatBytes(F.rise)})`);
    if (W && rising(W)) evidence.push(`the waste (${fpName} − allocated) grew too: ${formatBytes(W.rise)}`);
  } else if (F && rising(F)) {
    if (!A) {
      const hint = allocator === 'mimalloc' ? MIMALLOC_NO_STAT_HINT : 'give the allocator statistics or heap profiles of the same run';
      throw new DiagnoseError(`${fpName} grew ${formatBytes(F.rise)} over ${n} points, but these inputs do not say how much the program itself holds, so a leak cannot be told from fragmentation; ${hint}`, chosen[0]?.file ?? procStats[0]?.file);
    }
    if (W && rising(W)) {
      const wasteRise = W.rise;
      verdict = U && U.rise >= EXPLAINED_SHARE * wasteRise ? 'retained' : 'fragmentation';
      summary = `${verdict}: ${fpName} grew ${formatBytes(F.rise)} while allocated grew ${formatBytes(Math.max(A.rise, 0))}`;
      evidence.push(`the waste (${fpName} − allocated) grew ${formatBytes(wasteRise)}; allocated explains ${share(Math.max(A.rise, 0), F.rise)} of the ${fpName} growth`);
    } else {
      // The footprint followed allocated bytes: a step (warm-up, a cache filling), or growth below the threshold.
      const step = A.r2 < STEADY_R2;
      summary = step
        ? `healthy: ${fpName} rose ${formatBytes(F.rise)} with allocated, as a step rather than steady growth`
        : `healthy: ${fpName} rose ${formatBytes(F.rise)} with allocated, which grew less than ${formatBytes(threshold)}`;
      evidence.push(step ? `allocated rose ${formatBytes(A.rise)} but not steadily (r²=${A.r2.toFixed(2)}): a step, not a leak` : `allocated rose ${formatBytes(A.rise)}, below the ${formatBytes(threshold)} threshold`);
    }
  } else if (A && F && ownFootprint && lastWaste(series) > Math.max(threshold, HIGH_WASTE_SHARE * (F.last || 1))) {
    // No trend (or one dump), but the allocator holds mostly memory the program does not use: decisive without a trend.
    const w = lastWaste(series);
    const u = series[n - 1].unpurged;
    verdict = u !== null && u >= EXPLAINED_SHARE * w ? 'retained' : 'fragmentation';
    const what = verdict === 'retained' ? `, ${formatBytes(u as number)} of it free pages not yet returned` : '';
    summary = `${verdict}: the allocator holds ${formatBytes(w)} (${pct(w / F.last)} of ${fpName}) that the program does not use${what}${n < 2 ? ' (one dump: no trend)' : ', without growing'}`;
    if (n < 2) evidence.push(`one dump: no trend to judge, but the waste (${fpName} − allocated) is ${pct(w / F.last)} of ${fpName}, over the ${pct(HIGH_WASTE_SHARE)} a single dump is judged on`);
  } else if (n < 2 || (!A && !F)) {
    // One point cannot show a trend, and nothing in it is decisive on its own (or there is no figure at all).
    verdict = 'inconclusive';
    if (!A && !F) {
      summary = 'inconclusive: nothing to judge (no allocated, resident, RSS or mapped figures in these inputs)';
    } else if (!A) {
      const why = allocator === 'mimalloc' ? MIMALLOC_NO_STAT : 'these inputs do not say how much the program holds';
      summary = `inconclusive: one dump shows no trend, and ${why}: ${fpName} ${formatBytes((F as Trend).last)}`;
    } else if (!F) {
      summary = `inconclusive: one dump shows no trend (allocated ${formatBytes(A.last)}, footprint not known)`;
    } else {
      summary = `inconclusive: one dump shows no trend (allocated ${formatBytes(A.last)} of ${formatBytes(F.last)} ${fpName}, ${pct(A.last / (F.last || 1))})`;
    }
    if (n < 2) {
      evidence.push('one dump: no trend to judge');
      if (A && F && ownFootprint) {
        const w = Math.max(0, lastWaste(series));
        evidence.push(`the waste (${fpName} − allocated) is ${formatBytes(w)}, ${pct(w / (F.last || 1))} of ${fpName}: a single dump is judged only when it is over ${pct(HIGH_WASTE_SHARE)} (and ${formatBytes(threshold)})`);
        const u = series[0].unpurged;
        if (u !== null) evidence.push(`${unpurgedLabel(allocator)}: ${formatBytes(u)} (${pct(u / (F.last || 1))} of ${fpName})`);
      } else if (A && F) {
        evidence.push(
          footprintKind === 'rss'
            ? "a single dump is judged on the allocator's own resident bytes only: RSS holds the binary, libraries and thread stacks too"
            : `a single dump is judged on the allocator's own resident bytes only: ${fpName} memory need not be resident`,
        );
      } else if (!A) {
        evidence.push(
          `even a series of such dumps tells only whether ${fpName} grows, not whether a leak or fragmentation makes it grow; ${allocator === 'mimalloc' ? 'use a build with MI_STAT=1 or give heap profiles' : 'give the allocator statistics or heap profiles of the same run'}`,
        );
      }
      evidence.push('give several dumps of the same run (a periodic dump appended to one file, or one file per dump, in order) for a verdict');
    }
  } else {
    summary = `healthy: no growth beyond ${formatBytes(threshold)} over ${n} points`;
    if (!A) evidence.push(`${fpName} does not grow; without allocated bytes that is all these inputs tell (a growing ${fpName} could not be told apart)`);
    if (A && rising(A)) {
      summary = `healthy: allocated rose ${formatBytes(A.rise)}, as a step rather than steady growth`;
      evidence.push(`allocated rose ${formatBytes(A.rise)} but not steadily (r²=${A.r2.toFixed(2)}): a step, not a leak`);
    }
  }

  // The waste's make-up.
  if (verdict === 'fragmentation' || verdict === 'retained') {
    if (U) {
      const label = unpurgedLabel(allocator);
      evidence.push(`${label}: ${formatBytes(U.first)} → ${formatBytes(U.last)}${W && W.rise > 0 ? ` (${share(U.rise, W.rise)} of the waste's growth)` : ''}`);
    } else {
      evidence.push(`${allocatorName(allocator)}'s statistics do not say how much of the waste is free pages not yet returned`);
    }
    const arenaTotal = waste.arenas.reduce((s, a) => s + Math.max(0, a.lastBytes), 0);
    const topArena = waste.arenas[0];
    if (waste.arenas.length > 1 && topArena && arenaTotal > 0) {
      evidence.push(`arena ${topArena.name} holds ${formatBytes(topArena.lastBytes)} of the ${formatBytes(arenaTotal)} the arenas hold beyond their allocations (${formatBytes(topArena.firstBytes)} at the first dump)`);
    }
    // Free space inside size classes is what fragmentation is made of; retained pages are whole and free.
    const classes = verdict === 'fragmentation' ? waste.sizeClasses.filter((c) => c.lastBytes > 0).slice(0, 3) : [];
    if (classes.length > 0) {
      const what = allocator === 'glibc' ? 'free chunks by size' : 'free space by size class';
      evidence.push(`${what}: ${classes.map((c) => `${c.name} ${formatBytes(c.lastBytes)}${c.utilization !== undefined ? ` (${pct(c.utilization)} used)` : ''}`).join(', ')}`);
    }
  }
  if (R && F && footprintKind !== 'rss' && n >= 2 && R.rise - F.rise > threshold) {
    evidence.push(`RSS grew ${formatBytes(R.rise - F.rise)} more than the allocator's ${fpName}: memory outside this allocator (other mappings, thread stacks, another allocator)`);
  }
  if (inputs.profiles.length >= 2) {
    if (sites.length > 0) evidence.push(`growing call sites: ${sites.map((s) => `${s.name} +${formatBytes(s.delta)} (r²=${s.r2.toFixed(2)})`).join('; ')}`);
    else evidence.push(`no call site grows steadily across the ${inputs.profiles.length} heap profiles`);
  }

  return {
    verdict,
    summary,
    evidence,
    allocator,
    allocatorVersion: version,
    sources,
    points: n,
    series,
    trends: { allocated: A, footprint: F, waste: W, unpurged: U, rss: R },
    thresholdBytes: threshold,
    waste,
    sites,
    knobs: knobsFor(allocator, verdict, lastSnap, A === null, inputs.profiles.length >= 2),
    warnings,
  };
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

function trend(values: number[]): Trend {
  const { slope, r2 } = linearFit(values);
  return {
    first: values[0],
    last: values[values.length - 1],
    min: Math.min(...values),
    max: Math.max(...values),
    slope,
    r2,
    rise: slope * (values.length - 1),
  };
}

function describe(t: Trend, n: number): string {
  if (n < 2) return formatBytes(t.first);
  const sign = t.rise >= 0 ? '+' : '-';
  return `${formatBytes(t.first)} → ${formatBytes(t.last)} over ${n} points (${sign}${formatBytes(Math.abs(t.rise))} on the fitted line, ${formatBytes(t.slope)} per point, r²=${t.r2.toFixed(2)})`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
}

function share(part: number, whole: number): string {
  return whole > 0 ? pct(Math.max(0, part) / whole) : '-';
}

function lastWaste(series: DiagnosePoint[]): number {
  const p = series[series.length - 1];
  return p && p.footprint !== null && p.allocated !== null ? p.footprint - p.allocated : 0;
}

/**
 * Free pages the allocator has not returned, per point: jemalloc's dirty and
 * muzzy pages, tcmalloc's page heap free list (both read as `dirty`);
 * mimalloc's footprint beyond its pages in use (`touched`, stat builds);
 * glibc's free chunks beyond their first page, which malloc_trim(0) could
 * release (an estimate: a chunk of S bytes at a random alignment holds about
 * S − 4096 bytes of whole pages).
 */
function unpurgedOf(allocator: StatsAllocator | 'unknown', snap: StatsSnapshot | undefined, footprint: number | null): number | null {
  if (!snap) return null;
  if (snap.dirtyBytes !== undefined) return snap.dirtyBytes + (snap.muzzyBytes ?? 0);
  if (snap.activeBytes !== undefined && footprint !== null) return Math.max(0, footprint - snap.activeBytes);
  if (allocator === 'glibc') {
    // Only malloc_info has the free-chunk histogram; malloc_stats says nothing about free chunks.
    if (snap.raw['malloc.system.current.size'] === undefined) return null;
    const chunks = snap.sizeClasses.filter((c) => c.table === 'free-chunks');
    let total = 0;
    for (const c of chunks) total += Math.max(0, (c.freeBytes ?? 0) - (c.freeBlocks ?? 0) * GLIBC_PAGE);
    return total;
  }
  return null;
}

function unpurgedLabel(allocator: StatsAllocator | 'unknown'): string {
  switch (allocator) {
    case 'jemalloc':
      return 'dirty + muzzy pages (freed, not yet purged)';
    case 'tcmalloc':
      return 'page heap free list (free pages not yet released)';
    case 'mimalloc':
      return 'committed memory outside pages in use (not yet purged)';
    case 'glibc':
      return 'free chunks malloc_trim(0) could release (estimate)';
    default:
      return 'free pages not yet returned';
  }
}

function allocatorName(a: StatsAllocator | 'unknown'): string {
  return a === 'unknown' ? 'the inputs' : a === 'proc' ? '/proc' : a;
}

/** Per arena: what it holds beyond its allocations (resident, else mapped, minus allocated). */
function arenaWaste(first: StatsSnapshot | undefined, last: StatsSnapshot | undefined): WasteRow[] {
  if (!last) return [];
  const held = (a: StatsSnapshot['arenas'][number]) => {
    const h = a.residentBytes ?? a.mappedBytes;
    return h !== undefined && a.allocatedBytes !== undefined ? h - a.allocatedBytes : undefined;
  };
  const rows: WasteRow[] = [];
  for (const a of last.arenas) {
    const lastBytes = held(a);
    if (lastBytes === undefined) continue;
    const before = first?.arenas.find((b) => b.name === a.name);
    rows.push({ name: a.name, firstBytes: (before && held(before)) ?? 0, lastBytes });
  }
  return rows.sort((x, y) => y.lastBytes - x.lastBytes);
}

/** Per size class (glibc: free-chunk bucket): free bytes it holds. */
function classWaste(first: StatsSnapshot | undefined, last: StatsSnapshot | undefined): WasteRow[] {
  if (!last) return [];
  const key = (c: SizeClassStats) => `${c.table}:${c.minSizeBytes}:${c.sizeBytes}`;
  const before = new Map((first?.sizeClasses ?? []).map((c) => [key(c), c]));
  const rows: WasteRow[] = [];
  for (const c of last.sizeClasses) {
    if (c.freeBytes === undefined) continue;
    const name = c.minSizeBytes === c.sizeBytes ? `${c.sizeBytes} B` : `${c.minSizeBytes}–${c.sizeBytes} B`;
    const row: WasteRow = { name, firstBytes: before.get(key(c))?.freeBytes ?? 0, lastBytes: c.freeBytes };
    if (c.utilization !== undefined) row.utilization = c.utilization;
    rows.push(row);
  }
  return rows.sort((x, y) => y.lastBytes - x.lastBytes || y.lastBytes - y.firstBytes - (x.lastBytes - x.firstBytes));
}

/** The settings that move this verdict for this allocator. */
function knobsFor(allocator: StatsAllocator | 'unknown', verdict: Verdict, snap: StatsSnapshot | undefined, allocatedUnknown: boolean, haveProfiles: boolean): Knob[] {
  const setting = (...keys: string[]): string | undefined => {
    for (const k of keys) {
      const v = snap?.raw[k] ?? snap?.settings[k];
      if (v !== undefined) return String(v);
    }
    return undefined;
  };
  const knob = (name: string, effect: string, current?: string): Knob => (current !== undefined ? { name, current, effect } : { name, effect });
  const out: Knob[] = [];
  switch (allocator) {
    case 'jemalloc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('MALLOC_CONF=prof:true,prof_final:true,lg_prof_interval:30', 'heap profiles of the same run (jeprof.*.heap); heapscope growth (or diagnose with them) names the growing call sites'));
      } else if (verdict === 'inconclusive') {
        out.push(knob('MALLOC_CONF=stats_interval:<bytes>', 'prints the statistics every time that many bytes were allocated: a series of dumps diagnose can judge'));
      } else if (verdict === 'retained') {
        out.push(knob('MALLOC_CONF=dirty_decay_ms:<ms>', 'how long freed pages stay dirty before purging; lower returns them sooner (0 = at once, more madvise calls)', setting('opt.dirty_decay_ms')));
        out.push(knob('MALLOC_CONF=muzzy_decay_ms:<ms>', 'the same for pages already lazily purged (MADV_FREE)', setting('opt.muzzy_decay_ms')));
        out.push(knob('MALLOC_CONF=background_thread:true', 'purge on a timer; without it decay advances only when the program allocates, so an idle process keeps its dirty pages', setting('opt.background_thread')));
        out.push(knob('mallctl("arena.<i>.purge") / ("arena.<i>.decay")', 'purge now, from the program (i = 4096, MALLCTL_ARENAS_ALL, for every arena)'));
      } else if (verdict === 'fragmentation') {
        out.push(knob('MALLOC_CONF=narenas:<n>', 'fewer arenas share partly used slabs between threads (default 4 × CPUs)', setting('opt.narenas')));
        out.push(knob('separate arenas for long-lived objects (mallctl "arenas.create", mallocx(MALLOCX_ARENA(a)))', 'keeps a few survivors from pinning slabs full of short-lived neighbours'));
        out.push(knob('MALLOC_CONF=dirty_decay_ms:<ms>', 'returns the free pages the fragmentation leaves behind sooner (not the partly used ones)', setting('opt.dirty_decay_ms')));
      }
      break;
    case 'glibc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('LD_PRELOAD=libtcmalloc.so.4 HEAPPROFILE=/tmp/prof', 'gperftools heap profiles of the same program (or jemalloc with prof:true); heapscope names the growing call sites'));
      } else if (verdict === 'retained' || verdict === 'fragmentation') {
        out.push(knob('malloc_trim(0)', 'returns every free whole page inside the heaps, not only at their top (call it from the program, e.g. after a burst)'));
        out.push(knob('MALLOC_ARENA_MAX=<n>', 'caps the number of arenas (default 8 × CPUs on 64-bit): fewer arenas, less memory stranded in each'));
        out.push(knob('MALLOC_TRIM_THRESHOLD_=<bytes> (mallopt M_TRIM_THRESHOLD)', 'free memory at the top of a heap above this is returned at once (default 128 KiB, raised automatically by mmap-threshold adjustments)'));
        out.push(knob('MALLOC_MMAP_THRESHOLD_=<bytes> (mallopt M_MMAP_THRESHOLD)', 'blocks at least this large are mmapped and unmapped on free, so they cannot strand heap pages (fixing it also stops the dynamic adjustment)'));
        if (verdict === 'fragmentation') out.push(knob('a different allocator (jemalloc, tcmalloc, mimalloc)', 'size-class allocators keep small and large blocks apart; glibc carves both from the same heap'));
      }
      break;
    case 'tcmalloc':
      if (verdict === 'leak') {
        if (!haveProfiles) out.push(knob('HEAPPROFILE=/tmp/prof (gperftools heap profiler)', 'heap profiles of the same run; heapscope names the growing call sites'));
      } else if (verdict === 'retained') {
        out.push(knob('TCMALLOC_RELEASE_RATE=<0..10>', 'how fast free page-heap spans go back to the OS (default 1.0; 0 = never, 10 = most eager)'));
        out.push(knob('TCMALLOC_AGGRESSIVE_DECOMMIT=true', 'return free spans as soon as they are free'));
        out.push(knob('MallocExtension::instance()->ReleaseFreeMemory()', 'release the page heap free list now, from the program'));
      } else if (verdict === 'fragmentation') {
        out.push(knob('separate lifetimes (arenas or pools for long-lived objects)', 'free objects in the central and transfer caches sit in spans that survivors keep alive; no release setting returns those'));
        out.push(knob('TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES=<bytes>', 'caps the free objects cached per thread (default 32 MiB in all)'));
        out.push(knob('TCMALLOC_RELEASE_RATE=<0..10> / TCMALLOC_AGGRESSIVE_DECOMMIT=true', 'returns the spans that do empty out sooner'));
      }
      break;
    case 'mimalloc':
      if (allocatedUnknown) out.push(knob('a mimalloc built with MI_STAT=1 (or a debug build)', 'release builds print no allocated bytes; with them diagnose can tell a leak from fragmentation'));
      if (verdict === 'retained' || verdict === 'fragmentation') {
        out.push(knob('MIMALLOC_DECOMMIT_DELAY=<ms> (2.0; MIMALLOC_PURGE_DELAY in 2.1+)', 'how long free pages stay committed before they are purged; 0 purges at once'));
        out.push(knob('mi_collect(true)', 'purge free pages and abandoned segments now, from the program'));
      }
      if (verdict === 'fragmentation') {
        out.push(knob('separate heaps for long-lived objects (mi_heap_new)', 'keeps survivors from pinning pages full of short-lived blocks'));
        out.push(knob('MIMALLOC_EAGER_COMMIT=0 (2.0; MIMALLOC_ARENA_EAGER_COMMIT in 2.1+)', 'commit segment memory on demand rather than up front'));
      }
      break;
    default:
      break;
  }
  return out;
}
