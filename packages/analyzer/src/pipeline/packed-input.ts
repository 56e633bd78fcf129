/**
 * A read input (read-input.ts) in the form that crosses from a worker thread
 * to the main thread (read-pool.ts): the profile's columns are typed arrays
 * whose buffers are transferred, not copied; its string table travels as
 * one buffer of text and one of offsets; what is left (meta, mappings,
 * threads, sample types, a trace's report, allocator statistics) is small
 * and is structured-cloned as it is.
 *
 * Tables that several profiles share (a trace's final, peak and window
 * profiles share their strings, stacks, locations and functions) are packed
 * once and shared again once unpacked.
 */
import {
  HeapProfile,
  type FunctionTable,
  type HeapProfileTables,
  type LabelColumn,
  type LocationTable,
  type SampleTable,
  type StackTable,
} from '@heapscope/parser';
import type { AccumulatedTrace, SiteColumns, SiteSizeRows, TraceSnapshot } from '../accumulate/accumulator.js';
import type { LoadedInput } from './read-input.js';

type Column = Int32Array | Uint32Array | Float64Array;

/** Strings as one text and the end of each (in UTF-16 code units). */
interface PackedStrings {
  /** UTF-8 when every string is well formed, else the code units themselves. */
  text: Uint8Array | Uint16Array;
  ends: Uint32Array;
}

/** A shared part: an index into {@link PackedInput.parts}. */
type Ref = number;
type Part = Column | PackedStrings;

/** A table of columns: its columns by reference, its other fields (`length`) as they are. */
interface PackedTable {
  columns: Record<string, Ref>;
  fields: Record<string, unknown>;
}

interface PackedSamples {
  length: number;
  stack: Ref;
  thread: Ref;
  values: Ref[];
  labels: { key: string; unit: string; values: Ref }[];
}

interface PackedProfile extends Omit<HeapProfileTables, 'strings' | 'functions' | 'locations' | 'stacks' | 'samples'> {
  strings: Ref;
  functions: Ref;
  locations: Ref;
  stacks: Ref;
  samples: Ref;
}

interface PackedTrace extends Omit<AccumulatedTrace, 'profile' | 'peakProfile' | 'snapshots' | 'sites' | 'sizes'> {
  profile: Ref;
  peakProfile: Ref;
  snapshots: (Omit<TraceSnapshot, 'profile'> & { profile: Ref })[];
  sites: PackedTable;
  sizes: PackedTable;
}

/** A read input, packed: `transfer` lists the buffers to move with it. */
export interface PackedInput {
  /** Columns and string tables, and the packed tables and profiles that refer to them by index. */
  parts: (Part | PackedTable | PackedSamples | PackedProfile)[];
  profile: Ref;
  trace?: PackedTrace;
  stats?: LoadedInput['stats'];
}

/** Packs `input` (not yet symbolized); returns it with the buffers to transfer. */
export function packInput(input: LoadedInput): { packed: PackedInput; transfer: ArrayBuffer[] } {
  const packer = new Packer();
  const packed: PackedInput = { parts: packer.parts, profile: packer.profile(input.profile) };
  if (input.trace) packed.trace = packer.trace(input.trace);
  if (input.stats) packed.stats = input.stats;
  return { packed, transfer: packer.transfer };
}

/** The input that {@link packInput} packed. */
export function unpackInput(packed: PackedInput): LoadedInput {
  const unpacker = new Unpacker(packed.parts);
  const input: LoadedInput = { profile: unpacker.profile(packed.profile) };
  if (packed.trace) input.trace = unpacker.trace(packed.trace);
  if (packed.stats) input.stats = packed.stats;
  return input;
}

class Packer {
  readonly parts: PackedInput['parts'] = [];
  readonly transfer: ArrayBuffer[] = [];
  /** Each object packed so far: a table shared by two profiles is packed once. */
  private readonly refs = new Map<object, Ref>();
  private readonly buffers = new Set<ArrayBufferLike>();

  private once<T extends object>(value: T, pack: (value: T) => PackedInput['parts'][number]): Ref {
    let ref = this.refs.get(value);
    if (ref === undefined) {
      ref = this.parts.push(pack(value)) - 1;
      this.refs.set(value, ref);
    }
    return ref;
  }

  /** A column, its buffer moved when the column is alone in it, else copied first. */
  column(column: Column): Ref {
    return this.once(column, (c) => {
      const whole = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && !(c.buffer instanceof SharedArrayBuffer) && !this.buffers.has(c.buffer);
      // Why copy otherwise: a view into a larger buffer (a growable column's
      // spare room, Node's pool of small Buffers) would move memory that is
      // not the column's, or fail to move at all.
      const own = whole ? c : (c.slice() as Column);
      this.buffers.add(own.buffer);
      this.transfer.push(own.buffer as ArrayBuffer);
      return own;
    });
  }

  strings(strings: readonly string[]): Ref {
    return this.once(strings, (list) => {
      const joined = list.join('');
      const ends = new Uint32Array(list.length);
      let at = 0;
      list.forEach((s, i) => (ends[i] = at += s.length));
      // UTF-8 is half the size for the usual ASCII names; a lone surrogate
      // (a string cut from binary data) would not survive it, so such a
      // table goes as UTF-16 code units.
      let text: Uint8Array | Uint16Array;
      if ((joined as unknown as { isWellFormed(): boolean }).isWellFormed()) text = new TextEncoder().encode(joined);
      else {
        text = new Uint16Array(joined.length);
        for (let i = 0; i < joined.length; i++) text[i] = joined.charCodeAt(i);
      }
      this.transfer.push(text.buffer as ArrayBuffer, ends.buffer);
      return { text, ends };
    });
  }

  profile(p: HeapProfile): Ref {
    return this.once(p, () => {
      const packed: PackedProfile = {
        strings: this.strings(p.strings),
        functions: this.once(p.functions, (f) => this.table(f)),
        locations: this.once(p.locations, (l) => this.table(l)),
        mappings: p.mappings,
        stacks: this.once(p.stacks, (s) => this.table(s)),
        threads: p.threads,
        sampleTypes: p.sampleTypes,
        defaultSampleType: p.defaultSampleType,
        samples: this.once(p.samples, (s) => this.samples(s)),
        meta: p.meta,
      };
      return packed;
    });
  }

  private samples(s: SampleTable): PackedSamples {
    return {
      length: s.length,
      stack: this.column(s.stack),
      thread: this.column(s.thread),
      values: s.values.map((v) => this.column(v)),
      labels: s.labels.map((l) => ({ key: l.key, unit: l.unit, values: this.column(l.values) })),
    };
  }

  /** A table of columns (and its `length`). */
  table(table: object): PackedTable {
    const packed: PackedTable = { columns: {}, fields: {} };
    for (const [key, value] of Object.entries(table)) {
      if (ArrayBuffer.isView(value)) packed.columns[key] = this.column(value as Column);
      else packed.fields[key] = value;
    }
    return packed;
  }

  trace(t: AccumulatedTrace): PackedTrace {
    return {
      profile: this.profile(t.profile),
      peakProfile: this.profile(t.peakProfile),
      snapshots: t.snapshots.map((s) => ({ ...s, profile: this.profile(s.profile) })),
      report: t.report,
      sites: this.table(t.sites),
      sizes: this.table(t.sizes),
      parts: t.parts,
    };
  }
}

class Unpacker {
  /** Each part unpacked so far, so that shared tables are shared again. */
  private readonly done = new Map<Ref, unknown>();

  constructor(private readonly parts: PackedInput['parts']) {}

  private once<T>(ref: Ref, unpack: (part: never) => T): T {
    if (!this.done.has(ref)) this.done.set(ref, unpack(this.parts[ref] as never));
    return this.done.get(ref) as T;
  }

  column<T extends Column>(ref: Ref): T {
    return this.parts[ref] as T;
  }

  strings(ref: Ref): string[] {
    return this.once(ref, ({ text, ends }: PackedStrings) => {
      const joined = text instanceof Uint16Array ? utf16(text) : new TextDecoder().decode(text);
      const out = new Array<string>(ends.length);
      let start = 0;
      for (let i = 0; i < ends.length; i++) {
        out[i] = joined.slice(start, ends[i]);
        start = ends[i];
      }
      return out;
    });
  }

  table<T>(packed: PackedTable): T {
    const out: Record<string, unknown> = { ...packed.fields };
    for (const [key, ref] of Object.entries(packed.columns)) out[key] = this.column(ref);
    return out as T;
  }

  profile(ref: Ref): HeapProfile {
    return this.once(ref, (p: PackedProfile) => {
      const samples = this.once(p.samples, (s: PackedSamples): SampleTable => ({
        length: s.length,
        stack: this.column(s.stack),
        thread: this.column(s.thread),
        values: s.values.map((v) => this.column<Float64Array>(v)),
        labels: s.labels.map((l): LabelColumn => ({ key: l.key, unit: l.unit, values: this.column(l.values) })),
      }));
      return new HeapProfile({
        ...p,
        strings: this.strings(p.strings),
        functions: this.once(p.functions, (f: PackedTable) => this.table<FunctionTable>(f)),
        locations: this.once(p.locations, (l: PackedTable) => this.table<LocationTable>(l)),
        stacks: this.once(p.stacks, (s: PackedTable) => this.table<StackTable>(s)),
        samples,
      });
    });
  }

  trace(t: PackedTrace): AccumulatedTrace {
    return {
      profile: this.profile(t.profile),
      peakProfile: this.profile(t.peakProfile),
      snapshots: t.snapshots.map((s) => ({ ...s, profile: this.profile(s.profile) })),
      report: t.report,
      sites: this.table<SiteColumns>(t.sites),
      sizes: this.table<SiteSizeRows>(t.sizes),
      parts: t.parts,
    };
  }
}

/** A string from UTF-16 code units, in slices (an argument list has a limit). */
function utf16(units: Uint16Array): string {
  let out = '';
  for (let i = 0; i < units.length; i += 8192) out += String.fromCharCode(...units.subarray(i, i + 8192));
  return out;
}
