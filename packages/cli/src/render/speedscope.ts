/**
 * Writing speedscope's file format (the `speedscope` package's
 * `FileFormat.File`, schema `dist/release/file-format-schema.json`): one
 * `sampled` profile per sample type, with unit `bytes` for byte-valued types
 * and `none` for counts, named after what it shows and the input it came
 * from. Frames are the call sites' functions (allocator frames at the leaf
 * dropped, as in `top`); a sample is a distinct call path, root first,
 * weighted by its value. Weights are whole numbers, as in pprof: unsampled
 * values are rounded so that each moves by less than 1 and each profile's
 * total is the exact total rounded — speedscope shows what `heapscope top`
 * and `go tool pprof` show, not fractions of an object (docs/cli.md, "Whole
 * objects").
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';
import { FrameTreeBuilder, assertFinite, nodePath, roundPreservingTotal, type TreeOptions } from '@heapscope/analyzer';

/** speedscope's JSON schema URL, which files must carry as `$schema`. */
export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

/** The parts of speedscope's file format heapscope writes. */
export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  name: string;
  exporter: string;
  activeProfileIndex: number;
  shared: { frames: { name: string; file?: string }[] };
  profiles: {
    type: 'sampled';
    name: string;
    unit: 'bytes' | 'none';
    startValue: number;
    endValue: number;
    samples: number[][];
    weights: number[];
  }[];
}

const DESCRIPTIONS: Record<string, string> = {
  inuse_space: 'bytes in use',
  inuse_objects: 'objects in use',
  alloc_space: 'bytes allocated (cumulative)',
  alloc_objects: 'objects allocated (cumulative)',
};

/** A person-readable name for a sample type: `inuse_space (bytes in use)`. */
export function describeSampleType(t: ValueType): string {
  const what = DESCRIPTIONS[t.type] ?? t.unit;
  return what ? `${t.type} (${what})` : t.type;
}

/** What {@link toSpeedscope} left out. */
export interface SpeedscopeReport {
  file: SpeedscopeFile;
  /** Call paths with a negative value (speedscope cannot draw them), per sample type. */
  negative: Record<string, number>;
}

/**
 * The profile in speedscope's format. `title` names the input (a file name);
 * `activeType` picks the profile speedscope opens first (default: the
 * profile's default sample type).
 */
export function toSpeedscope(profile: HeapProfile, options: { title: string; exporter: string; filters?: TreeOptions; activeType?: string }): SpeedscopeReport {
  const types = profile.sampleTypes;
  const builder = new FrameTreeBuilder(types.length, options.filters);
  builder.add(
    profile,
    types.map((_, i) => ({ typeIndex: i, channel: i })),
  );
  const tree = builder.finish();
  const frames = tree.names.map((name, i) => (tree.files[i] ? { name, file: tree.files[i] } : { name }));
  const paths = new Map<number, number[]>();
  const pathOf = (node: number) => {
    let path = paths.get(node);
    if (!path) {
      path = nodePath(tree, node);
      paths.set(node, path);
    }
    return path;
  };
  const negative: Record<string, number> = {};
  const profiles = types.map((t, c) => {
    const self = tree.self[c];
    const drawn: number[] = [];
    for (let node = 1; node < tree.length; node++) {
      const v = self[node];
      if (v < 0) negative[t.type] = (negative[t.type] ?? 0) + 1;
      else if (v > 0) drawn.push(node);
    }
    const rounded = roundPreservingTotal(drawn.map((node) => self[node]));
    const samples: number[][] = [];
    const weights: number[] = [];
    let total = 0;
    drawn.forEach((node, i) => {
      // A path whose value rounds to nothing draws nothing.
      if (rounded[i] === 0) return;
      samples.push(pathOf(node));
      weights.push(rounded[i]);
      total += rounded[i];
    });
    return {
      type: 'sampled' as const,
      name: `${describeSampleType(t)} — ${options.title}`,
      unit: t.unit === 'bytes' ? ('bytes' as const) : ('none' as const),
      startValue: 0,
      endValue: assertFinite(total, `the total of ${t.type}`),
      samples,
      weights,
    };
  });
  const active = Math.max(0, types.findIndex((t) => t.type === (options.activeType ?? profile.defaultSampleType)));
  return {
    file: {
      $schema: SPEEDSCOPE_SCHEMA,
      name: options.title,
      exporter: options.exporter,
      activeProfileIndex: active,
      shared: { frames },
      profiles,
    },
    negative,
  };
}
