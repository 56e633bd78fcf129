/**
 * How well error bars hold against a known truth: the share of estimates
 * within ±1 and ±2 standard errors. With right error bars about 68% fall
 * within ±1 and 95% within ±2. The check of docs/analyses.md's sampling
 * error, used by its test on committed dumps and by
 * bench/experiments/sampling-coverage.mjs on hundreds of runs.
 */

/** One estimated row: a site's value and its standard error. */
export interface EstimatedRow {
  name: string;
  flat: number;
  stderr?: number;
}

/** The coverage of one site's estimates, or of all of them together. */
export interface SiteCoverage {
  name: string;
  /** Estimate–truth pairs: runs times sites. */
  pairs: number;
  /** Share of the pairs within ±1 standard error. */
  within1: number;
  /** Share of the pairs within ±2 standard errors. */
  within2: number;
  /** Root mean square of (estimate − truth) / stderr over the pairs with an error bar: 1 when the bars are right. */
  zRms: number | null;
  /** Mean of stderr / truth. */
  meanRelStderr: number;
}

/** Per-site coverage, and the coverage over the sites with a nonzero error bar. */
export interface CoverageReport {
  sites: SiteCoverage[];
  overall: SiteCoverage;
}

interface Tally {
  n: number;
  within1: number;
  within2: number;
  zs: number[];
  relStderr: number;
}

/**
 * Coverage of error bars: `estimates` holds one run's rows each, `truth`
 * maps a site to its true value. Sites not in `truth` are ignored; an
 * estimate with a zero standard error counts as covered only when it is
 * exact; a site missing from a run (no sample reached it) is not covered.
 */
export function errorBarCoverage(estimates: readonly (readonly EstimatedRow[])[], truth: ReadonlyMap<string, number>): CoverageReport {
  const bySite = new Map<string, Tally>([...truth.keys()].map((name) => [name, { n: 0, within1: 0, within2: 0, zs: [], relStderr: 0 }]));
  for (const rows of estimates) {
    const byName = new Map(rows.map((r) => [r.name, r]));
    for (const [name, t] of truth) {
      const s = bySite.get(name)!;
      s.n++;
      // A site that no sample reached is missing from the run's rows: an estimate of 0 with no error bar, a miss.
      const row = byName.get(name);
      if (!row) continue;
      const err = row.flat - t;
      const se = row.stderr ?? 0;
      if (Math.abs(err) <= se * (1 + 1e-9) + 1e-6) s.within1++;
      if (Math.abs(err) <= 2 * se * (1 + 1e-9) + 1e-6) s.within2++;
      if (se > 0) s.zs.push(err / se);
      s.relStderr += se / t;
    }
  }
  const sites = [...bySite.entries()].map(([name, s]) => summarize(name, s));
  sites.sort((a, b) => a.name.localeCompare(b.name));
  // Sites whose allocations are far above the period are recorded every time (an error bar under 0.1% of
  // the value, estimates exact): nothing to check there; the overall figure is over the other sites.
  const all = [...bySite.values()].filter((s) => s.n > 0 && s.relStderr / s.n >= 1e-3);
  const sum = (f: (s: Tally) => number) => all.reduce((a, s) => a + f(s), 0);
  const overall = summarize('all sampled sites', {
    n: sum((s) => s.n),
    within1: sum((s) => s.within1),
    within2: sum((s) => s.within2),
    zs: all.flatMap((s) => s.zs),
    relStderr: sum((s) => s.relStderr),
  });
  return { sites, overall };
}

function summarize(name: string, { n, within1, within2, zs, relStderr }: Tally): SiteCoverage {
  const zRms = zs.length > 1 ? Math.sqrt(zs.reduce((a, z) => a + z * z, 0) / zs.length) : null;
  return { name, pairs: n, within1: n ? within1 / n : 0, within2: n ? within2 / n : 0, zRms, meanRelStderr: n ? relStderr / n : 0 };
}
