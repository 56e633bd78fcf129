/**
 * diagnose, step 2: a least-squares line through each series of the aligned
 * points — allocated, footprint, waste, unpurged, RSS — and the rise below
 * which a series counts as flat.
 */
import { linearFit } from '../growth.js';
import { DEFAULT_MIN_GROWTH_BYTES, DEFAULT_MIN_GROWTH_SHARE, type DiagnoseOptions, type DiagnosePoint, type DiagnoseTrends, type Trend } from './report.js';

/** The named trends of a series of points (a trend is null unless most points have its figure: {@link trendOf}). */
export function trendsOf(series: readonly DiagnosePoint[]): DiagnoseTrends {
  const allocated = trendOf(series.map((p) => p.allocated));
  const footprint = trendOf(series.map((p) => p.footprint));
  return {
    allocated,
    footprint,
    waste: allocated && footprint ? trendOf(series.map((p) => (p.footprint === null || p.allocated === null ? null : p.footprint - p.allocated))) : null,
    unpurged: trendOf(series.map((p) => p.unpurged)),
    rss: trendOf(series.map((p) => p.rss)),
  };
}

/**
 * The rise below which a series is flat: the larger of the byte minimum and
 * the share of the starting footprint (or allocated bytes, when larger).
 */
export function flatThreshold(trends: DiagnoseTrends, options: DiagnoseOptions): number {
  const base = Math.max(trends.footprint?.first ?? 0, trends.allocated?.first ?? 0);
  return Math.max(options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES, (options.minGrowthShare ?? DEFAULT_MIN_GROWTH_SHARE) * base);
}

/**
 * The trend of a series, fitted over the points that have the figure, at
 * their places in the run; null unless every point has it, or at least two
 * and more than half do. Why: a dump cut short or damaged lacks a figure
 * (its reader warned), and one such gap would otherwise leave the whole
 * series without a trend — "nothing to judge" for a run whose other dumps
 * all say; a figure most points lack is not the series' figure.
 */
export function trendOf(values: readonly (number | null)[]): Trend | null {
  const xs: number[] = [];
  const known: number[] = [];
  values.forEach((v, i) => {
    if (v === null) return;
    xs.push(i);
    known.push(v);
  });
  if (known.length === 0 || (known.length < values.length && (known.length < 2 || known.length * 2 <= values.length))) return null;
  const { slope, r2 } = known.length === values.length ? linearFit(known) : linearFit(known, xs);
  return {
    first: known[0],
    last: known[known.length - 1],
    min: Math.min(...known),
    max: Math.max(...known),
    slope,
    r2,
    rise: slope * (xs[xs.length - 1] - xs[0]),
  };
}
