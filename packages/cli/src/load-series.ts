/**
 * Loading a series for the commands that compare snapshots (`growth`,
 * `flamegraph --growth`): dumps of one process in order — by the producers'
 * sequence numbers when every name has one, else as given — or the windows
 * of one event trace. Warnings about a series that may not be one are the
 * run's (printed, and in JSON output).
 */
import { statSync } from 'node:fs';
import { growthPoint, seriesOrder, seriesWarnings, type AccumulatedTrace, type GrowthOptions, type GrowthPoint, type SeriesMember, type SeriesOrder } from '@heapscope/analyzer';
import type { HeapProfile } from '@heapscope/parser';
import { UsageError } from './io.js';
import type { CommonOptions } from './options.js';
import type { Run } from './run.js';

/**
 * Warnings for a series or comparison given one file more than once (the
 * same path twice, or two paths of one file: links, `./x` and `x`): its
 * points are one dump, so nothing between them can change.
 */
export function sameFileWarnings(paths: readonly string[]): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const path of paths) {
    if (path === '-') continue;
    let id: string;
    try {
      const s = statSync(path);
      id = `${s.dev}:${s.ino}`;
    } catch {
      continue; // reading it will say what is wrong
    }
    const first = seen.get(id);
    if (first === undefined) seen.set(id, path);
    else out.push(first === path ? `${path} is given more than once` : `${path} and ${first} are the same file`);
  }
  return [...new Set(out)];
}

/** A loaded series. */
export interface LoadedSeries {
  profiles: HeapProfile[];
  /** A label per point: the file, or the trace window's end event. */
  labels: string[];
  /** How the points were chosen and ordered, for the report's header. */
  how: string;
  /** The trace whose windows the points are (`--windows`). */
  trace?: AccumulatedTrace;
}

/** How a series is read: its order, or windows of one trace. */
export interface SeriesOptions {
  order?: SeriesOrder;
  windows?: number;
}

/** Loads `inputs` as a series (`command` names the command in usage errors). */
export async function loadSeries(run: Run<CommonOptions & SeriesOptions>, inputs: readonly string[], command: string): Promise<LoadedSeries> {
  const options = run.options;
  const loaded = await run.load(inputs, { windows: options.windows, needsHeap: `${command} needs live bytes` });
  if (options.windows !== undefined) {
    if (loaded.length !== 1 || !loaded[0].trace) throw new UsageError('--windows needs exactly one event trace');
    const snapshots = loaded[0].trace.snapshots;
    return {
      profiles: snapshots.map((s) => s.profile),
      labels: snapshots.map((s) => `event ${s.event}${s.timeNs !== null ? ` (${(s.timeNs / 1e9).toFixed(3)} s)` : ''}`),
      how: `${snapshots.length} windows of ${inputs[0]}`,
      trace: loaded[0].trace,
    };
  }
  run.warn(sameFileWarnings(inputs));
  const { ordered, how } = orderSeries(run, loaded.map((l) => l.profile), options.order ?? 'auto', command);
  return { profiles: ordered, labels: ordered.map((p) => p.meta.file), how };
}

/** A series reduced point by point (growth): see {@link loadSeries}. */
export interface LoadedGrowthPoints {
  points: GrowthPoint[];
  how: string;
  /** The trace whose windows the points are (`--windows`). */
  trace?: AccumulatedTrace;
}

/**
 * Loads `inputs` as a series for `growth`, one dump at a time: each is
 * reduced to its per-site values ({@link growthPoint}) as it is handed on,
 * so a long series never holds more than `--jobs` profiles (read ahead on
 * worker threads) and the one being reduced.
 */
export async function loadGrowthPoints(run: Run<CommonOptions & SeriesOptions>, inputs: readonly string[], growthOptions: GrowthOptions, command: string): Promise<LoadedGrowthPoints> {
  if (run.options.windows !== undefined) {
    const series = await loadSeries(run, inputs, command);
    const type = growthOptions.sampleType ?? series.profiles[0]?.defaultSampleType;
    return { points: series.profiles.map((p, i) => growthPoint(p, { ...growthOptions, sampleType: type }, series.labels[i])), how: series.how, trace: series.trace };
  }
  if (inputs.length < 2) throw new UsageError(`${command} needs at least two dumps (or one trace with --windows N)`);
  if (inputs.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  // One at a time (--jobs read ahead on worker threads), with the run's one symbolizer: its caches hold across dumps.
  const points: GrowthPoint[] = [];
  let type = growthOptions.sampleType;
  for await (const input of run.stream(inputs, { needsHeap: `${command} needs live bytes` })) {
    // The first dump's default sample type, unless asked: every dump must have it.
    type ??= input.profile.defaultSampleType;
    points.push(growthPoint(input.profile, { ...growthOptions, sampleType: type }));
  }
  run.warn(sameFileWarnings(inputs));
  const { ordered, how } = orderSeries(run, points.map((p) => p.facts), run.options.order ?? 'auto', command, points);
  return { points: ordered, how };
}

/** Orders a series (as `order` says), and warns of a series that may not be one. `items` defaults to `members`. */
function orderSeries<T extends SeriesMember, U = T>(
  run: Run<CommonOptions & SeriesOptions>,
  members: readonly T[],
  order: SeriesOrder,
  command: string,
  items: readonly U[] = members as unknown as U[],
): { ordered: U[]; how: string } {
  if (members.length < 2) throw new UsageError(`${command} needs at least two dumps (or one trace with --windows N)`);
  let result;
  try {
    result = seriesOrder(members, order);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  run.warn(seriesWarnings(result.indexes.map((i) => members[i])));
  return {
    ordered: result.indexes.map((i) => items[i]),
    how: `${members.length} dumps ${result.by === 'sequence' ? 'ordered by dump sequence number' : 'in the order given'}`,
  };
}
