/**
 * diagnose, step 2: a least-squares line through each series of the aligned
 * points — allocated, footprint, waste, unpurged, RSS — and the rise below
 * which a series counts as flat.
 */
import { linearFit } from '../growth.js';
import { DEFAULT_MIN_GROWTH_BYTES, DEFAULT_MIN_GROWTH_SHARE, type DiagnoseOptions, type DiagnosePoint, type DiagnoseTrends, type Trend } from './report.js';

/** The named trends of a series of points (a trend is null unless every point has its figure). */
export function trendsOf(series: readonly DiagnosePoint[]): DiagnoseTrends {
  const allocated = trendOf(series.map((p) => p.allocated));
  const footprint = trendOf(series.map((p) => p.footprint));
  return {
    allocated,
    footprint,
    waste: allocated && footprint ? trendOf(series.map((p) => (p.footprint as number) - (p.allocated as number))) : null,
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

function trendOf(values: (number | null)[]): Trend | null {
  return values.length > 0 && values.every((v) => v !== null) ? trend(values as number[]) : null;
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
