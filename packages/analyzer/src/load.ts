/**
 * Loading any input: snapshots are parsed into a profile; event traces are
 * replayed as they stream in, and their profile (allocated and live per
 * site) comes with the replay's report.
 */
import { detectImporter, openInput, parseSnapshot, parseTrace, traceBuilder, type HeapProfile, type LoadOptions } from '@heapscope/parser';
import { Replay, type ReplayOptions, type ReplayResult } from './replay/replay.js';

/** A loaded input. */
export interface LoadedInput {
  /** The snapshot, or for a trace the final profile. */
  profile: HeapProfile;
  /** For event traces: what the replay learned. */
  trace?: ReplayResult;
}

/** Opens `path` (`-` = stdin), detects its format, and parses (or replays) it. */
export async function loadInput(path: string, options: LoadOptions & ReplayOptions = {}): Promise<LoadedInput> {
  const input = await openInput(path, options);
  const importer = detectImporter(input, options.inputFormat);
  if (importer.kind === 'snapshot') return { profile: await parseSnapshot(input, importer, options) };
  const builder = traceBuilder(input, importer, options);
  const replay = new Replay(builder, options);
  const facts = await parseTrace(input, importer, builder, replay, options);
  const trace = replay.finish(facts);
  return { profile: trace.profile, trace };
}
