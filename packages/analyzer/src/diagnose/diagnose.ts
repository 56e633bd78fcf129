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
 *
 * The steps, one module each: align.ts (the inputs into one series of
 * points), trends.ts (a line through each named series), verdict.ts (the
 * decision table over named facts), evidence.ts (the summary, the evidence,
 * where the waste sits), knobs.ts (the settings that move the verdict).
 */
import { alignRun } from './align.js';
import { cannotTellMessage, explain, growingSites, wasteRows } from './evidence.js';
import { knobsFor } from './knobs.js';
import { DiagnoseError, type DiagnoseInputs, type DiagnoseOptions, type DiagnoseReport } from './report.js';
import { flatThreshold, trendsOf } from './trends.js';
import { decideVerdict, verdictFacts } from './verdict.js';

export * from './report.js';
export { VERDICT_RULES, decideVerdict, type VerdictFacts, type VerdictRule, type VerdictRuleId } from './verdict.js';

/**
 * Diagnoses one run from its statistics, /proc samples and heap profiles:
 * align the series → fit the named trends → decide the verdict (the first
 * rule of the decision table that holds) → say the evidence.
 */
export function diagnose(inputs: DiagnoseInputs, options: DiagnoseOptions = {}): DiagnoseReport {
  const run = alignRun(inputs);
  const trends = trendsOf(run.series);
  const thresholdBytes = flatThreshold(trends, options);
  const rule = decideVerdict(verdictFacts(run.series, trends, thresholdBytes));
  if (rule.verdict === 'cannot tell') throw new DiagnoseError(cannotTellMessage(run, trends), run.statsFile);
  const verdict = rule.verdict;

  const sites = growingSites(inputs.profiles, options);
  const waste = wasteRows(run.firstSnap, run.lastSnap);
  const { summary, evidence } = explain({ run, trends, thresholdBytes, rule, waste, sites, profiles: inputs.profiles.length });
  return {
    verdict,
    summary,
    evidence,
    allocator: run.allocator,
    allocatorVersion: run.allocatorVersion,
    sources: run.sources,
    points: run.series.length,
    series: run.series,
    trends,
    thresholdBytes,
    waste,
    sites,
    knobs: knobsFor(run.allocator, verdict, run.lastSnap, trends.allocated === null, inputs.profiles.length >= 2),
    warnings: run.warnings,
  };
}
