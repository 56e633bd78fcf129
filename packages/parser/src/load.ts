/**
 * The parsing stages every reader of inputs shares: a snapshot importer run
 * into a profile, a trace importer run into a sink (`TraceSink`, whoever
 * provides it), a statistics importer run into its series — each with size
 * limits turned into located errors. `loadSnapshot` opens, detects and
 * parses a snapshot end to end.
 */
import { ParseError } from './errors.js';
import { detectImporterIn } from './formats.js';
import { ParseContext, type ImportOptions, type SnapshotImporter } from './importers/importer.js';
import { openInput, type Input, type OpenOptions } from './input/source.js';
import { LimitExceededError, ProfileBuilder } from './model/builder.js';
import { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, type HeapProfile } from './model/profile.js';
import type { TraceFacts, TraceImporter, TraceSink } from './trace/sink.js';
import type { AllocatorStats, StatsImporter } from './stats/model.js';

/** Options for loading inputs. */
export interface LoadOptions extends OpenOptions, ImportOptions {
  /** Importer id that overrides detection (`--input-format`). */
  inputFormat?: string;
}

/** Runs an importer, turning size limits into errors located in the input. */
async function guarded<T>(input: Input, importer: { id: string }, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof LimitExceededError) throw new ParseError(input.name, 1, error.message, importer.id);
    throw error;
  }
}

/** Parses an opened input with a snapshot importer. */
export async function parseSnapshot(input: Input, importer: SnapshotImporter, options: ImportOptions = {}): Promise<HeapProfile> {
  const ctx = new ParseContext(input.name, importer.id, options);
  const profile = await guarded(input, importer, () => importer.parse(input, ctx));
  ctx.failIfCutBeforeRecords(profile.samples.length);
  return profile;
}

/**
 * A builder for a trace's profile: the importer interns stacks, threads and
 * mappings in it, and the sink adds one sample per site with the four heap
 * sample types.
 */
export function traceBuilder(input: Input, importer: TraceImporter, options: ImportOptions = {}): ProfileBuilder {
  return new ProfileBuilder({
    sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
    defaultSampleType: INUSE_SPACE.type,
    maxStacks: options.maxStacks,
    maxSamples: options.maxSamples,
    meta: {
      format: importer.id,
      variant: '',
      file: input.name,
      sampling: { model: 'none', periodBytes: 0 },
      sizeKind: 'exact',
      returnAddresses: false,
      warnings: [],
    },
  });
}

/** Parses an opened trace into `sink`; the importer's warnings land in `builder.meta.warnings`. */
export async function parseTrace(
  input: Input,
  importer: TraceImporter,
  builder: ProfileBuilder,
  sink: TraceSink,
  options: ImportOptions = {},
): Promise<TraceFacts> {
  const ctx = new ParseContext(input.name, importer.id, options);
  const facts = await guarded(input, importer, () => importer.parse(input, ctx, builder, sink));
  builder.meta.warnings = [...builder.meta.warnings, ...ctx.warningList()];
  return facts;
}

/** Parses an opened input with a statistics importer; its warnings land in the result. */
export async function parseStats(input: Input, importer: StatsImporter, options: ImportOptions = {}): Promise<AllocatorStats> {
  const ctx = new ParseContext(input.name, importer.id, options);
  const stats = await guarded(input, importer, () => importer.parse(input, ctx));
  stats.warnings = ctx.warningList();
  return stats;
}

/** Opens `path` (`-` = stdin), detects its format and parses it; snapshot formats only. */
export async function loadSnapshot(path: string, options: LoadOptions = {}): Promise<HeapProfile> {
  const { importer, input } = await detectImporterIn(await openInput(path, options), options.inputFormat);
  if (importer.kind !== 'snapshot') {
    const what = importer.kind === 'stats' ? 'allocator statistics' : 'an event trace';
    throw new ParseError(input.name, 1, `this is ${what} (${importer.id}), not a snapshot: read it with ${importer.kind === 'stats' ? 'parseStats' : 'parseTrace and a TraceSink'}`, importer.id);
  }
  return parseSnapshot(input, importer, options);
}
