/**
 * Checks the protobuf structure of a pprof `Profile` before it is decoded.
 *
 * Why: the `pprof-format` decoder trusts its input. A length that runs past
 * the end of the buffer is silently cut short, so a truncated file decodes
 * to a smaller, wrong profile; it reads every tag as one byte, so a field
 * numbered 16 or more is misread; and it throws a bare "Unrecognized value
 * type" on the fixed32/fixed64 wire types. This walk reads every tag, varint
 * and length of every message pprof defines (profile.proto in google/pprof)
 * and says exactly where the data goes wrong.
 *
 * Unknown fields are legal protobuf (a newer writer may add some) and are
 * ignored, as protobuf readers do; when they are of a kind pprof-format
 * cannot skip, {@link stripForeignFields} returns a copy without them.
 */

/** What a field of a known message holds. */
type FieldKind = 'varint' | 'packed' | 'string' | MessageSchema;

/** A message: its name (for errors) and its fields by number. */
interface MessageSchema {
  readonly name: string;
  readonly fields: ReadonlyMap<number, { name: string; kind: FieldKind }>;
}

function message(name: string, fields: Record<number, [string, FieldKind]>): MessageSchema {
  return { name, fields: new Map(Object.entries(fields).map(([k, [n, kind]]) => [Number(k), { name: n, kind }])) };
}

const VALUE_TYPE = message('ValueType', { 1: ['type', 'varint'], 2: ['unit', 'varint'] });
const LABEL = message('Label', { 1: ['key', 'varint'], 2: ['str', 'varint'], 3: ['num', 'varint'], 4: ['num_unit', 'varint'] });
const SAMPLE = message('Sample', { 1: ['location_id', 'packed'], 2: ['value', 'packed'], 3: ['label', LABEL] });
const MAPPING = message('Mapping', {
  1: ['id', 'varint'],
  2: ['memory_start', 'varint'],
  3: ['memory_limit', 'varint'],
  4: ['file_offset', 'varint'],
  5: ['filename', 'varint'],
  6: ['build_id', 'varint'],
  7: ['has_functions', 'varint'],
  8: ['has_filenames', 'varint'],
  9: ['has_line_numbers', 'varint'],
  10: ['has_inline_frames', 'varint'],
});
const LINE = message('Line', { 1: ['function_id', 'varint'], 2: ['line', 'varint'], 3: ['column', 'varint'] });
const LOCATION = message('Location', {
  1: ['id', 'varint'],
  2: ['mapping_id', 'varint'],
  3: ['address', 'varint'],
  4: ['line', LINE],
  5: ['is_folded', 'varint'],
});
const FUNCTION = message('Function', {
  1: ['id', 'varint'],
  2: ['name', 'varint'],
  3: ['system_name', 'varint'],
  4: ['filename', 'varint'],
  5: ['start_line', 'varint'],
});

/** google/pprof's profile.proto `Profile`. */
export const PROFILE_SCHEMA: MessageSchema = message('Profile', {
  1: ['sample_type', VALUE_TYPE],
  2: ['sample', SAMPLE],
  3: ['mapping', MAPPING],
  4: ['location', LOCATION],
  5: ['function', FUNCTION],
  6: ['string_table', 'string'],
  7: ['drop_frames', 'varint'],
  8: ['keep_frames', 'varint'],
  9: ['time_nanos', 'varint'],
  10: ['duration_nanos', 'varint'],
  11: ['period_type', VALUE_TYPE],
  12: ['period', 'varint'],
  13: ['comment', 'packed'],
  14: ['default_sample_type', 'varint'],
  15: ['doc_url', 'varint'],
});

import { LimitExceededError } from '../model/builder.js';

/** A structural problem, at a byte offset of the (decompressed) data. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32'];

/** Result of {@link checkProfileWire}. */
export interface WireFacts {
  /** Number of top-level fields read. */
  fields: number;
  /** Fields pprof-format cannot skip (field number ≥ 16, fixed32/fixed64) were seen. */
  foreign: boolean;
  /** Count of each top-level field number seen. */
  counts: Map<number, number>;
}

/**
 * Reads a varint at `pos`; returns its value (exact below 2^53) and the
 * position after it, or throws when it is cut off or longer than 10 bytes.
 */
function readVarint(buf: Uint8Array, pos: number, end: number, out: { value: number; next: number }, what: string): void {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) throw new WireError(`${what} is cut off (the data ends inside a varint)`, pos);
    const b = buf[pos + i];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) {
      out.value = value;
      out.next = pos + i + 1;
      return;
    }
  }
  throw new WireError(`${what} is not a valid varint (longer than 10 bytes)`, pos);
}

/**
 * Walks one message in `buf[start, end)`. `where` describes it for errors
 * (`sample #3`). With `limit`, stops quietly at the first field that does
 * not fit before `end` (detection over the first bytes of a file).
 */
function walk(buf: Uint8Array, start: number, end: number, schema: MessageSchema, where: string, facts: WireFacts | null, state: { foreign: boolean }, lenientEnd: boolean): number {
  const v = { value: 0, next: 0 };
  const seen = new Map<number, number>();
  let pos = start;
  let fields = 0;
  while (pos < end) {
    const tagAt = pos;
    try {
      readVarint(buf, pos, end, v, `a field tag in ${where}`);
    } catch (error) {
      if (lenientEnd) return fields;
      throw error;
    }
    const tag = v.value;
    pos = v.next;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new WireError(`field number 0 in ${where} (not protobuf data)`, tagAt);
    if (wire === 3 || wire === 4 || wire > 5) throw new WireError(`unsupported wire type ${wire} (${WIRE_NAMES[wire] ?? 'invalid'}) for field ${field} in ${where}`, tagAt);
    const known = schema.fields.get(field);
    const index = seen.get(field) ?? 0;
    seen.set(field, index + 1);
    const label = known ? `${schema.name}.${known.name}` : `field ${field}`;
    const here = known && typeof known.kind === 'object' ? `${known.name} #${index + 1}` : label;
    // Read the value's extent.
    let valueStart = pos;
    let valueEnd: number;
    if (wire === 0) {
      try {
        readVarint(buf, pos, end, v, `${label} in ${where}`);
      } catch (error) {
        if (lenientEnd) return fields;
        throw error;
      }
      valueEnd = v.next;
    } else if (wire === 1 || wire === 5) {
      valueEnd = pos + (wire === 1 ? 8 : 4);
      if (valueEnd > end) {
        if (lenientEnd) return fields;
        throw new WireError(`${label} in ${where} is cut off`, tagAt);
      }
    } else {
      try {
        readVarint(buf, pos, end, v, `the length of ${label} in ${where}`);
      } catch (error) {
        if (lenientEnd) return fields;
        throw error;
      }
      valueStart = v.next;
      valueEnd = valueStart + v.value;
      if (valueEnd > end) {
        if (lenientEnd) return fields;
        throw new WireError(
          `${here} in ${where} says it is ${v.value} bytes long but only ${end - valueStart} remain: the data is truncated or corrupt`,
          tagAt,
        );
      }
    }
    // Check it against the schema.
    if (!known || field >= 16 || wire === 1 || wire === 5) {
      if (field >= 16 || wire === 1 || wire === 5) state.foreign = true;
    } else if (known.kind === 'varint') {
      if (wire !== 0) throw new WireError(`${label} in ${where} has wire type ${WIRE_NAMES[wire]}, expected varint`, tagAt);
    } else if (known.kind === 'packed') {
      if (wire === 2) {
        for (let p = valueStart; p < valueEnd; p = v.next) readVarint(buf, p, valueEnd, v, `a value of ${label} in ${where}`);
      }
    } else if (known.kind === 'string') {
      if (wire !== 2) throw new WireError(`${label} in ${where} has wire type ${WIRE_NAMES[wire]}, expected a string`, tagAt);
    } else {
      if (wire !== 2) throw new WireError(`${label} in ${where} has wire type ${WIRE_NAMES[wire]}, expected a message`, tagAt);
      walk(buf, valueStart, valueEnd, known.kind, here, null, state, false);
    }
    pos = valueEnd;
    fields++;
  }
  if (facts) {
    facts.fields += fields;
    for (const [f, n] of seen) facts.counts.set(f, (facts.counts.get(f) ?? 0) + n);
  }
  return fields;
}

/**
 * Checks that `buf` is a well-formed pprof Profile message: every tag,
 * varint and length in range, every known field of the right wire type, at
 * every level. Throws {@link WireError} at the first problem.
 */
export function checkProfileWire(buf: Uint8Array): WireFacts {
  const facts: WireFacts = { fields: 0, foreign: false, counts: new Map() };
  const state = { foreign: false };
  walk(buf, 0, buf.length, PROFILE_SCHEMA, 'the profile', facts, state, false);
  facts.foreign = state.foreign;
  return facts;
}

/**
 * What the first bytes of an input look like as a pprof Profile: the
 * well-formed top-level fields before the data (possibly cut by the
 * detection window) ends or a field is malformed or of a kind pprof never
 * writes, and whether that happened (`clean` false).
 */
export function sniffProfileWire(head: Uint8Array): { fields: number; counts: Map<number, number>; clean: boolean } {
  const counts = new Map<number, number>();
  const v = { value: 0, next: 0 };
  let pos = 0;
  let fields = 0;
  try {
    while (pos < head.length) {
      // One top-level field at a time, so the good ones before a bad one count.
      readVarint(head, pos, head.length, v, 'a tag');
      const wire = v.value % 8;
      const field = Math.floor(v.value / 8);
      let end: number;
      if (wire === 0) {
        readVarint(head, v.next, head.length, v, 'a value');
        end = v.next;
      } else if (wire === 2) {
        readVarint(head, v.next, head.length, v, 'a length');
        end = v.next + v.value;
        if (end > head.length) return { fields, counts, clean: true }; // the window ends inside this field
      } else return { fields, counts, clean: false };
      const facts: WireFacts = { fields: 0, foreign: false, counts: new Map() };
      const state = { foreign: false };
      walk(head, pos, end, PROFILE_SCHEMA, 'the profile', facts, state, false);
      if (state.foreign || field >= 16) return { fields, counts, clean: false };
      counts.set(field, (counts.get(field) ?? 0) + 1);
      fields++;
      pos = end;
    }
  } catch {
    return { fields, counts, clean: false };
  }
  return { fields, counts, clean: true };
}

/** Appends a varint to `out`. */
function pushVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/**
 * A copy of a structurally valid Profile without the fields pprof-format
 * cannot skip (field numbers ≥ 16, fixed32 and fixed64 values), with the
 * lengths of the messages that contained them re-encoded.
 */
export function stripForeignFields(buf: Uint8Array): Uint8Array {
  return rebuild(buf, 0, buf.length, PROFILE_SCHEMA);
}

function rebuild(buf: Uint8Array, start: number, end: number, schema: MessageSchema): Uint8Array {
  const parts: Uint8Array[] = [];
  const v = { value: 0, next: 0 };
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    readVarint(buf, pos, end, v, 'a tag');
    const field = Math.floor(v.value / 8);
    const wire = v.value % 8;
    pos = v.next;
    let valueStart = pos;
    let valueEnd: number;
    if (wire === 0) {
      readVarint(buf, pos, end, v, 'a varint');
      valueEnd = v.next;
    } else if (wire === 1 || wire === 5) {
      valueEnd = pos + (wire === 1 ? 8 : 4);
    } else {
      readVarint(buf, pos, end, v, 'a length');
      valueStart = v.next;
      valueEnd = valueStart + v.value;
    }
    const known = schema.fields.get(field);
    if (field >= 16 || wire === 1 || wire === 5) {
      // dropped
    } else if (known && typeof known.kind === 'object' && wire === 2) {
      const inner = rebuild(buf, valueStart, valueEnd, known.kind);
      const head: number[] = [];
      pushVarint(head, field * 8 + 2);
      pushVarint(head, inner.length);
      parts.push(Uint8Array.from(head), inner);
    } else {
      parts.push(buf.subarray(tagAt, valueEnd));
    }
    pos = valueEnd;
  }
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Limits a pprof input is held to while its bytes arrive. */
export interface ProfileLimits {
  /** Longest top-level record (a string of the string table, a sample, a location…). */
  maxRecordBytes: number;
  /** Most samples. */
  maxSamples: number;
}

const SCAN_TAG = 0;
const SCAN_VARINT = 1;
const SCAN_LENGTH = 2;
const SCAN_SKIP = 3;
const SCAN_DONE = 4;

/**
 * Follows the top-level fields of a Profile as its bytes arrive, before the
 * file is held whole and decoded: a hostile file of a megabyte can hold a
 * string of gigabytes or tens of millions of samples (each decoded sample
 * costs about 300 bytes), and is stopped here with a LimitExceededError.
 * Anything that is not a well-formed field ends the scan quietly: the
 * structure check (checkProfileWire) reports it once the file is read.
 */
export class ProfileScan {
  private state = SCAN_TAG;
  private value = 0;
  private scale = 1;
  private varintBytes = 0;
  private field = 0;
  private skipLeft = 0;
  private readonly records = new Map<number, number>();
  private samples = 0;

  constructor(private readonly limits: ProfileLimits) {}

  /** Takes the next bytes of the file. */
  feed(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n && this.state !== SCAN_DONE) {
      if (this.state === SCAN_SKIP) {
        const step = Math.min(this.skipLeft, n - i);
        i += step;
        this.skipLeft -= step;
        if (this.skipLeft === 0) this.state = SCAN_TAG;
        continue;
      }
      const b = chunk[i++];
      this.value += (b & 0x7f) * this.scale;
      this.scale *= 128;
      if (b >= 0x80) {
        if (++this.varintBytes >= 10) this.state = SCAN_DONE;
        continue;
      }
      const v = this.value;
      this.value = 0;
      this.scale = 1;
      this.varintBytes = 0;
      if (this.state === SCAN_VARINT) this.state = SCAN_TAG;
      else if (this.state === SCAN_LENGTH) this.record(v);
      else this.tag(v);
    }
  }

  private tag(v: number): void {
    this.field = Math.floor(v / 8);
    const wire = v % 8;
    if (this.field === 2 && ++this.samples > this.limits.maxSamples) {
      throw new LimitExceededError(`more than ${this.limits.maxSamples} samples (raise the limit with --max-samples)`);
    }
    if (wire === 0) this.state = SCAN_VARINT;
    else if (wire === 2) this.state = SCAN_LENGTH;
    else if (wire === 1 || wire === 5) {
      this.skipLeft = wire === 1 ? 8 : 4;
      this.state = SCAN_SKIP;
    } else this.state = SCAN_DONE;
  }

  private record(length: number): void {
    const index = (this.records.get(this.field) ?? 0) + 1;
    this.records.set(this.field, index);
    if (length > this.limits.maxRecordBytes) {
      const known = PROFILE_SCHEMA.fields.get(this.field);
      const what = known ? `${known.name} #${index}` : `field ${this.field} #${index}`;
      throw new LimitExceededError(`${what} is ${length} bytes long, more than ${this.limits.maxRecordBytes} (raise the limit with --max-string-bytes)`);
    }
    this.skipLeft = length;
    this.state = length > 0 ? SCAN_SKIP : SCAN_TAG;
  }
}
