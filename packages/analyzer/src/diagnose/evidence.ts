/**
 * diagnose, step 4: what the report says — the one-line summary and the
 * evidence behind the verdict the decision table chose, where the waste
 * sits (arenas, size classes), and which call sites grow (heap profiles).
 */
import type { HeapProfile, SizeClassStats, StatsAllocator, StatsSnapshot } from '@heapscope/parser';
import { growth } from '../growth.js';
import { formatBytes } from '../units.js';
import type { AlignedRun } from './align.js';
import { HIGH_WASTE_SHARE, STEADY_R2, type DiagnoseOptions, type DiagnosePoint, type DiagnoseSite, type DiagnoseTrends, type Trend, type WasteRow } from './report.js';
import { heapWaste, type VerdictRule } from './verdict.js';

/** Why mimalloc release builds cannot answer (the same words for one dump and for a growing series). */
export const MIMALLOC_NO_STAT = 'mimalloc release builds count no allocations (MI_STAT=0)';
const MIMALLOC_NO_STAT_HINT = `${MIMALLOC_NO_STAT}: use a build with MI_STAT=1 or give heap profiles`;

/** Everything the words are made from. */
export interface EvidenceContext {
  run: AlignedRun;
  trends: DiagnoseTrends;
  thresholdBytes: number;
  rule: VerdictRule;
  waste: { arenas: WasteRow[]; sizeClasses: WasteRow[] };
  sites: DiagnoseSite[];
  /** Heap profiles given (their growth is evidence from two on). */
  profiles: number;
}

/** The message of the "cannot tell" rule: the footprint grows and nothing says how much the program holds. */
export function cannotTellMessage(run: AlignedRun, trends: DiagnoseTrends): string {
  const F = trends.footprint as Trend;
  const hint = run.allocator === 'mimalloc' ? MIMALLOC_NO_STAT_HINT : 'give the allocator statistics or heap profiles of the same run';
  return `${footprintName(run)} grew ${formatBytes(F.rise)} over ${run.series.length} points, but these inputs do not say how much the program itself holds, so a leak cannot be told from fragmentation; ${hint}`;
}

/** The summary line and the evidence, most important first. */
export function explain(ctx: EvidenceContext): { summary: string; evidence: string[] } {
  const { run, trends, thresholdBytes: threshold, rule } = ctx;
  const { allocated: A, footprint: F, waste: W, unpurged: U, rss: R } = trends;
  const { series, allocator } = run;
  const n = series.length;
  const fpName = footprintName(run);
  const footprintKind = run.sources.footprintKind;
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

  let summary: string;
  const verdict = rule.verdict;
  const rising = (t: Trend | null) => t !== null && n >= 2 && t.rise > threshold;
  switch (rule.id) {
    case 'allocated-rises': {
      const a = A as Trend;
      summary = `leak: allocated grew ${formatBytes(a.rise)} (${formatBytes(a.slope)} per point, r²=${a.r2.toFixed(2)})`;
      if (F) evidence.push(`allocated accounts for ${share(a.rise, F.rise)} of the ${fpName} growth (${formatBytes(F.rise)})`);
      if (W && rising(W)) evidence.push(`the waste (${fpName} − allocated) grew too: ${formatBytes(W.rise)}`);
      break;
    }
    case 'cannot-tell':
      // Thrown before the words are made (see diagnose.ts); kept for an exhaustive switch.
      summary = cannotTellMessage(run, trends);
      break;
    case 'waste-rises-unpurged':
    case 'waste-rises': {
      const a = A as Trend;
      const f = F as Trend;
      summary = `${verdict}: ${fpName} grew ${formatBytes(f.rise)} while allocated grew ${formatBytes(Math.max(a.rise, 0))}`;
      evidence.push(`the waste (${fpName} − allocated) grew ${formatBytes((W as Trend).rise)}; allocated explains ${share(Math.max(a.rise, 0), f.rise)} of the ${fpName} growth`);
      break;
    }
    case 'waste-high-unpurged':
    case 'waste-high': {
      const last = series[n - 1];
      const heap = last.heap as number;
      const w = heapWaste(last);
      const u = last.unpurged;
      const heapName = heapFigureName(run, last);
      const what = verdict === 'retained' ? `, ${formatBytes(u as number)} of it free pages not yet returned` : '';
      const trend = n < 2 ? ' (one dump: no trend)' : F && rising(F) ? `; ${fpName} rose ${formatBytes(F.rise)} with allocated` : ', without growing';
      summary = `${verdict}: the allocator holds ${formatBytes(w)} (${pct(w / heap)} of ${heapName}) that the program does not use${what}${trend}`;
      evidence.push(utilization(run, heapName));
      if (n < 2) evidence.push(`one dump: no trend to judge, but the waste (${wasteName(heapName, last)}) is ${pct(w / heap)} of ${heapName}, over the ${pct(HIGH_WASTE_SHARE)} a single dump is judged on`);
      evidence.push(...metadataNote(last, heapName));
      break;
    }
    case 'footprint-follows-allocated': {
      const a = A as Trend;
      const f = F as Trend;
      const step = a.r2 < STEADY_R2;
      summary = step
        ? `healthy: ${fpName} rose ${formatBytes(f.rise)} with allocated, as a step rather than steady growth`
        : `healthy: ${fpName} rose ${formatBytes(f.rise)} with allocated, which grew less than ${formatBytes(threshold)}`;
      evidence.push(step ? `allocated rose ${formatBytes(a.rise)} but not steadily (r²=${a.r2.toFixed(2)}): a step, not a leak` : `allocated rose ${formatBytes(a.rise)}, below the ${formatBytes(threshold)} threshold`);
      break;
    }
    case 'no-trend':
      summary = noTrendSummary(run, trends);
      if (n < 2) evidence.push(...oneDumpEvidence(run, trends, threshold));
      break;
    case 'flat':
      summary = `healthy: no growth beyond ${formatBytes(threshold)} over ${n} points`;
      if (!A) evidence.push(`${fpName} does not grow; without allocated bytes that is all these inputs tell (a growing ${fpName} could not be told apart)`);
      if (A && rising(A)) {
        summary = `healthy: allocated rose ${formatBytes(A.rise)}, as a step rather than steady growth`;
        evidence.push(`allocated rose ${formatBytes(A.rise)} but not steadily (r²=${A.r2.toFixed(2)}): a step, not a leak`);
      }
      break;
  }

  // The waste's make-up.
  if (verdict === 'fragmentation' || verdict === 'retained') evidence.push(...wasteMakeUp(ctx));
  if (R && F && footprintKind !== 'rss' && n >= 2 && R.rise - F.rise > threshold) {
    evidence.push(`RSS grew ${formatBytes(R.rise - F.rise)} more than the allocator's ${fpName}: memory outside this allocator (other mappings, thread stacks, another allocator)`);
  }
  if (ctx.profiles >= 2) {
    if (ctx.sites.length > 0) evidence.push(`growing call sites: ${ctx.sites.map((s) => `${s.name} +${formatBytes(s.delta)} (r²=${s.r2.toFixed(2)})`).join('; ')}`);
    else evidence.push(`no call site grows steadily across the ${ctx.profiles} heap profiles`);
  }
  return { summary, evidence };
}

function noTrendSummary(run: AlignedRun, trends: DiagnoseTrends): string {
  const { allocated: A, footprint: F } = trends;
  const fpName = footprintName(run);
  if (!A && !F) return 'inconclusive: nothing to judge (no allocated, resident, RSS or mapped figures in these inputs)';
  if (!A) {
    const why = run.allocator === 'mimalloc' ? MIMALLOC_NO_STAT : 'these inputs do not say how much the program holds';
    return `inconclusive: one dump shows no trend, and ${why}: ${fpName} ${formatBytes((F as Trend).last)}`;
  }
  if (!F) return `inconclusive: one dump shows no trend (allocated ${formatBytes(A.last)}, footprint not known)`;
  return `inconclusive: one dump shows no trend (allocated ${formatBytes(A.last)} of ${formatBytes(F.last)} ${fpName}, ${pct(A.last / (F.last || 1))})`;
}

/** What a single dump that decides nothing does show. */
function oneDumpEvidence(run: AlignedRun, trends: DiagnoseTrends, threshold: number): string[] {
  const { allocated: A, footprint: F } = trends;
  const fpName = footprintName(run);
  const footprintKind = run.sources.footprintKind;
  const out = ['one dump: no trend to judge'];
  const last = run.series[0];
  if (A && last.heap !== null) {
    const heapName = heapFigureName(run, last);
    const w = Math.max(0, heapWaste(last));
    out.push(`the waste (${wasteName(heapName, last)}) is ${formatBytes(w)}, ${pct(w / (last.heap || 1))} of ${heapName}: a single dump is judged only when it is over ${pct(HIGH_WASTE_SHARE)} (and ${formatBytes(threshold)})`);
    out.push(...metadataNote(last, heapName));
    const u = last.unpurged;
    if (u !== null) out.push(`${unpurgedLabel(run.allocator)}: ${formatBytes(u)} (${pct(u / (last.heap || 1))} of ${heapName})`);
  } else if (A && F) {
    out.push(
      footprintKind === 'rss'
        ? "a single dump is judged on what the allocator's heap holds (its resident bytes; glibc: its mapped bytes) only: RSS holds the binary, libraries and thread stacks too"
        : `a single dump is judged on what the allocator's heap holds (its resident bytes; glibc: its mapped bytes) only: ${fpName} memory need not be resident`,
    );
  } else if (!A) {
    out.push(
      `even a series of such dumps tells only whether ${fpName} grows, not whether a leak or fragmentation makes it grow; ${run.allocator === 'mimalloc' ? 'use a build with MI_STAT=1 or give heap profiles' : 'give the allocator statistics or heap profiles of the same run'}`,
    );
  }
  out.push('give several dumps of the same run (a periodic dump appended to one file, or one file per dump, in order) for a verdict');
  return out;
}

/** What the waste is made of: free pages not yet returned, the arena holding most, the size classes with the most free space. */
function wasteMakeUp(ctx: EvidenceContext): string[] {
  const { run, trends, waste, rule } = ctx;
  const { waste: W, unpurged: U } = trends;
  const out: string[] = [];
  if (U) {
    out.push(`${unpurgedLabel(run.allocator)}: ${formatBytes(U.first)} → ${formatBytes(U.last)}${W && W.rise > 0 ? ` (${share(U.rise, W.rise)} of the waste's growth)` : ''}`);
  } else {
    out.push(`${allocatorName(run.allocator)}'s statistics do not say how much of the waste is free pages not yet returned`);
  }
  const fastBytes = run.allocator === 'glibc' ? run.lastSnap?.raw['malloc.total.fast.size'] : undefined;
  if (fastBytes) {
    const count = run.lastSnap?.raw['malloc.total.fast.count'];
    out.push(
      `fast bins: ${formatBytes(fastBytes)}${count !== undefined ? ` in ${count} free chunks` : ''}, which glibc merges with their free neighbours only when it consolidates; malloc_trim(0) does first, and then returns the whole pages the merged chunks span (not in the estimate: malloc_info does not say which are neighbours)`,
    );
  }
  const arenaTotal = waste.arenas.reduce((s, a) => s + Math.max(0, a.lastBytes), 0);
  const topArena = waste.arenas[0];
  if (waste.arenas.length > 1 && topArena && arenaTotal > 0) {
    out.push(`arena ${topArena.name} holds ${formatBytes(topArena.lastBytes)} of the ${formatBytes(arenaTotal)} the arenas hold beyond their allocations (${formatBytes(topArena.firstBytes)} at the first dump)`);
  }
  // Free space inside size classes is what fragmentation is made of; retained pages are whole and free.
  const classes = rule.verdict === 'fragmentation' ? waste.sizeClasses.filter((c) => c.lastBytes > 0).slice(0, 3) : [];
  if (classes.length > 0) {
    const what = run.allocator === 'glibc' ? 'free chunks by size' : 'free space by size class';
    out.push(`${what}: ${classes.map((c) => `${c.name} ${formatBytes(c.lastBytes)}${c.utilization !== undefined ? ` (${pct(c.utilization)} used)` : ''}`).join(', ')}`);
  }
  return out;
}

/** How the waste at a point is computed, in words: `resident − allocated − metadata`. */
function wasteName(heapName: string, p: DiagnosePoint): string {
  return p.metadata !== null ? `${heapName} − allocated − metadata` : `${heapName} − allocated`;
}

/** The allocator's metadata at a point, said as what the waste leaves out (see heapWaste). */
function metadataNote(p: DiagnosePoint, heapName: string): string[] {
  if (p.metadata === null || p.heap === null) return [];
  return [`the allocator's own metadata: ${formatBytes(p.metadata)} (${pct(p.metadata / (p.heap || 1))} of ${heapName}), not counted as waste: no allocation pattern or setting returns it`];
}

/** The name of the figure a point's heap is (see DiagnosePoint.heap): resident, or for glibc mapped or RSS, whichever is smaller. */
function heapFigureName(run: AlignedRun, p: DiagnosePoint): string {
  if (p.resident !== null) return 'resident';
  return p.rss !== null && p.mapped !== null && p.rss < p.mapped ? 'RSS' : 'mapped';
}

/** The utilization the level was judged on: at the last point, its range over the run, and how many times the live bytes the heap holds. */
function utilization(run: AlignedRun, heapName: string): string {
  const ratios = run.series.filter((p) => p.heap !== null && p.allocated !== null && p.heap > 0).map((p) => (p.allocated as number) / (p.heap as number));
  const last = run.series[run.series.length - 1];
  const ratio = (last.allocated as number) / (last.heap as number);
  const bound = last.resident === null && last.rss !== null && last.mapped !== null ? ` (the smaller of glibc's mapped bytes and RSS)` : '';
  const [low, high] = [pct(Math.min(...ratios)), pct(Math.max(...ratios))];
  const range = ratios.length < 2 ? '' : low === high ? `, the same at all ${ratios.length} points` : `, ${low}–${high} over the ${ratios.length} points`;
  const times = ratio > 0 ? `: the heap holds ${(1 / ratio).toFixed(1)}× what the program uses` : '';
  return `utilization: allocated is ${pct(ratio)} of ${heapName}${bound} at the last point${range}${times}`;
}

/** The footprint's name in the words: resident, RSS, mapped (mimalloc: committed). */
function footprintName(run: AlignedRun): string {
  const kind = run.sources.footprintKind;
  return kind === 'rss' ? 'RSS' : kind === 'mapped' ? (run.allocator === 'mimalloc' ? 'committed' : 'mapped') : 'resident';
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

/** The call sites that grow steadily across the heap profiles (two or more), fastest first. */
export function growingSites(profiles: readonly HeapProfile[], options: DiagnoseOptions): DiagnoseSite[] {
  if (profiles.length < 2) return [];
  const g = growth(profiles, { ...options, sampleType: 'inuse_space' });
  return g.rows
    .filter((r) => r.score > 0 && r.r2 >= STEADY_R2 && r.delta > 0 && !r.withinNoise)
    .slice(0, options.sites ?? 5)
    .map((r) => ({ name: r.name, delta: r.delta, slope: r.slope, r2: r.r2 }));
}

/** Where the waste sits, from the first and last dumps: per arena, and per size class (glibc: free-chunk bucket). */
export function wasteRows(first: StatsSnapshot | undefined, last: StatsSnapshot | undefined): { arenas: WasteRow[]; sizeClasses: WasteRow[] } {
  return { arenas: arenaWaste(first, last), sizeClasses: classWaste(first, last) };
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
