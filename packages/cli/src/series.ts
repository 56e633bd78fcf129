/**
 * Loading a series for the commands that compare snapshots (`growth`,
 * `flamegraph --growth`): dumps of one process in order — by the producers'
 * sequence numbers when every name has one, else as given — or the windows
 * of one event trace. Warnings about a series that may not be one go to
 * stderr and are returned for JSON output.
 */
import { statSync } from 'node:fs';
import { growthPoint, newSymbolizer, seriesOrder, seriesWarnings, type GrowthOptions, type GrowthPoint, type SeriesMember, type SeriesOrder } from '@heapscope/analyzer';
import type { HeapProfile } from '@heapscope/parser';
import { inputWarnings, loadInputs, type InputOptions } from './options.js';

import { UsageError, type CliIo } from './io.js';

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

/** Prints {@link sameFileWarnings} of `paths` and returns them. */
export function warnSameFiles(io: CliIo, paths: readonly string[]): string[] {
  const warnings = sameFileWarnings(paths);
  for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
  return warnings;
}

/** A loaded series. */
export interface LoadedSeries {
  profiles: HeapProfile[];
  /** A label per point: the file, or the trace window's end event. */
  labels: string[];
  /** How the points were chosen and ordered, for the report's header. */
  how: string;
  warnings: string[];
}

/** Loads `inputs` as a series (`command` names the command in usage errors). */
export async function loadSeries(
  inputs: readonly string[],
  options: InputOptions & { order: SeriesOrder; windows?: number },
  io: CliIo,
  command: string,
): Promise<LoadedSeries> {
  const loaded = await loadInputs(inputs, options, io, { windows: options.windows });
  if (options.windows !== undefined) {
    if (loaded.length !== 1 || !loaded[0].trace) throw new UsageError('--windows needs exactly one event trace');
    const snapshots = loaded[0].trace.snapshots;
    return {
      profiles: snapshots.map((s) => s.profile),
      labels: snapshots.map((s) => `event ${s.event}${s.timeNs !== null ? ` (${(s.timeNs / 1e9).toFixed(3)} s)` : ''}`),
      how: `${snapshots.length} windows of ${inputs[0]}`,
      warnings: inputWarnings(loaded),
    };
  }
  const same = warnSameFiles(io, inputs);
  const { ordered, how, warnings } = orderSeries(loaded.map((l) => l.profile), options.order, io, command);
  return { profiles: ordered, labels: ordered.map((p) => p.meta.file), how, warnings: [...inputWarnings(loaded), ...same, ...warnings] };
}

/** A series reduced point by point (growth): see {@link loadSeries}. */
export interface LoadedGrowthPoints {
  points: GrowthPoint[];
  how: string;
  warnings: string[];
}

/**
 * Loads `inputs` as a series for `growth`, one dump at a time: each is
 * reduced to its per-site values ({@link growthPoint}) before the next is
 * read, so a long series never holds more than one profile.
 */
export async function loadGrowthPoints(
  inputs: readonly string[],
  options: InputOptions & { order: SeriesOrder; windows?: number },
  growthOptions: GrowthOptions,
  io: CliIo,
  command: string,
): Promise<LoadedGrowthPoints> {
  if (options.windows !== undefined) {
    const series = await loadSeries(inputs, options, io, command);
    const type = growthOptions.sampleType ?? series.profiles[0]?.defaultSampleType;
    return { points: series.profiles.map((p, i) => growthPoint(p, { ...growthOptions, sampleType: type }, series.labels[i])), how: series.how, warnings: series.warnings };
  }
  if (inputs.length < 2) throw new UsageError(`${command} needs at least two dumps (or one trace with --windows N)`);
  if (inputs.filter((p) => p === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  // One symbolizer for the whole series: its caches hold across dumps.
  const symbolizer = newSymbolizer({ symbolCache: options.symbolCache });
  const points: GrowthPoint[] = [];
  const readWarnings: string[] = [];
  let type = growthOptions.sampleType;
  for (const path of inputs) {
    const [input] = await loadInputs([path], options, io, { symbolizer });
    readWarnings.push(...inputWarnings([input]));
    // The first dump's default sample type, unless asked: every dump must have it.
    type ??= input.profile.defaultSampleType;
    points.push(growthPoint(input.profile, { ...growthOptions, sampleType: type }));
  }
  const same = warnSameFiles(io, inputs);
  const { ordered, how, warnings } = orderSeries(points.map((p) => p.facts), options.order, io, command, points);
  return { points: ordered, how, warnings: [...readWarnings, ...same, ...warnings] };
}

/** Orders a series (as `order` says), prints and returns its warnings. `items` defaults to `members`. */
function orderSeries<T extends SeriesMember, U = T>(
  members: readonly T[],
  order: SeriesOrder,
  io: CliIo,
  command: string,
  items: readonly U[] = members as unknown as U[],
): { ordered: U[]; how: string; warnings: string[] } {
  if (members.length < 2) throw new UsageError(`${command} needs at least two dumps (or one trace with --windows N)`);
  let result;
  try {
    result = seriesOrder(members, order);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const warnings = seriesWarnings(result.indexes.map((i) => members[i]));
  for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
  return {
    ordered: result.indexes.map((i) => items[i]),
    how: `${members.length} dumps ${result.by === 'sequence' ? 'ordered by dump sequence number' : 'in the order given'}`,
    warnings,
  };
}
