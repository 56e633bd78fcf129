/**
 * The first stages of the loading pipeline (load-profiles.ts): open an input
 * (a file or stdin; gzip, zstd or zip), detect its format, and read it —
 * snapshots are parsed into a profile; event traces are accumulated as they
 * stream in (accumulate/), and their profile (allocated and live per site)
 * comes with the accumulator's report; allocator statistics are parsed into
 * their series of dumps. Nothing is symbolized here.
 */
import {
  INUSE_SPACE,
  ProfileBuilder,
  detectImporterIn,
  locatedIn,
  openInput,
  parseSnapshot,
  parseStats,
  parseTrace,
  traceBuilder,
  type AllocatorStats,
  type HeapProfile,
  type Input,
  type LoadOptions,
  type SymbolizeReport,
} from '@heapscope/parser';
import { EventAccumulator, type AccumulatorOptions, type AccumulatedTrace } from '../accumulate/accumulator.js';

/** A loaded input. */
export interface LoadedInput {
  /** The snapshot, or for a trace the final profile. */
  profile: HeapProfile;
  /** For event traces: what the event accumulator learned. */
  trace?: AccumulatedTrace;
  /** For allocator statistics: the series of dumps (`profile` is then empty, its format the importer's id). */
  stats?: AllocatorStats;
  /** What symbolization did, when the input went through it (`loadProfiles` with `symbolize`). */
  symbolization?: SymbolizeReport;
}

/** Options of reading one input: opening, detection, import limits, trace windows. */
export type ReadOptions = LoadOptions & AccumulatorOptions;

/** Opens `path` (`-` = stdin), detects its format, and parses (or accumulates) it; nothing is symbolized. */
export async function readInput(path: string, options: ReadOptions = {}): Promise<LoadedInput> {
  return readOpened(await openInput(path, options), options);
}

/**
 * Detects the format of an opened input (or uses `inputFormat`) and parses or
 * accumulates it. Each of its warnings names the input (`locatedIn`).
 */
export async function readOpened(input: Input, options: ReadOptions = {}): Promise<LoadedInput> {
  return locateWarnings(await readDetected(input, options), input.name);
}

/** {@link readOpened} before its warnings are located. */
async function readDetected(opened: Input, options: ReadOptions): Promise<LoadedInput> {
  const { importer, input } = await detectImporterIn(opened, options.inputFormat);
  if (importer.kind === 'snapshot') return { profile: await parseSnapshot(input, importer, options) };
  if (importer.kind === 'stats') {
    const stats = await parseStats(input, importer, options);
    return { profile: emptyProfile(input.name, importer.id, stats), stats };
  }
  const builder = traceBuilder(input, importer, options);
  const accumulator = new EventAccumulator(builder, options);
  const facts = await parseTrace(input, importer, builder, accumulator, options);
  const trace = accumulator.finish(facts);
  return { profile: trace.profile, trace };
}

/** Every warning of a read input that has no location (the importer's, the accumulator's, the statistics') located in `file`. */
function locateWarnings(loaded: LoadedInput, file: string): LoadedInput {
  const locate = (p: HeapProfile) => p.with({ meta: { ...p.meta, warnings: locatedIn(file, p.meta.warnings) } });
  const profile = locate(loaded.profile);
  const stats = loaded.stats && { ...loaded.stats, warnings: locatedIn(file, loaded.stats.warnings) };
  const trace = loaded.trace && { ...loaded.trace, profile, peakProfile: locate(loaded.trace.peakProfile), snapshots: loaded.trace.snapshots.map((s) => ({ ...s, profile: locate(s.profile) })) };
  return { ...loaded, profile, ...(stats ? { stats } : {}), ...(trace ? { trace } : {}) };
}

/** The empty profile that stands for a statistics input (no stacks, no samples); it carries the warnings. */
function emptyProfile(file: string, format: string, stats: AllocatorStats): HeapProfile {
  const pid = stats.snapshots.find((s) => s.pid !== undefined)?.pid;
  const builder = new ProfileBuilder({
    sampleTypes: [INUSE_SPACE],
    meta: {
      format,
      variant: stats.allocator,
      file,
      ...(pid !== undefined ? { pid } : {}),
      sampling: { model: 'none', periodBytes: 0 },
      sizeKind: 'exact',
      returnAddresses: false,
      warnings: stats.warnings,
    },
  });
  return builder.finish();
}
