/**
 * diagnose, step 3: the verdict, as a decision table over named facts. The
 * facts are yes/no questions about the trends and the last point; the
 * rules are tried in order and the first that holds decides. The table is
 * the one in docs/diagnose.md ("The method"), row for row.
 */
import { EXPLAINED_SHARE, HIGH_WASTE_SHARE, STEADY_R2, type DiagnosePoint, type DiagnoseTrends, type Verdict } from './report.js';

/** What the verdict is decided on. */
export interface VerdictFacts {
  /** Points in the series (a trend needs two). */
  points: number;
  /** Every point has allocated bytes. */
  allocatedKnown: boolean;
  /** Every point has a footprint. */
  footprintKnown: boolean;
  /** Allocated bytes rise by more than the threshold. */
  allocatedRises: boolean;
  /** …along a line (r² ≥ {@link STEADY_R2}), not as a one-off step. */
  allocatedSteady: boolean;
  /** The footprint rises by more than the threshold. */
  footprintRises: boolean;
  /** The waste (footprint − allocated) rises by more than the threshold. */
  wasteRises: boolean;
  /** Free pages not yet returned explain at least {@link EXPLAINED_SHARE} of the waste's rise. */
  unpurgedExplainsWasteRise: boolean;
  /** The last point has a figure that bounds the heap ({@link DiagnosePoint.heap}), to judge the level of waste on. */
  heapKnown: boolean;
  /** At the last point, the heap's waste (heap − allocated) is over the threshold and over {@link HIGH_WASTE_SHARE} of the heap. */
  wasteHigh: boolean;
  /** At the last point, free pages not yet returned are at least {@link EXPLAINED_SHARE} of the heap's waste. */
  unpurgedExplainsWaste: boolean;
}

/** The rules' names, as docs/diagnose.md lists them. */
export type VerdictRuleId =
  | 'allocated-rises'
  | 'cannot-tell'
  | 'waste-rises-unpurged'
  | 'waste-rises'
  | 'waste-high-unpurged'
  | 'waste-high'
  | 'footprint-follows-allocated'
  | 'no-trend'
  | 'flat';

/** One row of the decision table. `cannot tell` is not a verdict: the inputs cannot answer (an error). */
export interface VerdictRule {
  id: VerdictRuleId;
  verdict: Verdict | 'cannot tell';
  when: (f: VerdictFacts) => boolean;
}

/** The decision table, in order: the first rule that holds decides. */
export const VERDICT_RULES: readonly VerdictRule[] = [
  { id: 'allocated-rises', verdict: 'leak', when: (f) => f.allocatedRises && f.allocatedSteady },
  { id: 'cannot-tell', verdict: 'cannot tell', when: (f) => f.footprintRises && !f.allocatedKnown },
  { id: 'waste-rises-unpurged', verdict: 'retained', when: (f) => f.footprintRises && f.wasteRises && f.unpurgedExplainsWasteRise },
  { id: 'waste-rises', verdict: 'fragmentation', when: (f) => f.footprintRises && f.wasteRises },
  // Whether or not anything rises (or with one dump), a heap that holds mostly memory the program does not
  // use is not healthy: the level decides without a trend. It is judged only on a figure that bounds the
  // heap (see DiagnosePoint.heap): RSS alone holds the binary, libraries and stacks too, and committed
  // memory need not be resident.
  { id: 'waste-high-unpurged', verdict: 'retained', when: (f) => levelJudged(f) && f.unpurgedExplainsWaste },
  { id: 'waste-high', verdict: 'fragmentation', when: levelJudged },
  // The footprint followed allocated bytes: a step (warm-up, a cache filling), or growth below the threshold.
  { id: 'footprint-follows-allocated', verdict: 'healthy', when: (f) => f.footprintRises },
  // One point cannot show a trend, and nothing in it is decisive on its own (or there is no figure at all).
  { id: 'no-trend', verdict: 'inconclusive', when: (f) => f.points < 2 || (!f.allocatedKnown && !f.footprintKnown) },
  { id: 'flat', verdict: 'healthy', when: () => true },
];

function levelJudged(f: VerdictFacts): boolean {
  return f.allocatedKnown && f.heapKnown && f.wasteHigh;
}

/** The first rule of {@link VERDICT_RULES} that holds. */
export function decideVerdict(facts: VerdictFacts): VerdictRule {
  const rule = VERDICT_RULES.find((r) => r.when(facts));
  // The last rule always holds.
  return rule as VerdictRule;
}

/** The facts of a run: its trends against the threshold, and its last point. */
export function verdictFacts(series: readonly DiagnosePoint[], trends: DiagnoseTrends, thresholdBytes: number): VerdictFacts {
  const { allocated: A, footprint: F, waste: W, unpurged: U } = trends;
  const n = series.length;
  const rises = (t: typeof A) => t !== null && n >= 2 && t.rise > thresholdBytes;
  const last = series[n - 1];
  const heap = last?.heap ?? null;
  const waste = heapWaste(last);
  const unpurged = last?.unpurged ?? null;
  return {
    points: n,
    allocatedKnown: A !== null,
    footprintKnown: F !== null,
    allocatedRises: rises(A),
    allocatedSteady: A !== null && A.r2 >= STEADY_R2,
    footprintRises: rises(F),
    wasteRises: rises(W),
    unpurgedExplainsWasteRise: U !== null && W !== null && U.rise >= EXPLAINED_SHARE * W.rise,
    heapKnown: heap !== null && last.allocated !== null,
    wasteHigh: heap !== null && waste > Math.max(thresholdBytes, HIGH_WASTE_SHARE * (heap || 1)),
    unpurgedExplainsWaste: unpurged !== null && unpurged >= EXPLAINED_SHARE * waste,
  };
}

/**
 * heap − allocated − metadata at a point: what the heap holds that neither
 * the program nor the allocator's bookkeeping uses (0 when the heap or
 * allocated is unknown). Metadata is left out because a small process's is
 * most of its heap (a few MiB of jemalloc's or tcmalloc's tables beside
 * 1 MiB of blocks), and no pattern or setting returns it.
 */
export function heapWaste(p: DiagnosePoint | undefined): number {
  return p && p.heap !== null && p.allocated !== null ? p.heap - p.allocated - (p.metadata ?? 0) : 0;
}
