/**
 * Writing a profile as pprof: a gzip-compressed `perftools.profiles.Profile`
 * protocol buffer (google/pprof proto/profile.proto), encoded with
 * pprof-format (measure first, then encode into one buffer).
 *
 * What goes in, and why:
 * - every sample type with its unit, the default sample type, and the
 *   period (`space`/`bytes`, the sampling period in bytes; 1 when every
 *   allocation was recorded; for a profile with no heap sample type, such
 *   as perf CPU samples, the default sample type with period 1);
 * - values as integers: pprof has no fractions, so unsampled values are
 *   rounded with the largest-remainder method — every value moves by less
 *   than 1 and each sample type's total is the exact total rounded;
 * - functions (name, system name, file, start line), locations with their
 *   lines innermost first (inlined frames), mappings with build ids and file
 *   offsets, the main binary first (pprof takes mapping 1 as the program);
 *   `has_functions`/`has_filenames`/`has_line_numbers`/`has_inline_frames`
 *   say what symbolization found, so pprof does not redo it;
 * - return addresses (heap dump frames) minus 1, as pprof's own legacy heap
 *   parser stores them: a pprof location holds the address to symbolize;
 * - labels: `thread` (and `thread_name`) as strings, numeric label columns
 *   (`bytes`: the average object size) with their units;
 * - `drop_frames`: the allocator entry points found in the profile, so pprof
 *   attributes allocations to their call sites as jeprof (and heapscope's
 *   own analyses) do — the frames themselves are kept;
 * - comments: where the data came from, and a `heapscope-meta:` JSON comment
 *   with the facts pprof has no field for (sampling model, size kind, dump
 *   sequence, how the inputs of a merge were recorded, the inputs'
 *   warnings), which heapscope's pprof reader restores.
 */
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { Function as PFunction, Line, Location, Mapping as PMapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { EMPTY_STACK, HEAP_PERIOD_TYPE, THREAD_LABEL, THREAD_NAME_LABEL, heapscopeMetaComment, pprofAddress, type HeapProfile, type Mapping } from '@heapscope/parser';
import { assertFinite, assertFiniteSamples, isAllocatorFunction, isAllocatorModule, NonFiniteValueError, roundPreservingTotal } from '@heapscope/analyzer';

/** An int64 holds values in [-2^63, 2^63). */
const INT64_LIMIT = 2 ** 63;

/**
 * Throws unless `value` fits an int64 varint. Without this check NaN would
 * be written as 0, and Infinity would never leave the loops below.
 */
function checkInt64(value: number): void {
  if (value < INT64_LIMIT && value >= -INT64_LIMIT) return;
  throw new NonFiniteValueError('a pprof value', value, Number.isFinite(value) ? 'beyond the range of an int64' : 'not a finite number');
}

/** Bytes of a varint of an int64 value (exact for |value| < 2^53; negatives take 10). */
function varintSize(value: number): number {
  checkInt64(value);
  if (value < 0) return 10;
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes an int64 varint (|value| < 2^53) at `offset`; returns the offset after it. */
function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  checkInt64(value);
  if (value < 0) {
    // Two's complement over 64 bits, as protobuf encodes negative int64.
    let rest = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      buffer[offset++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    buffer[offset++] = Number(rest);
    return offset;
  }
  while (value >= 0x80) {
    buffer[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

/** One label of a sample: a string (`str` ≠ 0) or a number with an optional unit (string ids). */
interface SampleLabel {
  key: number;
  str: number;
  num: number;
  unit: number;
}

function labelSize(l: SampleLabel): number {
  let size = 1 + varintSize(l.key);
  if (l.str) size += 1 + varintSize(l.str);
  if (l.num) size += 1 + varintSize(l.num);
  if (l.unit) size += 1 + varintSize(l.unit);
  return size;
}

/**
 * A pprof-format Sample measured and encoded by hand.
 *
 * Why: location ids are nearly all of a heap profile's bytes (the 32k-stack
 * benchmark dump has 1.3M of them), and pprof-format measures and encodes
 * each number through a general 64-bit path that allocates two arrays per
 * number, three to four times per encode: a third of a conversion's time,
 * most of it garbage collection (docs/BENCHMARKS.md#measured-design-choices).
 * Here each call stack's ids are packed once into
 * a shared buffer, and a sample's length is computed once. The Profile
 * around the samples is still measured and encoded by pprof-format.
 */
class PackedSample extends Sample {
  private size = -1;

  constructor(
    private readonly c: SampleColumns,
    private readonly i: number,
  ) {
    super({});
  }

  override get length(): number {
    if (this.size < 0) {
      const { c, i } = this;
      const ids = c.packed.length[c.stack[i]];
      let size = ids > 0 ? 1 + varintSize(ids) + ids : 0;
      let values = 0;
      for (const column of c.values) values += varintSize(column[i]);
      if (values > 0) size += 1 + varintSize(values) + values;
      const t = c.thread[i];
      if (t >= 0) for (const l of c.threadLabels[t]) size += 1 + varintSize(labelSize(l)) + labelSize(l);
      for (const l of c.numeric) {
        const v = l.values[i];
        if (Number.isNaN(v)) continue;
        const n = labelSize({ key: l.key, str: 0, num: Math.round(v), unit: l.unit });
        size += 1 + varintSize(n) + n;
      }
      this.size = size;
    }
    return this.size;
  }

  override _encodeToBuffer(buffer: Uint8Array, offset = 0): number {
    const { c, i } = this;
    const st = c.stack[i];
    const ids = c.packed.length[st];
    if (ids > 0) {
      buffer[offset++] = 0x0a; // field 1 location_id, packed
      offset = writeVarint(buffer, offset, ids);
      const from = c.packed.start[st];
      buffer.set(c.packed.bytes.subarray(from, from + ids), offset);
      offset += ids;
    }
    if (c.values.length > 0) {
      let values = 0;
      for (const column of c.values) values += varintSize(column[i]);
      buffer[offset++] = 0x12; // field 2 value, packed
      offset = writeVarint(buffer, offset, values);
      for (const column of c.values) offset = writeVarint(buffer, offset, column[i]);
    }
    const t = c.thread[i];
    if (t >= 0) for (const l of c.threadLabels[t]) offset = writeLabel(buffer, offset, l.key, l.str, 0, 0);
    for (const l of c.numeric) {
      const v = l.values[i];
      if (!Number.isNaN(v)) offset = writeLabel(buffer, offset, l.key, 0, Math.round(v), l.unit);
    }
    return offset;
  }
}

/** Writes one `Sample.label` (field 3) at `offset`. */
function writeLabel(buffer: Uint8Array, offset: number, key: number, str: number, num: number, unit: number): number {
  buffer[offset++] = 0x1a;
  offset = writeVarint(buffer, offset, labelSize({ key, str, num, unit }));
  buffer[offset++] = 0x08;
  offset = writeVarint(buffer, offset, key);
  if (str) {
    buffer[offset++] = 0x10;
    offset = writeVarint(buffer, offset, str);
  }
  if (num) {
    buffer[offset++] = 0x18;
    offset = writeVarint(buffer, offset, num);
  }
  if (unit) {
    buffer[offset++] = 0x20;
    offset = writeVarint(buffer, offset, unit);
  }
  return offset;
}

/** What {@link PackedSample}s read: the samples as columns. */
interface SampleColumns {
  packed: PackedStacks;
  stack: Int32Array;
  thread: Int32Array;
  /** Rounded values, one column per sample type. */
  values: Float64Array[];
  threadLabels: SampleLabel[][];
  numeric: { key: number; unit: number; values: Float64Array }[];
}

/** Packed location ids of many call stacks in one buffer. */
interface PackedStacks {
  bytes: Uint8Array;
  /** Per model stack: where its packed ids start (-1 when no sample uses it), and their length. */
  start: Int32Array;
  length: Int32Array;
}

/**
 * Packs the location ids (leaf first) of every stack a sample uses. A small
 * function of tight loops on purpose: V8 optimizes it as a whole, where the
 * same loops inside the long encoder ran several times slower.
 */
function packStacks(sampleStack: Int32Array, parent: Int32Array, location: Int32Array, locationId: Int32Array): PackedStacks {
  const start = new Int32Array(parent.length).fill(-1);
  const length = new Int32Array(parent.length);
  let bytes = new Uint8Array(1 << 16);
  let used = 0;
  for (let i = 0; i < sampleStack.length; i++) {
    const st = sampleStack[i];
    if (start[st] >= 0) continue;
    let depth = 0;
    for (let x = st; x > EMPTY_STACK; x = parent[x]) depth++;
    if (bytes.length - used < depth * 5) {
      let capacity = bytes.length * 2;
      while (capacity - used < depth * 5) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(bytes.subarray(0, used));
      bytes = grown;
    }
    start[st] = used;
    for (let x = st; x > EMPTY_STACK; x = parent[x]) {
      const id = locationId[location[x]];
      if (id < 0x80) bytes[used++] = id;
      else used = writeVarint(bytes, used, id);
    }
    length[st] = used - start[st];
  }
  return { bytes, start, length };
}

/** Options of {@link encodePprof}. */
export interface PprofOptions {
  /** Extra comments (for example the command line). */
  comments?: readonly string[];
  /** gzip level 0–9 (default 1, as Go's runtime/pprof writes: much faster than 6 for somewhat more bytes; docs/BENCHMARKS.md#measured-design-choices). */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

/** Escapes a string for use in an RE2 regular expression (pprof's `drop_frames`). */
export function escapeRe2(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/**
 * pprof compares `drop_frames` with function names whose argument list was
 * removed (`operator new(unsigned long)` is matched as `operator new`).
 */
function withoutArguments(name: string): string {
  const paren = name.indexOf('(');
  return paren > 0 && !name.startsWith('(anonymous namespace)') ? name.slice(0, paren) : name;
}

const SHARED_LIBRARY = /\.so(\.|$)|\.dylib$|\.dll$/;

/** Mapping order for pprof: the main binary first (pprof treats mapping 1 as the program), then by address. */
function mappingOrder(mappings: readonly Mapping[], wanted: boolean[]): number[] {
  const chosen = mappings.map((_, i) => i).filter((i) => wanted[i]);
  chosen.sort((a, b) => (mappings[a].start < mappings[b].start ? -1 : mappings[a].start > mappings[b].start ? 1 : a - b));
  const main = chosen.find((i) => {
    const m = mappings[i];
    return m.path.startsWith('/') && !SHARED_LIBRARY.test(basename(m.path)) && (m.perms === '' || m.perms.includes('x'));
  });
  if (main === undefined) return chosen;
  return [main, ...chosen.filter((i) => i !== main)];
}

/**
 * The profile as a pprof protocol buffer, gzip-compressed.
 *
 * Compressed with Node's own zlib rather than fflate (which the input layer
 * uses for streaming): zlib is several times faster on the benchmark's
 * protocol buffer (docs/BENCHMARKS.md#measured-design-choices).
 */
export function encodePprof(profile: HeapProfile, options: PprofOptions = {}): Uint8Array {
  // Required here: runs that write no pprof do not load node:zlib.
  const { gzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return gzipSync(encodePprofProto(profile, options), { level: options.level ?? 1 });
}

/** The profile as an uncompressed pprof protocol buffer. Refuses values that are not finite. */
export function encodePprofProto(profile: HeapProfile, options: PprofOptions = {}): Uint8Array {
  const p = profile;
  assertFiniteSamples(p);
  for (const l of p.samples.labels) {
    // NaN is an absent label; an infinite one is damage.
    for (let i = 0; i < l.values.length; i++) if (l.values[i] === Infinity || l.values[i] === -Infinity) assertFinite(l.values[i], `label ${l.key} of sample ${i + 1} of ${p.meta.file}`);
  }
  assertFinite(p.meta.sampling.periodBytes, `the sampling period of ${p.meta.file}`);
  const strings = new StringTable();
  const s = (text: string) => strings.dedup(text);
  const { locations, functions, stacks, samples } = p;

  // Which tables are used by the samples.
  const usedLocation = new Uint8Array(locations.length);
  const stackUsed = new Uint8Array(stacks.length);
  for (let i = 0; i < samples.length; i++) stackUsed[samples.stack[i]] = 1;
  for (let st = stacks.length - 1; st > EMPTY_STACK; st--) {
    if (stackUsed[st]) {
      usedLocation[stacks.location[st]] = 1;
      stackUsed[stacks.parent[st]] = 1;
    }
  }
  const usedFunction = new Uint8Array(functions.length);
  for (let l = 0; l < locations.length; l++) {
    if (!usedLocation[l]) continue;
    for (let k = locations.lineStart[l]; k < locations.lineStart[l + 1]; k++) usedFunction[locations.lineFunction[k]] = 1;
  }

  // Functions.
  const functionId = new Int32Array(functions.length);
  const pFunctions: PFunction[] = [];
  const dropNames = new Set<string>();
  for (let f = 0; f < functions.length; f++) {
    if (!usedFunction[f]) continue;
    functionId[f] = pFunctions.length + 1;
    const name = p.strings[functions.name[f]];
    pFunctions.push(
      new PFunction({
        id: functionId[f],
        name: s(name),
        systemName: s(p.strings[functions.systemName[f]]),
        filename: s(p.strings[functions.fileName[f]]),
        startLine: functions.startLine[f],
      }),
    );
    if (name !== '' && isAllocatorFunction(name)) dropNames.add(escapeRe2(withoutArguments(name)));
  }

  // Mappings: those locations use, and the program's other executable ones.
  const mappingUsed = p.mappings.map((m) => m.perms === '' || m.perms.includes('x'));
  for (let l = 0; l < locations.length; l++) if (usedLocation[l] && locations.mapping[l] >= 0) mappingUsed[locations.mapping[l]] = true;
  const order = mappingOrder(p.mappings, mappingUsed);
  const mappingId = new Int32Array(p.mappings.length);
  order.forEach((m, i) => (mappingId[m] = i + 1));
  // What symbolization found, per mapping, as pprof's own symbolizer sets
  // these flags: a flag says that some of the mapping's locations have that
  // detail (a mapping of a binary with DWARF still has addresses DWARF does
  // not cover, such as PLT stubs), not that all do. Inline frames: a location
  // with several lines, or lines from DWARF (whose symbolizers expand inlined
  // calls), as opposed to names from a symbol table or from perf.
  const facts = p.mappings.map(() => ({ functions: false, files: false, lines: false, inline: false }));
  for (let l = 0; l < locations.length; l++) {
    const m = locations.mapping[l];
    if (!usedLocation[l] || m < 0) continue;
    const fact = facts[m];
    const start = locations.lineStart[l];
    const end = locations.lineStart[l + 1];
    if (end - start > 1) fact.inline = true;
    for (let k = start; k < end; k++) {
      const f = locations.lineFunction[k];
      if (p.strings[functions.name[f]] !== '') fact.functions = true;
      if (p.strings[functions.fileName[f]] !== '') fact.files = fact.inline = true;
      if (locations.lineNumber[k] > 0) fact.lines = true;
    }
  }
  const pMappings = order.map((m) => {
    const mapping = p.mappings[m];
    const fact = facts[m];
    return new PMapping({
      id: mappingId[m],
      memoryStart: mapping.start,
      memoryLimit: mapping.limit,
      fileOffset: mapping.fileOffset,
      filename: s(mapping.path),
      buildId: s(mapping.buildId),
      hasFunctions: fact.functions,
      hasFilenames: fact.files,
      hasLineNumbers: fact.lines,
      hasInlineFrames: fact.inline,
    });
  });

  const syntheticIds = new Map<string, number>();
  const syntheticFunction = (name: string): number => {
    let fid = syntheticIds.get(name);
    if (fid === undefined) {
      fid = pFunctions.length + 1;
      pFunctions.push(new PFunction({ id: fid, name: s(name), systemName: s(name) }));
      syntheticIds.set(name, fid);
    }
    return fid;
  };

  // Locations.
  const locationId = new Int32Array(locations.length);
  const pLocations: Location[] = [];
  const minusOne = p.meta.returnAddresses;
  for (let l = 0; l < locations.length; l++) {
    if (!usedLocation[l]) continue;
    locationId[l] = pLocations.length + 1;
    const hi = locations.addressHi[l];
    const lo = locations.addressLo[l];
    const raw = hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
    const address = typeof raw === 'bigint' ? pprofAddress(raw, minusOne) : pprofAddress(raw, minusOne);
    const lines: Line[] = [];
    for (let k = locations.lineStart[l]; k < locations.lineStart[l + 1]; k++) {
      lines.push(new Line({ functionId: functionId[locations.lineFunction[k]], line: locations.lineNumber[k] }));
    }
    const m = locations.mapping[l];
    if (lines.length === 0 && m >= 0 && isAllocatorModule(basename(p.mappings[m].path))) {
      // An unsymbolized frame inside the allocator's library (jemalloc's own
      // frames at the leaf of every stack): named module+0xoffset as heapscope
      // shows it, and dropped like the allocator entry points, so pprof finds
      // the same call sites. Its mapping still says it has no functions.
      const mapping = p.mappings[m];
      const module = basename(mapping.path);
      const offset = ((BigInt(hi) << 32n) | BigInt(lo)) - mapping.start + mapping.fileOffset;
      lines.push(new Line({ functionId: syntheticFunction(`${module}+0x${offset.toString(16)}`) }));
      dropNames.add(`${escapeRe2(module)}\\+0x[0-9a-f]+`);
    }
    pLocations.push(new Location({ id: locationId[l], mappingId: m >= 0 ? mappingId[m] : 0, address, line: lines }));
  }

  // Samples.
  const sampleTypes = p.sampleTypes.map((t) => new ValueType({ type: s(t.type), unit: s(t.unit) }));
  const rounded = samples.values.map((column) => roundPreservingTotal(column));
  const threadLabels: SampleLabel[][] = p.threads.map((t) => {
    const labels = [{ key: s(THREAD_LABEL), str: s(t.key), num: 0, unit: 0 }];
    if (t.name !== '') labels.push({ key: s(THREAD_NAME_LABEL), str: s(t.name), num: 0, unit: 0 });
    return labels;
  });
  const numericLabels = samples.labels.map((l) => ({ key: s(l.key), unit: l.unit === '' ? 0 : s(l.unit), values: l.values }));
  const columns: SampleColumns = {
    packed: packStacks(samples.stack, stacks.parent, stacks.location, locationId),
    stack: samples.stack,
    thread: samples.thread,
    values: rounded,
    threadLabels,
    numeric: numericLabels,
  };
  const pSamples: Sample[] = new Array(samples.length);
  for (let i = 0; i < samples.length; i++) pSamples[i] = new PackedSample(columns, i);

  // Comments: provenance, and the facts pprof has no field for.
  const m = p.meta;
  const comments = [
    `heapscope: from ${m.file} (${m.format}${m.variant ? ` ${m.variant}` : ''})`,
    ...(options.comments ?? []),
    heapscopeMetaComment(m),
  ].map(s);

  // The period is in bytes allocated between samples for heap profiles; a
  // profile of other samples only (perf CPU samples) says it counts those.
  const heap = p.sampleTypes.length === 0 || p.sampleTypes.some((t) => /^(inuse|alloc)_/.test(t.type));
  const periodOf = heap ? undefined : p.sampleTypes.find((t) => t.type === p.defaultSampleType) ?? p.sampleTypes[0];
  const defaultType = p.defaultSampleType !== '' ? p.defaultSampleType : p.sampleTypes[p.sampleTypes.length - 1]?.type ?? '';
  const pprof = new Profile({
    sampleType: sampleTypes,
    sample: pSamples,
    mapping: pMappings,
    location: pLocations,
    function: pFunctions,
    stringTable: strings,
    dropFrames: dropNames.size > 0 ? s([...dropNames].sort().join('|')) : 0,
    periodType: new ValueType(heap ? { type: s(HEAP_PERIOD_TYPE.type), unit: s(HEAP_PERIOD_TYPE.unit) } : { type: s(periodOf!.type), unit: s(periodOf!.unit) }),
    period: !heap || m.sampling.model === 'none' || m.sampling.periodBytes <= 0 ? 1 : Math.round(m.sampling.periodBytes),
    comment: comments,
    defaultSampleType: defaultType !== '' ? s(defaultType) : 0,
  });
  return pprof.encode();
}
