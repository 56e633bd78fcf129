/**
 * heapscope's snapshot model: a heap profile as tables of columns with
 * integer indexes (docs/design.md#model).
 *
 * Invariants, checked by {@link checkIntegrity}:
 * - `strings[0] === ''`; every string id is in range.
 * - Stack 0 is the empty stack (parent -1, location -1). Every other stack
 *   has `0 <= parent < index` (parents before children) and a valid location.
 *   A stack id names a leaf; walking `parent` goes toward the root.
 * - Each location's lines are `lineStart[l] .. lineStart[l + 1]`, innermost
 *   (inlined) function first, as in pprof; zero lines = not symbolized.
 * - Samples are columns: `stack`, `thread` (-1 = not attributed to a thread)
 *   and one Float64Array per sample type. Values may be fractional (after
 *   unsampling) and negative (after a diff).
 * - A profile is never mutated after `finish()`; transformations return new
 *   profiles that may share tables.
 */
import { formatHex, toBigInt } from './address.js';
import type { Warning } from '../errors.js';

/** A sample type: what a value column counts, and in which unit. */
export interface ValueType {
  /** e.g. `inuse_space`, `alloc_objects`. */
  type: string;
  /** e.g. `bytes`, `count`. */
  unit: string;
}

/** The four standard heap sample types, in pprof's order for heap profiles. */
export const ALLOC_OBJECTS: ValueType = { type: 'alloc_objects', unit: 'count' };
export const ALLOC_SPACE: ValueType = { type: 'alloc_space', unit: 'bytes' };
export const INUSE_OBJECTS: ValueType = { type: 'inuse_objects', unit: 'count' };
export const INUSE_SPACE: ValueType = { type: 'inuse_space', unit: 'bytes' };

/** A memory mapping of the profiled process (from the dump's maps section). */
export interface Mapping {
  /** First address, inclusive. */
  start: bigint;
  /** Last address, exclusive. */
  limit: bigint;
  /** Offset in the file of `start`. */
  fileOffset: bigint;
  /** Path as the dump gives it (may be `[heap]`, empty for anonymous mappings). */
  path: string;
  /** GNU build id as lowercase hex, or '' when unknown. */
  buildId: string;
  /** Permission letters (`r-xp`), or '' when the dump does not say. */
  perms: string;
  /**
   * The module's load bias, when the producer gives it instead of file
   * offsets (heaptrack's module list, from dl_iterate_phdr): address −
   * loadBias is the ELF virtual address, which symbolizers use in place of
   * `fileOffset` and the program headers.
   */
  loadBias?: bigint;
}

/** A thread that samples can be attributed to. */
export interface Thread {
  /** Producer's thread key: jemalloc `t<uid>` uid, an OS tid, … */
  key: string;
  /** Thread name when the producer records one, else ''. */
  name: string;
}

/** The functions table: one row per distinct (name, file). */
export interface FunctionTable {
  readonly length: number;
  /** Display name (demangled) — string id. */
  readonly name: Int32Array;
  /** Raw (mangled) name — string id. */
  readonly systemName: Int32Array;
  /** Source file — string id (0 when unknown). */
  readonly fileName: Int32Array;
  /** First line of the function, 0 when unknown. */
  readonly startLine: Int32Array;
}

/** The locations table: one row per distinct code address. */
export interface LocationTable {
  readonly length: number;
  readonly addressHi: Uint32Array;
  readonly addressLo: Uint32Array;
  /** Index into `mappings`, or -1. */
  readonly mapping: Int32Array;
  /** Lines of location `l` are `lineStart[l] .. lineStart[l+1]` (length + 1 entries). */
  readonly lineStart: Int32Array;
  /** Function of each line, innermost (inlined) first. */
  readonly lineFunction: Int32Array;
  /** Source line of each line, 0 when unknown. */
  readonly lineNumber: Int32Array;
}

/** Call stacks as a prefix tree; stack 0 is the empty stack. */
export interface StackTable {
  readonly length: number;
  readonly parent: Int32Array;
  readonly location: Int32Array;
}

/** A numeric label column on samples (`bytes` per object, zygote flag, …); NaN = absent. */
export interface LabelColumn {
  key: string;
  /** Unit of the values, '' when they are plain numbers. */
  unit: string;
  values: Float64Array;
}

/** The samples table. */
export interface SampleTable {
  readonly length: number;
  readonly stack: Int32Array;
  /** Index into `threads`, or -1. */
  readonly thread: Int32Array;
  /** One column per entry of `sampleTypes`. */
  readonly values: readonly Float64Array[];
  readonly labels: readonly LabelColumn[];
}

/** How the producer sampled allocations, and so how values were unsampled. */
export interface Sampling {
  /**
   * `poisson`: each allocation of S bytes sampled with probability 1 − exp(−S/R);
   * `uniform`: jeprof's v1 model with adjustment R; `none`: every allocation recorded.
   */
  model: 'poisson' | 'uniform' | 'none';
  /** R in bytes (0 when `model` is `none`). */
  periodBytes: number;
}

/**
 * What a sample's size means. A snapshot only knows the average size per stack
 * (`average-*`); traces and probe records know `exact` requested sizes.
 */
export type SizeKind = 'exact' | 'average-requested' | 'average-usable';

/**
 * How the inputs of a profile summed from several (`merge`, `convert` or
 * `flamegraph` of several inputs, `diff`) were recorded: the distinct
 * values of each fact, in the order first seen. A merged input brings the
 * facts of its own inputs, so a merge of merges says what a single merge of
 * all the inputs would.
 */
export interface MergedInputs {
  /** Number of inputs summed (a merged input counts its inputs). */
  count: number;
  /** Formats with their variants (`jemalloc heap_v2`). */
  formats: string[];
  samplings: Sampling[];
  sizeKinds: SizeKind[];
  /** Process ids, of the inputs that have one. */
  pids: number[];
}

const SAMPLING_MODELS: readonly string[] = ['poisson', 'uniform', 'none'];
const SIZE_KINDS: readonly string[] = ['exact', 'average-requested', 'average-usable'];

/**
 * `value` (parsed from a file: heapscope's pprof comment) as
 * {@link MergedInputs}, or undefined when it is not one — every field is
 * checked, so a crafted file cannot hand analyses a malformed object.
 */
export function mergedInputsFrom(value: unknown): MergedInputs | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const list = <T>(x: unknown, ok: (item: unknown) => boolean): T[] | undefined => (Array.isArray(x) && x.every(ok) ? (x as T[]) : undefined);
  const count = v.count;
  const formats = list<string>(v.formats, (f) => typeof f === 'string');
  const samplings = list<Sampling>(v.samplings, (s) => {
    const x = s as Record<string, unknown> | null;
    return typeof x === 'object' && x !== null && SAMPLING_MODELS.includes(x.model as string) && typeof x.periodBytes === 'number' && Number.isFinite(x.periodBytes) && x.periodBytes >= 0;
  });
  const sizeKinds = list<SizeKind>(v.sizeKinds, (k) => SIZE_KINDS.includes(k as string));
  const pids = list<number>(v.pids, (p) => Number.isSafeInteger(p));
  if (!Number.isSafeInteger(count) || (count as number) < 1 || !formats || !samplings || !sizeKinds || !pids) return undefined;
  return {
    count: count as number,
    formats,
    samplings: samplings.map((s) => ({ model: s.model, periodBytes: s.periodBytes })),
    sizeKinds,
    pids,
  };
}

/** See {@link ProfileMeta.producerNames}. */
export interface ProducerNames {
  /** Who named the frames, for messages (`perf`). */
  producer: string;
  /**
   * Locations whose address is the code itself: a record's own address (a
   * probed function's first instruction, a CPU sample's ip), ascending. Every
   * other location's address is a return address (or, from perf's DWARF
   * unwinder, a return address − 1: still inside the call), looked up at
   * address − 1 like a heap dump's frames.
   */
  exactLocations: readonly number[];
  /**
   * Per location, the address of the symbol the producer named its function
   * by (perf's ip − its `+0x` offset), NaN where it gave none. Symbolization
   * renames a location only where the binary has a function symbol that
   * starts there and covers the location's address: where it does not, the
   * file is not the one the producer read (another build at the same path),
   * or its addresses mean something else, and the producer's names stay.
   */
  symbolStarts: readonly number[];
  /**
   * Locations whose binary the producer did not name (perf prints some
   * frames as inlined lines only, without a dso), each with the address of
   * its function's symbol in that binary (the producer's ip − `+0x` offset):
   * symbolization places such a location in the one binary of the profile
   * that has a function symbol there.
   */
  dsoless: readonly { location: number; symbolStart: number }[];
}

/** Facts about where a profile came from. */
export interface ProfileMeta {
  /** Importer id (`jemalloc`, `gperftools`, …). */
  format: string;
  /** Producer detail: `heap_v2`, `heapz_v2`, `heapprofile`, `jemalloc 3.x`, … */
  variant: string;
  /** Display name of the input file (`-` for stdin). */
  file: string;
  /** Process id from the file name or content, when known. */
  pid?: number;
  /** Producer's dump sequence number (jemalloc `seq`, gperftools `NNNN`), when known. */
  dumpSeq?: number;
  /** jemalloc dump kind: `f`, `i`, `m`, `u`. */
  dumpKind?: string;
  /** Dump time in ns since an arbitrary origin, when known. */
  timeNs?: number;
  sampling: Sampling;
  sizeKind: SizeKind;
  /**
   * Every frame, the leaf included, is a return address (the instruction
   * after a call), so symbolizers look each one up at address − 1, inside
   * the call. False when the producer already gives addresses inside the
   * call (Android's malloc_debug, pprof files) or names its frames itself
   * (perf: see {@link producerNames}).
   */
  returnAddresses: boolean;
  /**
   * Set when the producer named the frames itself (perf script): the
   * locations' lines are its names, which symbolization replaces with its own
   * wherever it can read the binary, so that the same code gets the same
   * names, inlined frames and file:line from every importer; where it cannot,
   * the producer's names stay (docs/symbolization.md). Location ids are this
   * profile's: symbolization and merging drop the field.
   */
  producerNames?: ProducerNames;
  /** Set when the profile is a sum of several inputs: how they were recorded. */
  merged?: MergedInputs;
  warnings: Warning[];
}

/** `meta` without {@link ProfileMeta.producerNames} (whose location ids belong to one profile). */
export function withoutProducerNames(meta: ProfileMeta): ProfileMeta {
  const { producerNames: _, ...rest } = meta;
  return rest;
}

/** Everything a {@link HeapProfile} is made of. */
export interface HeapProfileTables {
  strings: readonly string[];
  functions: FunctionTable;
  locations: LocationTable;
  mappings: readonly Mapping[];
  stacks: StackTable;
  threads: readonly Thread[];
  sampleTypes: readonly ValueType[];
  /** The sample type shown when none is asked for. */
  defaultSampleType: string;
  samples: SampleTable;
  meta: ProfileMeta;
}

/** The empty stack's id. */
export const EMPTY_STACK = 0;

/** A heap snapshot. Frozen: build one with `ProfileBuilder`. */
export class HeapProfile implements HeapProfileTables {
  readonly strings: readonly string[];
  readonly functions: FunctionTable;
  readonly locations: LocationTable;
  readonly mappings: readonly Mapping[];
  readonly stacks: StackTable;
  readonly threads: readonly Thread[];
  readonly sampleTypes: readonly ValueType[];
  readonly defaultSampleType: string;
  readonly samples: SampleTable;
  readonly meta: ProfileMeta;

  constructor(tables: HeapProfileTables) {
    this.strings = tables.strings;
    this.functions = tables.functions;
    this.locations = tables.locations;
    this.mappings = tables.mappings;
    this.stacks = tables.stacks;
    this.threads = tables.threads;
    this.sampleTypes = tables.sampleTypes;
    this.defaultSampleType = tables.defaultSampleType;
    this.samples = tables.samples;
    this.meta = tables.meta;
    Object.freeze(this);
  }

  /** A copy with some tables replaced (the rest are shared). */
  with(changes: Partial<HeapProfileTables>): HeapProfile {
    return new HeapProfile({ ...this, ...changes });
  }

  /** Index of a sample type by name, or -1. */
  sampleTypeIndex(type: string): number {
    return this.sampleTypes.findIndex((t) => t.type === type);
  }

  /** Sum of one value column. */
  total(typeIndex: number): number {
    const column = this.samples.values[typeIndex];
    let sum = 0;
    for (let i = 0; i < column.length; i++) sum += column[i];
    return sum;
  }

  /** Locations of a stack, leaf first. */
  stackLocations(stack: number): number[] {
    const out: number[] = [];
    const { parent, location } = this.stacks;
    for (let s = stack; s > EMPTY_STACK; s = parent[s]) out.push(location[s]);
    return out;
  }

  /** A location's address as a BigInt. */
  address(loc: number): bigint {
    return toBigInt(this.locations.addressHi[loc], this.locations.addressLo[loc]);
  }

  /** A location's address as lowercase hex with `0x`. */
  addressHex(loc: number): string {
    return `0x${formatHex(this.locations.addressHi[loc], this.locations.addressLo[loc])}`;
  }
}
