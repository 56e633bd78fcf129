/**
 * Loading a series for the commands that compare snapshots (`growth`,
 * `flamegraph --growth`): dumps of one process in order — by the producers'
 * sequence numbers when every name has one, else as given — or the windows
 * of one event trace. Warnings about a series that may not be one go to
 * stderr and are returned for JSON output.
 */
import { seriesOrder, seriesWarnings, type SeriesOrder } from '@heapscope/analyzer';
import type { HeapProfile } from '@heapscope/parser';
import { loadInputs, type InputOptions } from './options.js';
import { UsageError, type CliIo } from './io.js';

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
      warnings: [],
    };
  }
  if (loaded.length < 2) throw new UsageError(`${command} needs at least two dumps (or one trace with --windows N)`);
  const all = loaded.map((l) => l.profile);
  let order;
  try {
    order = seriesOrder(all, options.order);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const profiles = order.indexes.map((i) => all[i]);
  const warnings = seriesWarnings(profiles);
  for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
  return {
    profiles,
    labels: profiles.map((p) => p.meta.file),
    how: `${profiles.length} dumps ${order.by === 'sequence' ? 'ordered by dump sequence number' : 'in the order given'}`,
    warnings,
  };
}
