/**
 * Memory over time per top call site: the live value of the N largest sites
 * (and of all the others together) at each point of a series of dumps, or at
 * the ends of the windows of an event trace — what a stacked area chart of
 * memory draws (`heapscope report`, `growth --plot`, `diagnose --plot`).
 *
 * x is the trace's time in seconds when it has timestamps, its operations
 * (allocation, free and realloc events) when it has none, and the dump's
 * position for a series of dumps. Per window (from the point before to this
 * one) it also gives what was allocated, and for traces that track pointers
 * the temporary allocations (freed by the very next allocation event) — the
 * allocation rate and heaptrack's "temporary allocations" over time.
 */
import { INUSE_SPACE, type ValueType } from '@heapscope/parser';
import type { AccumulatedTrace } from './accumulate/accumulator.js';
import { growthPoint, type GrowthOptions, type GrowthPoint } from './growth.js';

/** Options: grouping and filters as every site analysis has them, the sample type (dumps), and how many sites to draw. */
export interface MemoryOverTimeOptions extends GrowthOptions {
  /** Sites drawn on their own; the rest are summed into "other" (default 8). */
  sites?: number;
}

/** What x counts: seconds since the trace's first event, the trace's operations so far, or the dump's position (0 is the first). */
export type TimeAxis = 'seconds' | 'operations' | 'dumps';

/** One area of the chart: a site's values at every point. */
export interface MemorySeries {
  name: string;
  values: number[];
  /** The sum of every site not drawn on its own. */
  other: boolean;
}

/** What was allocated per window; window i ends at point i (the first from the start of the trace or process). */
export interface AllocationWindows {
  bytes: number[];
  objects: number[];
  /** Allocated bytes per second of the window (null without timestamps, and for a window of no duration). */
  bytesPerSecond: (number | null)[] | null;
  /** Temporary allocations per window; null when the input does not record frees. */
  temporary: number[] | null;
}

/** The report: JSON-serializable; the series' values add up to `totals` at every point. */
export interface MemoryOverTime {
  axis: TimeAxis;
  /** x of each point, in the axis' unit. */
  x: number[];
  /** A label per point: the dump's file, or the window's end (event and time). */
  labels: string[];
  sampleType: string;
  unit: string;
  /** Whether live values are known (a trace of sizes only, without pointers, knows what was allocated, never what is live). */
  live: boolean;
  /** The top sites, largest first (by their largest value at any point), then "other" when there are more sites. */
  series: MemorySeries[];
  /** Per point: the value of every site. */
  totals: number[];
  /** Distinct sites seen at any point. */
  siteCount: number;
  /** Allocations per window, when the input records them (traces; dumps with cumulative counts). */
  allocations: AllocationWindows | null;
}

/** Sites drawn on their own unless asked: more areas than this are hard to tell apart by colour. */
export const DEFAULT_MEMORY_SITES = 8;

/** Memory over a series of dumps of one process (in series order): one point per dump. */
export function memoryOfSeries(points: readonly GrowthPoint[], options: MemoryOverTimeOptions = {}): MemoryOverTime {
  const cumulative = points.map((p) => p.facts.cumulative);
  const hasCumulative = points.length > 0 && cumulative.every((c) => c.alloc_space !== undefined && c.alloc_objects !== undefined);
  // Cumulative counts since the process started: the first interval is from the start.
  const delta = (key: 'alloc_space' | 'alloc_objects') => cumulative.map((c, i) => (c[key] as number) - (i === 0 ? 0 : (cumulative[i - 1][key] as number)));
  const allocations: AllocationWindows | null = hasCumulative ? { bytes: delta('alloc_space'), objects: delta('alloc_objects'), bytesPerSecond: null, temporary: null } : null;
  const type = points[0]?.type ?? INUSE_SPACE;
  return assemble(points.map(siteValues), type, points.map((_, i) => i), points.map((p) => p.label), 'dumps', true, allocations, options);
}

/**
 * Memory over an accumulated event trace: a point at its start (nothing
 * live) and one at the end of each window the accumulator took a snapshot
 * for (`windows` when the trace was read); x in seconds when the trace has
 * timestamps, in operations otherwise.
 */
export function memoryOfTrace(trace: AccumulatedTrace, options: MemoryOverTimeOptions = {}): MemoryOverTime {
  const { report, snapshots } = trace;
  const timed = report.facts.hasTimestamps && report.firstTimeNs !== null && snapshots.every((s) => s.timeNs !== null);
  const first = report.firstTimeNs ?? 0;
  const siteOptions = { ...options, sampleType: 'inuse_space' };
  const points = snapshots.map((s) => growthPoint(s.profile, siteOptions));
  const labels = [windowLabel(0, timed ? 0 : null), ...snapshots.map((s) => windowLabel(s.event, timed ? ((s.timeNs as number) - first) / 1e9 : null))];
  const x = [0, ...snapshots.map((s) => (timed ? ((s.timeNs as number) - first) / 1e9 : s.event))];
  const step = (values: number[]) => values.map((v, i) => v - (i === 0 ? 0 : values[i - 1]));
  const bytes = step([0, ...snapshots.map((s) => s.allocatedBytes)]);
  const allocations: AllocationWindows = {
    bytes,
    objects: step([0, ...snapshots.map((s) => s.allocatedObjects)]),
    bytesPerSecond: timed ? bytes.map((b, i) => (i === 0 || x[i] <= x[i - 1] ? null : b / (x[i] - x[i - 1]))) : null,
    temporary: report.facts.tracksPointers ? step([0, ...snapshots.map((s) => s.temporary)]) : null,
  };
  // The trace starts with nothing live.
  const values = [new Map<string, number>(), ...points.map(siteValues)];
  return assemble(values, INUSE_SPACE, x, labels, timed ? 'seconds' : 'operations', report.facts.tracksPointers, allocations, options);
}

function windowLabel(event: number, seconds: number | null): string {
  return `event ${event}${seconds !== null ? ` (${seconds.toFixed(3)} s)` : ''}`;
}

function siteValues(point: GrowthPoint): Map<string, number> {
  return new Map([...point.sites].map(([name, { value }]) => [name, value]));
}

/** The top sites by their largest value at any point, the rest as "other", and the totals. */
function assemble(
  points: readonly Map<string, number>[],
  type: ValueType,
  x: number[],
  labels: string[],
  axis: TimeAxis,
  live: boolean,
  allocations: AllocationWindows | null,
  options: MemoryOverTimeOptions,
): MemoryOverTime {
  const n = points.length;
  const largest = new Map<string, number>();
  for (const p of points) for (const [name, value] of p) largest.set(name, Math.max(largest.get(name) ?? -Infinity, value));
  const totals = points.map((p) => {
    let sum = 0;
    for (const value of p.values()) sum += value;
    return sum;
  });
  const wanted = options.sites ?? DEFAULT_MEMORY_SITES;
  // Largest first; ties by name, so the order does not depend on the input's.
  const ranked = live ? [...largest].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) : [];
  const shown = ranked.slice(0, wanted).map(([name]) => name);
  const series: MemorySeries[] = shown.map((name) => ({ name, values: points.map((p) => p.get(name) ?? 0), other: false }));
  if (live && largest.size > shown.length) {
    const values = totals.map((t, i) => t - series.reduce((s, row) => s + row.values[i], 0));
    // Sites never above zero add nothing to draw: no "other" of zeros.
    if (values.some((v) => v !== 0)) series.push({ name: 'other', values, other: true });
  }
  return {
    axis,
    x,
    labels,
    sampleType: type.type,
    unit: type.unit,
    live,
    series,
    totals: live ? totals : new Array<number>(n).fill(0),
    siteCount: largest.size,
    allocations,
  };
}
