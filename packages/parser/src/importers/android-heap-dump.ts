/**
 * Android native heap dumps (`Android Native Heap Dump v1.x`): the live
 * allocations of one process per (zygote flag, size, backtrace).
 *
 * Producers: `am dumpheap -n <pid> <file>` — pre-P frameworks/base
 * core/jni/android_os_Debug.cpp (`dumpNativeHeap`), later bionic
 * libc/malloc_debug/malloc_debug.cpp (`write_dump`) and PointerData.cpp
 * (`DumpLiveToFile`) — and malloc_debug's `backtrace` option on signal 47
 * (`backtrace_heap.<pid>.txt`, `….<pid>.exit.txt`). Documented in bionic
 * libc/malloc_debug/README.md; facts in docs/formats.md#android-heap-dump. The README's example
 * (v1.2, with `backtrace_full`):
 *
 *   Android Native Heap Dump v1.2
 *
 *   Build fingerprint: 'google/taimen/taimen:8.1.0/OPM2.171026.006.C1/4769658:user/release-keys'
 *
 *   Total memory: 400
 *   Allocation records: 1
 *   Backtrace size: 16
 *
 *   z 0  sz      400  num    1  bt a2a0 b510
 *     bt_info {"/system/libc.so" 2a0 "abort" 24} {"/system/libutils.so" 510 "" 0}
 *   MAPS
 *   7fe9181000-7fe91a2000 rw-p 00000000 00:00 0                              /system/lib/libc.so
 *   END
 *
 * Versions and their quirks, handled here:
 * - v1.0 (pre-P frameworks/base, and an older malloc debug): no build
 *   fingerprint; `Backtrace size:` or, in older builds,
 *   `WARNING: mismatched backtrace sizes (<a> vs. <b>)`; frames zero-padded.
 *   An older malloc debug wrote a wrong `num` in v1.0, and one cannot tell
 *   the writers apart, so — as bionic's README says — every v1.0 record
 *   counts as one allocation (said in a warning, with the dump's own sum).
 * - v1.1 (API 28): as v1.0 but `num` is right.
 * - v1.2 (API 29+): `Build fingerprint:`; frames not padded; optional
 *   `bt_info` lines after a record (`backtrace_full`): per frame, the map,
 *   the pc relative to it, the demangled function ("" when unknown) and the
 *   offset in it. Function names name the frames here (like Go's `#`
 *   comments in gperftools.ts); the symbolizer keeps them.
 * - A record with no frames (`… bt`) is kept, on the empty stack (AOSP's
 *   native_heapdump_viewer skipped them). Records with equal (zygote,
 *   size, backtrace) are summed.
 * - `z 1`: allocated by an app after it forked from the zygote; kept as the
 *   numeric label `zygote` (1 or 0). The record's size is the label `bytes`.
 * - Sizes are the sizes requested from malloc, exact per record.
 * - Frames are absolute pcs (leaf first), hex without `0x`, already moved
 *   back into the call instruction: malloc_debug's unwinders (bionic
 *   libc/malloc_debug/backtrace.cpp, and libunwindstack's frame pcs with
 *   `backtrace_full`) subtract 1 on x86, 4 on arm64 and 2 or 4 on Thumb from
 *   each return address. So they are looked up as they are
 *   (`returnAddresses: false`): subtracting again would be wrong on arm64.
 * - `MAPS` … `END` holds raw /proc/self/maps (no blank line before it), or
 *   "Could not open /proc/self/maps" — after which the pre-P writer wrote no
 *   `END` (it returned there), so a dump that ends so is whole.
 * - With malloc debug off, the file holds "Native heap dump not available."
 *   and advice: an error here, since there is no data.
 */
import type { Head, ParseContext, SnapshotImporter } from './importer.js';
import type { Input } from '../input/source.js';
import { basename } from 'node:path';
import { ParseError } from '../errors.js';
import { ProfileBuilder } from '../model/builder.js';
import { PairIndex } from '../model/pair-index.js';
import { INUSE_OBJECTS, INUSE_SPACE, type HeapProfile } from '../model/profile.js';
import { withLocationLines, type FrameInfo } from '../model/symbols.js';
import { MapsReader, anotherProfile } from './maps.js';
import { cutFramesOutsideCode } from './bad-frames.js';
import { StackLineReader } from './hex-frames.js';

const HEADER = /^Android Native Heap Dump v(\d+)\.(\d+)\s*$/;
const NOT_AVAILABLE = 'Native heap dump not available.';
const FINGERPRINT = /^Build fingerprint: '(.*)'\s*$/;
const HEADER_NUMBER = /^(Total memory|Allocation records|Backtrace size): (\d+)\s*$/;
const MISMATCHED = /^WARNING: mismatched backtrace sizes \((\d+) vs\. (\d+)\)\s*$/;
/** `backtrace_heap.<pid>.txt`, `backtrace_heap.<pid>.exit.txt` (malloc_debug's default names). */
const FILE_NAME = /\.(\d+)(?:\.exit)?\.txt$/;

export const androidHeapDumpImporter: SnapshotImporter = {
  id: 'android-heap-dump',
  kind: 'snapshot',
  description: 'Android native heap dump v1.0–v1.2 (am dumpheap -n, malloc_debug backtrace)',

  sniff(head: Head): number {
    const first = head.firstLine;
    return first.startsWith('Android Native Heap Dump') || first.startsWith(NOT_AVAILABLE) ? 1 : 0;
  },

  async parse(input: Input, ctx: ParseContext): Promise<HeapProfile> {
    const reader = new HeapDumpReader(input.name, ctx);
    const lines = ctx.lines(input);
    for await (const { lines: batch, firstLine } of lines) {
      for (let i = 0; i < batch.length; i++) reader.line(batch[i], firstLine + i);
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    return reader.finish();
  },
};

/** Where the reader is in the dump; `Rest`: another dump started (lenient), nothing more is read. */
const Section = { Header: 0, Records: 1, Maps: 2, End: 3, Rest: 4 } as const;
type Section = (typeof Section)[keyof typeof Section];

/** A record's fields as scanned. */
interface RecordFields {
  zygote: number;
  sizeBytes: number;
  count: number;
  /** Where the frames start. */
  framesStart: number;
}

const textEncoder = new TextEncoder();

/** The reader's state machine, one line at a time. */
class HeapDumpReader {
  private readonly builder: ProfileBuilder;
  private readonly maps: MapsReader;
  private readonly stackLines: StackLineReader;
  private readonly fields: RecordFields = { zygote: 0, sizeBytes: 0, count: 0, framesStart: 0 };
  private section: Section = Section.Header;
  private version = -1;
  private fingerprint: string | null = null;
  private headerTotalBytes = -1;
  private headerRecords = -1;
  private backtraceSize = -1;

  // Rows: one per distinct (stack, zygote, size).
  private readonly rowIndex = new PairIndex(1024);
  private readonly sizeIds = new Map<number, number>();
  private readonly rowStack: number[] = [];
  private readonly rowZygote: number[] = [];
  private readonly rowSize: number[] = [];
  private readonly rowCount: number[] = [];

  // Totals, for the header checks and the v1.0 warning.
  private records = 0;
  private rawCountSum = 0;
  private rawBytesSum = 0;
  private countIsOne = 0;

  /** The last record's frames text, for its `bt_info`. */
  private lastFrames: string | null = null;
  private readonly frameInfo = new Map<number, FrameInfo[]>();
  private sawMaps = false;
  private sawEnd = false;
  private mapsUnavailable = false;
  private afterEnd = 0;
  private firstAfterEnd = 0;

  constructor(
    private readonly file: string,
    private readonly ctx: ParseContext,
  ) {
    const name = FILE_NAME.exec(basename(file));
    this.builder = new ProfileBuilder({
      sampleTypes: [INUSE_OBJECTS, INUSE_SPACE],
      defaultSampleType: INUSE_SPACE.type,
      labels: [
        { key: 'bytes', unit: 'bytes' },
        { key: 'zygote', unit: '' },
      ],
      maxStacks: ctx.options.maxStacks,
      maxSamples: ctx.options.maxSamples,
      meta: {
        format: 'android-heap-dump',
        variant: '',
        file,
        pid: name ? Number(name[1]) : undefined,
        sampling: { model: 'none', periodBytes: 0 },
        sizeKind: 'exact',
        returnAddresses: false,
        warnings: [],
      },
    });
    this.maps = new MapsReader(ctx, (text) => startsDump(text) || text.trim() === 'MAPS');
    this.stackLines = new StackLineReader(this.builder);
  }

  line(line: string, lineNo: number): void {
    const section = this.section;
    if (section === Section.Records) {
      this.recordsLine(line, lineNo);
    } else if (section === Section.Maps) {
      if (line.trim() === 'END') {
        this.section = Section.End;
        this.sawEnd = true;
      } else if (line.startsWith('Could not open /proc/self/maps')) this.mapsUnavailable = true;
      else {
        // A header or a second "MAPS" here: the dump was cut inside its maps and another appended.
        this.maps.line(line, lineNo);
        if (this.maps.ended) this.section = Section.Rest;
      }
    } else if (section === Section.End) {
      this.afterEndLine(line, lineNo);
    } else if (section === Section.Rest) {
      return;
    } else if (this.version < 0) {
      // Blank lines before the header: detection skips them too.
      if (line.trim() !== '') this.readVersion(line, lineNo);
    } else if (line.charCodeAt(0) !== 122 /* z */ && line.trim() !== 'MAPS') {
      this.headerLine(line, lineNo);
    } else {
      // The first record (or MAPS when there are none) ends the header.
      this.section = Section.Records;
      this.recordsLine(line, lineNo);
    }
  }

  private readVersion(line: string, lineNo: number): void {
    if (line.startsWith(NOT_AVAILABLE)) {
      // Not lenient-able: there is nothing to read.
      throw new ParseError(this.file, lineNo, 'no heap data: the process ran without malloc debug', this.ctx.format, line);
    }
    const m = HEADER.exec(line);
    if (!m || m[1] !== '1') {
      // Another major version may mean another layout: not read as this one unless asked (--lenient).
      const reason = m ? `version v${m[1]}.${m[2]} is not one heapscope knows (it reads v1.0 to v1.2)` : 'expected "Android Native Heap Dump v1.<n>" on the first line';
      this.ctx.malformed(lineNo, reason, line);
      this.version = 2;
      return;
    }
    this.version = Number(m[2]);
    if (this.version > 2) this.ctx.warn(`unknown version v1.${m[2]}, read as v1.2`, lineNo);
  }

  /**
   * A line after `END`, where the writer writes nothing: a line of a dump's
   * own (a header, a record, `MAPS`) is a second dump, anything else is
   * counted in a warning.
   */
  private afterEndLine(line: string, lineNo: number): void {
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (startsDump(line) || trimmed === 'MAPS' || HEADER_NUMBER.test(line) || FINGERPRINT.test(line) || (line.charCodeAt(0) === 122 /* z */ && scanRecord(line, this.fields))) {
      this.another(line, lineNo);
    } else if (this.afterEnd++ === 0) this.firstAfterEnd = lineNo;
  }

  /** Another dump starts at `line` (`where` in this one): an error, or under --lenient the rest is not read. */
  private another(line: string, lineNo: number, where?: string): void {
    anotherProfile(this.ctx, lineNo, line, where);
    this.section = Section.Rest;
    this.lastFrames = null;
  }

  private headerLine(line: string, lineNo: number): void {
    if (line.trim() === '') return;
    if (startsDump(line)) {
      this.another(line, lineNo, BEFORE_MAPS);
      return;
    }
    let m = HEADER_NUMBER.exec(line);
    if (m) {
      const value = Number(m[2]);
      if (m[1] === 'Total memory') this.headerTotalBytes = value;
      else if (m[1] === 'Allocation records') this.headerRecords = value;
      else this.backtraceSize = value;
      return;
    }
    m = FINGERPRINT.exec(line);
    if (m) {
      this.fingerprint = m[1];
      return;
    }
    m = MISMATCHED.exec(line);
    if (m) {
      this.ctx.warn(`the writer warned of mismatched backtrace sizes (${m[1]} vs. ${m[2]})`, lineNo);
      return;
    }
    this.ctx.malformed(lineNo, 'expected "Build fingerprint:", "Total memory:", "Allocation records:", "Backtrace size:" or a "z <0|1>  sz <size>  num <count>  bt <frames>" record', line);
  }

  private recordsLine(line: string, lineNo: number): void {
    const c = line.charCodeAt(0);
    if (c === 122 /* z */) {
      this.record(line, lineNo);
      return;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith('bt_info')) {
      this.btInfo(line, lineNo);
      return;
    }
    if (trimmed === 'MAPS') {
      this.section = Section.Maps;
      this.sawMaps = true;
      this.lastFrames = null;
      return;
    }
    if (trimmed === '') return;
    if (startsDump(line)) {
      this.another(line, lineNo, BEFORE_MAPS);
      return;
    }
    this.ctx.malformed(lineNo, 'expected a "z <0|1>  sz <size>  num <count>  bt <frames>" record, "bt_info", or "MAPS"', line);
  }

  private record(line: string, lineNo: number): void {
    this.lastFrames = null;
    const f = this.fields;
    if (!scanRecord(line, f)) {
      this.ctx.malformed(lineNo, 'expected "z <0|1>  sz <size>  num <count>  bt <frames>"', line);
      return;
    }
    if (!Number.isSafeInteger(f.sizeBytes * f.count)) {
      this.ctx.malformed(lineNo, 'size × num exceeds 2^53', line);
      return;
    }
    // A slice: the text before the frames varies in width from record to
    // record, and the reader reuses frames by position in the previous line.
    const frames = line.slice(f.framesStart);
    const frameBytes = textEncoder.encode(frames);
    const stack = this.stackLines.read(frameBytes, 0, frameBytes.length);
    const problem = this.stackLines.problem;
    if (stack < 0 || problem.nil > 0) {
      this.ctx.malformed(lineNo, `"${problem.bad || '(nil)'}" is not a hexadecimal frame address`, line);
      return;
    }
    this.records++;
    this.rawCountSum += f.count;
    this.rawBytesSum += f.sizeBytes * f.count;
    let count = f.count;
    if (this.version === 0) {
      // bionic README: the count is unreliable in v1.0; treat it as 1.
      count = 1;
      this.countIsOne++;
    }
    let sizeId = this.sizeIds.get(f.sizeBytes);
    if (sizeId === undefined) {
      sizeId = this.sizeIds.size;
      this.sizeIds.set(f.sizeBytes, sizeId);
    }
    const before = this.rowIndex.size;
    const row = this.rowIndex.intern(stack * 2 + f.zygote, sizeId);
    if (row === before) {
      this.rowStack.push(stack);
      this.rowZygote.push(f.zygote);
      this.rowSize.push(f.sizeBytes);
      this.rowCount.push(count);
    } else {
      this.rowCount[row] += count;
    }
    this.lastFrames = frames;
  }

  /** Names the previous record's frames from its `bt_info` line. */
  private btInfo(line: string, lineNo: number): void {
    if (this.lastFrames === null) {
      this.ctx.malformed(lineNo, '"bt_info" does not follow a record', line);
      return;
    }
    const entries = scanBtInfo(line, line.indexOf('bt_info') + 7);
    if (entries === null) {
      this.ctx.malformed(lineNo, 'expected "bt_info" followed by {"<map>" <rel-pc> "<function>" <offset>} entries', line);
      return;
    }
    const locations = frameLocations(this.builder, this.lastFrames);
    if (entries.length !== locations.length) {
      // One message for every such line, so that they are counted together.
      this.ctx.warn('bt_info lines that describe a different number of frames than the record before them', lineNo);
    }
    const n = Math.min(entries.length, locations.length);
    for (let i = 0; i < n; i++) {
      const name = entries[i];
      if (name !== '' && !this.frameInfo.has(locations[i])) this.frameInfo.set(locations[i], [{ name }]);
    }
    this.lastFrames = null;
  }

  finish(): HeapProfile {
    const ctx = this.ctx;
    const b = this.builder;
    if (this.version < 0) ctx.malformed(1, 'input is empty');
    if (this.version === 0 && this.countIsOne > 0) {
      ctx.warn(
        `v1.0 dump: "num" is unreliable in this version (an older malloc debug wrote a wrong count), so each of the ${this.countIsOne} records counts as one allocation (bionic's README); the dump's own counts sum to ${this.rawCountSum}`,
      );
    }
    if (this.headerRecords >= 0 && this.headerRecords !== this.records) {
      ctx.warn(`the header says ${this.headerRecords} allocation records, the dump has ${this.records} (truncated dump?)`);
    }
    if (this.headerTotalBytes >= 0 && this.headerTotalBytes !== this.rawBytesSum) {
      ctx.warn(`the header says ${this.headerTotalBytes} bytes in total, the records add up to ${this.rawBytesSum} (size × num)`);
    }
    if (this.mapsUnavailable) ctx.warn('no memory maps ("Could not open /proc/self/maps"): frames cannot be matched to binaries');
    // The pre-P writer (frameworks/base) stops after "Could not open
    // /proc/self/maps", with no END: nothing is missing then.
    if (!this.sawEnd && !this.mapsUnavailable) {
      ctx.warn(this.sawMaps ? 'the dump ends before "END" (truncated dump?)' : 'the dump ends without a "MAPS" section (truncated dump?)');
    }
    if (this.afterEnd > 0) ctx.warn('lines after "END" ignored', this.firstAfterEnd, this.afterEnd);
    const values = new Float64Array(2);
    const labels = new Float64Array(2);
    for (let r = 0; r < this.rowStack.length; r++) {
      values[0] = this.rowCount[r];
      values[1] = this.rowCount[r] * this.rowSize[r];
      labels[0] = this.rowSize[r];
      labels[1] = this.rowZygote[r];
      b.addSample(this.rowStack[r], -1, values, labels);
    }
    for (const mapping of this.maps.mappings) b.addMapping(mapping);
    const version = this.version >= 0 ? `v1.${this.version}` : 'v1.?';
    b.meta.variant = this.fingerprint !== null && this.fingerprint !== '' ? `${version}, build ${this.fingerprint}` : version;
    b.meta.warnings = ctx.warningList();
    const profile = cutFramesOutsideCode(b.finish(), ctx);
    return this.frameInfo.size > 0 ? withLocationLines(profile, (l) => this.frameInfo.get(l)) : profile;
  }
}

/** Where a dump that starts before the first one's MAPS was found. */
const BEFORE_MAPS = 'before the first one reached its memory map (a dump cut short, then another appended?)';

/** The first line of a dump: the header, or the malloc-debug-off message. */
function startsDump(line: string): boolean {
  return line.startsWith('Android Native Heap Dump') || line.startsWith(NOT_AVAILABLE);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Skips blanks from `p`; returns the next position. */
function skipBlanks(line: string, p: number): number {
  while (isBlank(line.charCodeAt(p))) p++;
  return p;
}

/** Reads an unsigned decimal at `p`; returns its end, or -1. `out[0]` gets the value. */
function readUint(line: string, p: number, out: number[]): number {
  const start = p;
  let v = 0;
  for (;;) {
    const d = line.charCodeAt(p) - 48;
    if (!(d >= 0 && d <= 9)) break;
    v = v * 10 + d;
    p++;
  }
  if (p === start) return -1;
  out[0] = v;
  return p;
}

const scratch = [0];

/**
 * Scans `"z" WS ("0"|"1") WS "sz" WS uint WS "num" WS uint WS "bt"` and
 * where the frames start (after "bt", which ends the line or is followed
 * by a blank).
 */
function scanRecord(line: string, out: RecordFields): boolean {
  let p = 1;
  if (!isBlank(line.charCodeAt(p))) return false;
  p = skipBlanks(line, p);
  const z = line.charCodeAt(p) - 48;
  if (z !== 0 && z !== 1) return false;
  p++;
  if (!isBlank(line.charCodeAt(p))) return false;
  p = skipBlanks(line, p);
  if (!line.startsWith('sz', p)) return false;
  p = skipBlanks(line, p + 2);
  p = readUint(line, p, scratch);
  if (p < 0) return false;
  const size = scratch[0];
  if (!isBlank(line.charCodeAt(p))) return false;
  p = skipBlanks(line, p);
  if (!line.startsWith('num', p)) return false;
  p = skipBlanks(line, p + 3);
  p = readUint(line, p, scratch);
  if (p < 0) return false;
  const count = scratch[0];
  if (!isBlank(line.charCodeAt(p))) return false;
  p = skipBlanks(line, p);
  if (!line.startsWith('bt', p)) return false;
  p += 2;
  if (p < line.length && !isBlank(line.charCodeAt(p))) return false;
  out.zygote = z;
  out.sizeBytes = size;
  out.count = count;
  out.framesStart = p;
  return true;
}

/** The locations of a record's frames text, leaf first (interned: the same ids as its stack). */
function frameLocations(builder: ProfileBuilder, frames: string): number[] {
  const out: number[] = [];
  let p = 0;
  const n = frames.length;
  for (;;) {
    p = skipBlanks(frames, p);
    if (p >= n) return out;
    let end = p;
    while (end < n && !isBlank(frames.charCodeAt(end))) end++;
    const start = frames.startsWith('0x', p) ? p + 2 : p;
    out.push(builder.locationForHex(frames, start, end));
    p = end;
  }
}

/**
 * The function names of `{"<map>" <rel-pc> "<function>" <offset>}` entries
 * from `p` on ('' for an unknown function), or null when an entry is
 * malformed. Function names are demangled and may hold spaces, parentheses,
 * commas and even quotes, so a name ends at the `"` that is followed by
 * ` <hex>}`.
 */
function scanBtInfo(line: string, p: number): string[] | null {
  const names: string[] = [];
  const n = line.length;
  for (;;) {
    p = skipBlanks(line, p);
    if (p >= n) return names;
    if (!line.startsWith('{"', p)) return null;
    const mapEnd = line.indexOf('"', p + 2);
    if (mapEnd < 0 || !isBlank(line.charCodeAt(mapEnd + 1))) return null;
    p = skipBlanks(line, mapEnd + 1);
    const pcEnd = hexEnd(line, p);
    if (pcEnd === p || !isBlank(line.charCodeAt(pcEnd))) return null;
    p = skipBlanks(line, pcEnd);
    if (line.charCodeAt(p) !== 34 /* " */) return null;
    const nameStart = p + 1;
    let q = nameStart;
    let nameEnd = -1;
    let close = -1;
    while ((q = line.indexOf('"', q)) >= 0) {
      let r = q + 1;
      if (isBlank(line.charCodeAt(r))) {
        r = skipBlanks(line, r);
        const e = hexEnd(line, r);
        if (e > r && line.charCodeAt(e) === 125 /* } */) {
          nameEnd = q;
          close = e;
          break;
        }
      }
      q++;
    }
    if (nameEnd < 0) return null;
    names.push(line.slice(nameStart, nameEnd));
    p = close + 1;
  }
}

/** The end of the hex number (with optional `0x`) at `p`; `p` itself when there is none. */
function hexEnd(line: string, p: number): number {
  const start = line.startsWith('0x', p) ? p + 2 : p;
  let q = start;
  for (;;) {
    const c = line.charCodeAt(q);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) break;
    q++;
  }
  return q === start ? p : q;
}
