/**
 * The types and thresholds of `diagnose` (see diagnose.ts for the method).
 * Everything in a {@link DiagnoseReport} is plain data: the JSON contract is
 * `verdict`, `evidence` and `series[].allocated`, `.resident`, `.rss`.
 */
import type { AllocatorStats, HeapProfile, StatsAllocator } from '@heapscope/parser';
import type { SiteOptions } from '../sites.js';

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
/**
 * Waste above this share of the heap is worth a verdict without a trend:
 * the heap holds over twice what the program uses (utilization below 50%).
 */
export const HIGH_WASTE_SHARE = 0.5;

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

/** What one run left behind: its allocator statistics and /proc samples, and its heap profiles. */
export interface DiagnoseInputs {
  /** Allocator statistics and /proc samples, each a series, in the order given. */
  stats: readonly AllocatorStats[];
  /** Heap profiles of the same run, in series order. */
  profiles: readonly HeapProfile[];
}

/** How diagnose judges (the site options apply to the heap profiles' growing call sites). */
export interface DiagnoseOptions extends SiteOptions {
  /** A rise below this is flat (default {@link DEFAULT_MIN_GROWTH_BYTES}). */
  minGrowthBytes?: number;
  /** …and below this share of the starting footprint (default {@link DEFAULT_MIN_GROWTH_SHARE}). */
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
  /** What the trends compare allocated with: resident, else RSS, else mapped. */
  footprint: number | null;
  /**
   * What the allocator's heap holds, as far as the inputs bound it: the
   * level of waste is judged on it (see align.ts). Its resident bytes; for
   * glibc, its mapped bytes or RSS, whichever is smaller; null when no
   * figure bounds the heap alone (mimalloc's committed bytes, RSS alone).
   */
  heap: number | null;
  /**
   * The allocator's own bookkeeping inside its resident bytes (jemalloc,
   * tcmalloc): part of the heap, but no waste — neither free space nor free
   * pages, and nothing an allocation pattern or a setting gives back.
   */
  metadata: number | null;
  /** Free pages not yet returned (see diagnose.ts), when known. */
  unpurged: number | null;
  /** allocated / footprint. */
  ratio: number | null;
}

/** Which figure the footprint is: the allocator's resident bytes, the process's RSS, or the allocator's mapped bytes. */
export type FootprintKind = 'resident' | 'rss' | 'mapped';

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

/** The five series diagnose fits a line to, by name (null: the inputs do not have that series at every point). */
export interface DiagnoseTrends {
  /** What the program holds. */
  allocated: Trend | null;
  /** What the memory costs (see {@link DiagnosePoint.footprint}). */
  footprint: Trend | null;
  /** footprint − allocated. */
  waste: Trend | null;
  /** Free pages not yet returned. */
  unpurged: Trend | null;
  /** The process's resident set. */
  rss: Trend | null;
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

/** Which input each series comes from. */
export interface DiagnoseSources {
  allocated: string | null;
  footprint: string | null;
  footprintKind: FootprintKind | null;
  rss: string | null;
  profiles: number;
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
  sources: DiagnoseSources;
  points: number;
  series: DiagnosePoint[];
  trends: DiagnoseTrends;
  /** Rise below which a series counts as flat (bytes). */
  thresholdBytes: number;
  waste: { arenas: WasteRow[]; sizeClasses: WasteRow[] };
  sites: DiagnoseSite[];
  knobs: Knob[];
  warnings: string[];
}
