/**
 * Growth per call site across a series of snapshots of one process: the
 * value in every snapshot, the change from first to last, the least-squares
 * slope and its fit (r²), monotonicity, and whether the change is within
 * the sampling noise of Poisson-sampled dumps. Sites that grow steadily
 * (leaks) rank first, before plateaus and noise.
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';
import { SiteIndex, type SiteOptions } from './sites.js';
import { SampleTypeError, commonSampleType, sampleTypeIndex } from './sample-type.js';
import { seriesFacts, type SeriesFacts } from './snapshot-series.js';
import { formatValue } from './units.js';
import { sampleVariances, slopeStandardError } from './sampling-error.js';

export interface GrowthOptions extends SiteOptions {
  sampleType?: string;
  limit?: number;
}

/** One site's growth. */
export interface GrowthRow {
  name: string;
  /** Flat value in each snapshot, in series order. */
  values: number[];
  /** last − first. */
  delta: number;
  /** Least-squares slope, value units per point. */
  slope: number;
  /** Fit quality of the line, 0..1 (1 when the values are all equal). */
  r2: number;
  /** Share of the steps between consecutive points that go up (0..1). */
  upSteps: number;
  /**
   * `growing`: every step up or flat and the last above the first;
   * `plateau`: grew so, then stayed flat for the last quarter of the steps
   * (at least two); `shrinking`; `flat`; `mixed`.
   */
  trend: 'growing' | 'plateau' | 'shrinking' | 'flat' | 'mixed';
  /** One standard deviation of sampling noise on `delta` (0 when every allocation was recorded). */
  noise: number;
  /** One standard error of sampling noise on `slope` (0 when every allocation was recorded). */
  slopeNoise: number;
  /** |delta| is within 2 standard deviations of sampling noise, or the slope within 2 standard errors of 0. */
  withinNoise: boolean;
  /** The ranking score: slope × r² for sites that grow (not plateaus), beyond noise; 0 otherwise. */
  score: number;
}

/** The report (JSON contract: points, rows of {name, values, delta, slope, r2}, fastest growth first). */
export interface GrowthReport {
  sampleType: string;
  unit: string;
  points: number;
  /** What a point is: each input's file name, or a trace window's end event. */
  labels: string[];
  /** Slope units: per point. */
  slopeUnit: string;
  rows: GrowthRow[];
  rowCount: number;
  /** One-line summary. */
  verdict: string;
}

/** Least-squares fit of y over x = 0..n−1, or over `xs` (a series with gaps: each value's position). */
export function linearFit(values: readonly number[], xs?: readonly number[]): { slope: number; r2: number } {
  const n = values.length;
  // A constant series is a flat line, fitted exactly (summing it in floating
  // point would leave a residue that reads as r² = 0).
  if (n < 2 || values.every((v) => v === values[0])) return { slope: 0, r2: 1 };
  const x = (i: number) => (xs ? xs[i] : i);
  let meanX = (n - 1) / 2;
  if (xs) {
    meanX = 0;
    for (const v of xs) meanX += v / n;
  }
  let meanY = 0;
  for (const v of values) meanY += v / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  values.forEach((y, i) => {
    sxx += (x(i) - meanX) ** 2;
    sxy += (x(i) - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  });
  const slope = sxy / sxx;
  // r² of a constant series is 1: a flat line fits it exactly.
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, r2 };
}

/** Per-key variance of the flat value in one profile due to sampling (sampling-error.ts); empty when nothing was sampled. */
function samplingVariance(p: HeapProfile, sites: SiteIndex, typeIndex: number): Map<number, number> {
  const out = new Map<number, number>();
  const variances = sampleVariances(p, typeIndex);
  if (!variances) return out;
  for (let i = 0; i < p.samples.length; i++) {
    if (variances[i] === 0) continue;
    const site = sites.sampleSite(i);
    if (site >= 0) out.set(site, (out.get(site) ?? 0) + variances[i]);
  }
  return out;
}

/**
 * One snapshot reduced to what growth needs: each site's flat value and its
 * sampling variance, and the series facts. A long series is analyzed point
 * by point, so its profiles need not be held at once: memory is sites ×
 * points numbers.
 */
export interface GrowthPoint {
  label: string;
  type: ValueType;
  facts: SeriesFacts;
  sites: Map<string, { value: number; variance: number }>;
}

/** Reduces `profile` to a {@link GrowthPoint} (sample type: `options.sampleType`, else the profile's default). */
export function growthPoint(profile: HeapProfile, options: GrowthOptions = {}, label = profile.meta.file): GrowthPoint {
  const t = sampleTypeIndex(profile, options.sampleType);
  const sites = new SiteIndex(profile, options);
  const column = profile.samples.values[t];
  const flat = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const site = sites.sampleSite(i);
    if (site >= 0) flat.set(site, (flat.get(site) ?? 0) + column[i]);
  }
  const variance = samplingVariance(profile, sites, t);
  const out = new Map<string, { value: number; variance: number }>();
  for (const [key, value] of flat) {
    const name = sites.names[key];
    const entry = out.get(name);
    // Distinct keys may share a name (filters that merge frames): add them up.
    if (entry) {
      entry.value += value;
      entry.variance += variance.get(key) ?? 0;
    } else out.set(name, { value, variance: variance.get(key) ?? 0 });
  }
  return { label, type: profile.sampleTypes[t], facts: seriesFacts(profile), sites: out };
}

/** Growth of each site over `profiles`, in the order given. */
export function growth(profiles: readonly HeapProfile[], options: GrowthOptions & { labels?: string[] } = {}): GrowthReport {
  const type = commonSampleType(profiles, options.sampleType);
  return growthOfPoints(
    profiles.map((p, i) => growthPoint(p, { ...options, sampleType: type.type }, options.labels?.[i])),
    options,
  );
}

/** Growth of each site over `points` (from {@link growthPoint}), in the order given; they must share a sample type. */
export function growthOfPoints(points: readonly GrowthPoint[], options: GrowthOptions = {}): GrowthReport {
  const n = points.length;
  if (n === 0) throw new Error('growth needs at least one point');
  const type = points[0].type;
  const other = points.find((p) => p.type.type !== type.type);
  if (other) throw new SampleTypeError(`${other.facts.file}: its values are ${other.type.type}, the series' are ${type.type}; choose one with --sample-type`);
  const byName = new Map<string, { values: number[]; variance: number[] }>();
  points.forEach((p, point) => {
    for (const [name, site] of p.sites) {
      let entry = byName.get(name);
      if (!entry) {
        entry = { values: new Array(n).fill(0), variance: new Array(n).fill(0) };
        byName.set(name, entry);
      }
      entry.values[point] = site.value;
      entry.variance[point] = site.variance;
    }
  });
  const rows: GrowthRow[] = [];
  for (const [name, { values, variance }] of byName) {
    if (values.every((v) => v === 0)) continue; // never present in this sample type
    const delta = values[n - 1] - values[0];
    const { slope, r2 } = linearFit(values);
    let up = 0;
    let down = 0;
    for (let i = 1; i < n; i++) {
      if (values[i] > values[i - 1]) up++;
      else if (values[i] < values[i - 1]) down++;
    }
    const noise = Math.sqrt(variance[0] + variance[n - 1]);
    const slopeNoise = slopeStandardError(variance);
    // A slope within two standard errors of flat is sampling noise too, even where the end points differ.
    const withinNoise = (noise > 0 && Math.abs(delta) <= 2 * noise) || (slopeNoise > 0 && Math.abs(slope) <= 2 * slopeNoise);
    const trend = up === 0 && down === 0 ? 'flat' : down === 0 ? (stoppedGrowing(values) ? 'plateau' : 'growing') : up === 0 ? 'shrinking' : 'mixed';
    // A plateau grew and stopped: it ranks after every site still growing.
    const score = slope > 0 && !withinNoise && trend !== 'plateau' ? slope * r2 : 0;
    rows.push({ name, values, delta, slope, r2, upSteps: n > 1 ? up / (n - 1) : 0, trend, noise, slopeNoise, withinNoise, score });
  }
  // Steady growth first (score), then by delta; plateaus and noise after.
  rows.sort((a, b) => b.score - a.score || b.delta - a.delta || a.name.localeCompare(b.name));
  const rowCount = rows.length;
  const shown = options.limit !== undefined ? rows.slice(0, options.limit) : rows;
  return {
    sampleType: type.type,
    unit: type.unit,
    points: n,
    labels: points.map((p) => p.label),
    slopeUnit: `${type.unit} per point`,
    rows: shown,
    rowCount,
    verdict: growthVerdict(rows, n, type.unit),
  };
}

/** Whether the last quarter of the steps (at least two) are all flat. */
function stoppedGrowing(values: readonly number[]): boolean {
  const steps = values.length - 1;
  const tail = Math.max(2, Math.ceil(steps / 4));
  if (steps < tail + 1) return false;
  for (let i = values.length - tail; i < values.length; i++) if (values[i] !== values[i - 1]) return false;
  return true;
}

/**
 * The one-line summary. Its words follow the signs: "grew" only for a site
 * whose last value is above its first; a fitted line that rises while the
 * site ended at or below where it started says so; a site that ended higher
 * along a line that does not rise says that.
 */
function growthVerdict(rows: GrowthRow[], points: number, unit: string): string {
  if (points < 2) return 'one point: nothing to compare';
  const v = (x: number) => formatValue(x, unit);
  const signed = (x: number) => (x > 0 ? `+${v(x)}` : v(x));
  // A leak: every step up or flat, along a line. Its delta and slope are both positive.
  const leak = rows.find((r) => r.score > 0 && r.trend === 'growing' && r.r2 >= 0.8);
  if (leak) {
    return `${leak.name} grew ${v(leak.slope)} per point over ${points} points (${v(leak.delta)} in all), r²=${leak.r2.toFixed(2)}`;
  }
  // The best-ranked site: its fitted line rises (score > 0 needs slope > 0); its delta may have any sign.
  const top = rows.find((r) => r.score > 0);
  if (top) {
    const fit = `${signed(top.slope)} per point on the fitted line, r²=${top.r2.toFixed(2)}, ${top.trend}`;
    if (top.delta > 0) return `no steady growth; ${top.name} rose most (${signed(top.delta)} from first to last; ${fit})`;
    const ended = top.delta === 0 ? 'ended where it started' : `ended ${v(-top.delta)} below where it started`;
    return `no steady growth; ${top.name} trends up (${fit}) but ${ended}`;
  }
  // A plateau only goes up or stays: its delta is positive.
  const plateau = rows.find((r) => r.trend === 'plateau' && !r.withinNoise);
  if (plateau) return `no steady growth; ${plateau.name} grew ${v(plateau.delta)}, then stopped`;
  // No fitted line rises beyond noise. A site may still have ended higher than it started.
  let higher: GrowthRow | undefined;
  for (const r of rows) if (r.delta > 0 && !r.withinNoise && (!higher || r.delta > higher.delta)) higher = r;
  if (higher) {
    return `no steady growth; ${higher.name} ended ${v(higher.delta)} above where it started, but its fitted line does not rise (${signed(higher.slope)} per point, r²=${higher.r2.toFixed(2)}, ${higher.trend})`;
  }
  const sampled = rows.some((r) => r.noise > 0 && r.delta > 0);
  return sampled ? `no site grew beyond sampling noise over ${points} points` : `no site grew over ${points} points`;
}
