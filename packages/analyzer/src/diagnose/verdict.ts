/**
 * diagnose, step 3: the verdict, as a decision table over named facts. The
 * facts are yes/no questions about the trends and the last point; the
 * rules are tried in order and the first that holds decides. The table is
 * the one in docs/diagnose.md ("The method"), row for row.
 */
import { EXPLAINED_SHARE, HIGH_WASTE_SHARE, STEADY_R2, type DiagnosePoint, type DiagnoseTrends, type FootprintKind, type Verdict } from './report.js';

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
  /** The footprint is the allocator's own resident bytes (comparable with allocated without a trend). */
  footprintIsResident: boolean;
  /** At the last point, the waste is over the threshold and over {@link HIGH_WASTE_SHARE} of the footprint. */
  wasteHigh: boolean;
  /** At the last point, free pages not yet returned are at least {@link EXPLAINED_SHARE} of the waste. */
  unpurgedExplainsWaste: boolean;
}

/** The rules' names, as docs/diagnose.md lists them. */
export type VerdictRuleId =
  | 'allocated-rises'
  | 'cannot-tell'
  | 'waste-rises-unpurged'
  | 'waste-rises'
  | 'footprint-follows-allocated'
  | 'waste-high-unpurged'
  | 'waste-high'
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
  // The footprint followed allocated bytes: a step (warm-up, a cache filling), or growth below the threshold.
  { id: 'footprint-follows-allocated', verdict: 'healthy', when: (f) => f.footprintRises },
  // No trend (or one dump), but the allocator holds mostly memory the program does not use: decisive without a trend.
  // Only the allocator's resident figure is comparable with allocated bytes when nothing grows: RSS holds
  // the binary, libraries and stacks too, and mapped (mimalloc: committed) memory need not be resident.
  { id: 'waste-high-unpurged', verdict: 'retained', when: (f) => levelJudged(f) && f.unpurgedExplainsWaste },
  { id: 'waste-high', verdict: 'fragmentation', when: levelJudged },
  // One point cannot show a trend, and nothing in it is decisive on its own (or there is no figure at all).
  { id: 'no-trend', verdict: 'inconclusive', when: (f) => f.points < 2 || (!f.allocatedKnown && !f.footprintKnown) },
  { id: 'flat', verdict: 'healthy', when: () => true },
];

function levelJudged(f: VerdictFacts): boolean {
  return f.allocatedKnown && f.footprintKnown && f.footprintIsResident && f.wasteHigh;
}

/** The first rule of {@link VERDICT_RULES} that holds. */
export function decideVerdict(facts: VerdictFacts): VerdictRule {
  const rule = VERDICT_RULES.find((r) => r.when(facts));
  // The last rule always holds.
  return rule as VerdictRule;
}

/** The facts of a run: its trends against the threshold, and its last point. */
export function verdictFacts(series: readonly DiagnosePoint[], trends: DiagnoseTrends, thresholdBytes: number, footprintKind: FootprintKind | null): VerdictFacts {
  const { allocated: A, footprint: F, waste: W, unpurged: U } = trends;
  const n = series.length;
  const rises = (t: typeof A) => t !== null && n >= 2 && t.rise > thresholdBytes;
  const waste = lastWaste(series);
  const unpurged = series[n - 1]?.unpurged ?? null;
  return {
    points: n,
    allocatedKnown: A !== null,
    footprintKnown: F !== null,
    allocatedRises: rises(A),
    allocatedSteady: A !== null && A.r2 >= STEADY_R2,
    footprintRises: rises(F),
    wasteRises: rises(W),
    unpurgedExplainsWasteRise: U !== null && W !== null && U.rise >= EXPLAINED_SHARE * W.rise,
    footprintIsResident: footprintKind === 'resident',
    wasteHigh: A !== null && F !== null && waste > Math.max(thresholdBytes, HIGH_WASTE_SHARE * (F.last || 1)),
    unpurgedExplainsWaste: unpurged !== null && unpurged >= EXPLAINED_SHARE * waste,
  };
}

/** footprint − allocated at the last point (0 when either is unknown). */
export function lastWaste(series: readonly DiagnosePoint[]): number {
  const p = series[series.length - 1];
  return p && p.footprint !== null && p.allocated !== null ? p.footprint - p.allocated : 0;
}
