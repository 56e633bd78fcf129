/**
 * The reader of heaptrack recordings (heaptrack.ts has the format): a state
 * machine over lines read as bytes — strings, instruction pointers, traces
 * and allocation infos interned as they come, allocations and frees handed
 * to the sink, raw and interpreted recordings alike.
 */
import type { ParseContext } from './importer.js';
import { HEX_DIGITS, hexField, isBlankLine, scanned } from './heaptrack-fields.js';
import type { ByteLineCursor } from '../input/lines.js';
import { holding, int32Column } from '../model/columns.js';
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { AllocOp, TimeOrder, blockSink, type BlockSink, type TraceFacts, type TraceSink } from '../trace/sink.js';

/** What the heaptrack importer says about a recording, beyond {@link TraceFacts}. */
export interface HeaptrackFacts extends TraceFacts {
  /** `raw` (libheaptrack's output) or `interpreted` (heaptrack_interpret's). */
  stage: 'raw' | 'interpreted';
  /** heaptrack's version from the `v` line (`1.4.0`), or null without one. */
  heaptrackVersion: string | null;
  /** The file format version (0 before heaptrack 1.0; 3 since 1.3). */
  fileFormat: number;
  /** The recorded command line (`X`), or null. */
  command: string | null;
  /** Page size of the recording machine (`I`), or null. */
  pageSizeBytes: number | null;
  /** Largest RSS the `R` lines show, in bytes (pages × page size), or null without them. */
  peakRssBytes: number | null;
  /** heaptrack attached to a running process (`A`): allocations made before are not in the recording. */
  attached: boolean;
  /** Leak suppressions embedded by the program (`S` lines); heapscope does not apply them. */
  suppressions: number;
}

/** The file format versions this importer knows (heaptrack 1.0 to 1.5 write 1 to 3). */
const MAX_FILE_FORMAT = 3;
/** Timestamps are ms; beyond 2^64 ns (perf's limit, 584 years) a time is no time. */
const MAX_TIME_MS = 2 ** 64 / 1e6;

// Byte values.
const LF = 10;
const SP = 32;
const PLUS = 43;
const MINUS = 45;

// The hot loop of `batch` reads the digit table through a module-local binding.
const HEX = HEX_DIGITS;

/** The error of a string, instruction pointer, stack node or allocation info defined twice (see `repeated`). */
const repeatedDefinition = (what: string) => `this ${what} repeats the one before it, which heaptrack never writes (each is defined once): a damaged recording?`;

/** Frees of interpreted recordings that match no live block are frees of the pointer (NEVER_LIVE, info), never allocated. */
const NEVER_LIVE = 0xffffffff;

/**
 * The reader's state machine, one line at a time (a method called per
 * line is optimized early by V8; see jemalloc.ts).
 */
export class HeaptrackReader {
  private fileFormat = 0;
  private sawVersion = false;
  private version: string | null = null;
  private sized = false;
  /** `raw` after an `x` or `m` line, `interpreted` after `s`, `i` or `a`. */
  private stage: 'raw' | 'interpreted' | undefined;
  private readonly strings: string[] = [''];
  /** Per ip index (1-based; 0 unused), its location. */
  private readonly locationOfIp = int32Column(4096);
  /** Per trace index (0 = the root), its stack. */
  private readonly stackOfTrace = int32Column(65536);
  /** The last stack node, instruction pointer and allocation info defined (see {@link repeated}). */
  private readonly last = { t: [-1, -1, -1], i: [-1, -1, -1], a: [-1, -1, -1] };
  // Allocation infos (interpreted): info i is the sink's block kind i.
  private infos = 0;
  /** Per info, its most recently allocated live block (-1: none). */
  private readonly infoTop = int32Column(4096);
  /**
   * Per live block, the block of the same info allocated before it: a free
   * names an info, and frees its latest live block, as heaptrack_print does.
   */
  private below = new Int32Array(4096);
  /** The sink's block events (interpreted recordings name blocks by info, not by pointer). */
  private readonly blocks: BlockSink;
  // Raw modules.
  private exe = '';
  private readonly mappingByKey = new Map<string, number>();
  private readonly mappingOfModule = new Map<number, number>();
  /** `function,file` string ids → function (`i` lines are few beside events). */
  private readonly functionOfKey = new Map<string, number>();
  private readonly frameLines: [number, number][] = [];

  /** Time of the events (the last `c` line; 0, the recording's start, before the first, as heaptrack_print counts). */
  private timeNs = 0;
  private hasTimestamps = false;
  private readonly timeOrder = new TimeOrder();
  /** Allocations and frees read. */
  private events = 0;
  /** A line with more than blanks was read. */
  private sawContent = false;
  private command: string | null = null;
  private pageSize: number | null = null;
  private peakRssPages = -1;
  private attached = false;
  private suppressions = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly ctx: ParseContext,
    private readonly builder: ProfileBuilder,
    private readonly sink: TraceSink,
  ) {
    this.stackOfTrace.push(EMPTY_STACK);
    this.locationOfIp.push(-1);
    this.blocks = blockSink(sink);
  }

  /**
   * Reads a batch of lines. Allocations and frees of interpreted
   * recordings, nearly every line of one, are read here from the bytes
   * (an info index and the line's end, nothing else); any other line, and
   * any event line this does not take as it is, goes through `line`.
   */
  batch(cursor: ByteLineCursor): void {
    const bytes = cursor.bytes;
    const n = bytes.length;
    for (let p = cursor.following; p >= 0; p = cursor.following) {
      if (this.stage === 'interpreted' && this.fileFormat !== 0) {
        // A run of event lines, from p; `read` of them.
        let read = 0;
        for (;;) {
          const mode = bytes[p];
          if ((mode !== PLUS && mode !== MINUS) || bytes[p + 1] !== SP) break;
          let q = p + 2;
          let info = 0;
          let d: number;
          while (q < n && (d = HEX[bytes[q]]) >= 0) {
            info = info * 16 + d;
            q++;
          }
          // At most 8 digits: a larger index is no info anyway, and is reported by `line`.
          if (q === p + 2 || q > p + 10 || (q < n && bytes[q] !== LF) || info >= this.infos) break;
          read++;
          if (mode === PLUS) this.allocInfo(info);
          else this.freeInfo(info);
          p = q < n ? q + 1 : -1;
          if (p < 0) break;
        }
        cursor.skipTo(p, read);
        this.events += read;
        if (p < 0) return;
      }
      cursor.advance();
      this.line(cursor);
    }
  }

  line(cursor: ByteLineCursor): void {
    const { bytes, start, end } = cursor;
    if (end === start) return; // a comment, as heaptrack reads it
    if (!this.sawContent) {
      // Blank lines before the first record: detection skips them too.
      if (isBlankLine(bytes, start, end)) return;
      this.sawContent = true;
    }
    const mode = bytes[start];
    if (end > start + 1 && bytes[start + 1] !== SP) {
      this.bad(cursor, 'expected a record: a mode character, a space and its fields');
      return;
    }
    const p = start + 2;
    switch (mode) {
      case PLUS:
        this.allocation(cursor, p);
        return;
      case MINUS:
        this.deallocation(cursor, p);
        return;
      case 116 /* t */:
        this.trace(cursor, p);
        return;
      case 105 /* i */:
        this.ip(cursor, p);
        return;
      case 97 /* a */:
        this.info(cursor, p);
        return;
      case 115 /* s */:
        this.string(cursor, p);
        return;
      case 99 /* c */: {
        if (hexField(bytes, p, end) !== end) return this.bad(cursor, 'expected "c <milliseconds>"');
        if (scanned.value > MAX_TIME_MS) return this.bad(cursor, 'timestamp beyond 2^64 ns');
        this.timeNs = scanned.value * 1e6;
        this.hasTimestamps = true;
        this.timeOrder.see(this.timeNs, cursor.lineNo);
        return;
      }
      case 82 /* R */:
        if (hexField(bytes, p, end) !== end) return this.bad(cursor, 'expected "R <resident pages>"');
        if (scanned.value > this.peakRssPages) this.peakRssPages = scanned.value;
        return;
      case 109 /* m */:
        this.module(cursor, p);
        return;
      case 120 /* x */: {
        const at = this.sizedString(cursor, p, true);
        if (at < 0) return;
        this.raw(cursor);
        this.exe = this.lastString;
        return;
      }
      case 118 /* v */:
        this.versionLine(cursor, p);
        return;
      case 88 /* X */:
        if (this.command !== null) return this.bad(cursor, 'a second "X" (command line) record');
        this.command = end > p ? cursor.text(p) : '';
        return;
      case 73 /* I */: {
        let q = hexField(bytes, p, end);
        const pageSize = scanned.value;
        if (q < 0 || (q < end && (q = hexField(bytes, q, end)) !== end)) return this.bad(cursor, 'expected "I <page size> <physical pages>"');
        this.pageSize = pageSize;
        return;
      }
      case 83 /* S */:
        this.suppressions++;
        return;
      case 65 /* A */:
        this.attached = true;
        return;
      case 35 /* # */:
        return;
      default:
        this.bad(cursor, `unknown record "${String.fromCharCode(mode)}" (expected one of v X I s i t a + - c R A S x m #)`);
    }
  }

  /** `+ <info>` (interpreted), or `+ <size> <trace> <pointer>` (raw, file format 0). */
  private allocation(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    this.events++;
    let q = hexField(bytes, p, end);
    if (q < 0) return this.bad(cursor, 'expected "+ <allocation info>" or "+ <size> <trace> <pointer>"');
    if (q === end) {
      if (this.pointerEvents()) return this.bad(cursor, 'expected "+ <size> <trace> <pointer>" (a raw recording names pointers)');
      const info = scanned.value;
      if (info >= this.infos) return this.undefinedIndex(cursor, 'allocation info', info, this.infos, 'a');
      this.allocInfo(info);
      return;
    }
    const size = scanned.value;
    q = hexField(bytes, q, end);
    const trace = scanned.value;
    if (q < 0 || (q = hexField(bytes, q, end)) !== end) return this.bad(cursor, 'expected "+ <size> <trace> <pointer>"');
    if (!this.pointerEvents()) return this.bad(cursor, 'expected "+ <allocation info>" (an interpreted recording of file format ≥ 1)');
    if (trace >= this.stackOfTrace.length) return this.undefinedIndex(cursor, 'trace', trace, this.stackOfTrace.length - 1, 't');
    if (scanned.hi === 0 && scanned.lo === 0) return this.bad(cursor, 'allocation of the NULL pointer');
    if (size > Number.MAX_SAFE_INTEGER) return this.bad(cursor, 'allocation size exceeds 2^53');
    this.sink.alloc(scanned.hi, scanned.lo, size, AllocOp.other, this.stackOfTrace.data[trace], -1, this.timeNs);
  }

  /** `- <info>` (interpreted), or `- <pointer>` (raw, file format 0). */
  private deallocation(cursor: ByteLineCursor, p: number): void {
    this.events++;
    if (hexField(cursor.bytes, p, cursor.end) !== cursor.end) return this.bad(cursor, 'expected "- <allocation info>" or "- <pointer>"');
    if (this.pointerEvents()) {
      this.sink.free(scanned.hi, scanned.lo, EMPTY_STACK, -1, this.timeNs);
      return;
    }
    const info = scanned.value;
    if (info >= this.infos) return this.undefinedIndex(cursor, 'allocation info', info, this.infos, 'a');
    this.freeInfo(info);
  }

  /** `+ <info>`: a block of allocation info `info` (defined) is born. */
  private allocInfo(info: number): void {
    const block = this.blocks.allocBlock(info, this.timeNs);
    // Checked here, not in `holding`, which is called for every type of column: one allocation in many thousands grows it.
    if (block >= this.below.length) this.below = holding(this.below, block);
    this.below[block] = this.infoTop.data[info];
    this.infoTop.data[info] = block;
  }

  /** `- <info>`: the latest live block of allocation info `info` (defined) dies. */
  private freeInfo(info: number): void {
    const block = this.infoTop.data[info];
    if (block < 0) {
      // No live block of this info: the event accumulator counts it as a free of an unknown pointer.
      this.sink.free(NEVER_LIVE, info, EMPTY_STACK, -1, this.timeNs);
      return;
    }
    this.infoTop.data[info] = this.below[block];
    this.blocks.freeBlock(block, -1, this.timeNs);
  }

  /** Raw events (pointers) or interpreted ones (allocation infos). */
  private pointerEvents(): boolean {
    return this.stage === 'raw' || this.fileFormat === 0;
  }

  /** `t <ip> <parent>` (raw) or `t <ip index> <parent>` (interpreted). */
  private trace(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    let q = hexField(bytes, p, end);
    const { hi, lo, value } = scanned;
    if (q < 0 || (q = hexField(bytes, q, end)) !== end) return this.bad(cursor, 'expected "t <instruction pointer> <parent trace>"');
    const parent = scanned.value;
    if (parent >= this.stackOfTrace.length) return this.undefinedIndex(cursor, 'parent trace', parent, this.stackOfTrace.length - 1, 't');
    if (this.repeated(cursor, 'stack node', this.last.t, hi, lo, parent)) return;
    let location: number;
    if (this.stage === 'raw') {
      location = this.builder.locationForAddress(hi, lo);
    } else {
      if (value === 0 || value >= this.locationOfIp.length) return this.undefinedIndex(cursor, 'instruction pointer', value, this.locationOfIp.length - 1, 'i');
      location = this.locationOfIp.data[value];
    }
    this.stackOfTrace.push(this.builder.internStackNode(this.stackOfTrace.data[parent], location));
  }

  /** `i <ip> <module> [<function> [<file> <line> {<function> <file> <line>}]]`. */
  private ip(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    this.interpreted(cursor);
    let q = hexField(bytes, p, end);
    const { hi, lo } = scanned;
    if (q < 0 || (q = hexField(bytes, q, end)) < 0) return this.bad(cursor, 'expected "i <instruction pointer> <module> [<function> [<file> <line> …]]"');
    const module = scanned.value;
    if (module >= this.strings.length) return this.undefinedIndex(cursor, 'module string', module, this.strings.length - 1, 's');
    if (this.repeated(cursor, 'instruction pointer', this.last.i, hi, lo, 0)) return;
    const lines = this.frameLines;
    lines.length = 0;
    let fields = 0;
    let fn = 0;
    let file = 0;
    while (q < end) {
      q = hexField(bytes, q, end);
      if (q < 0) return this.bad(cursor, 'expected hexadecimal fields');
      const v = scanned.value;
      const k = fields++ % 3;
      if (k === 0) fn = v;
      else if (k === 1) file = v;
      else {
        if (fn >= this.strings.length || file >= this.strings.length) return this.bad(cursor, 'a frame names a string that is not defined');
        if (fn !== 0) lines.push([this.functionOf(fn, file), v]);
      }
    }
    if (fields === 1) {
      if (fn >= this.strings.length) return this.bad(cursor, 'a frame names a string that is not defined');
      if (fn !== 0) lines.push([this.functionOf(fn, 0), 0]);
    } else if (fields % 3 !== 0) {
      return this.bad(cursor, 'expected frames of three fields: "<function> <file> <line>"');
    }
    const mapping = module === 0 ? -1 : this.mappingOfString(module);
    this.locationOfIp.push(this.builder.addLocation(hi, lo, mapping, lines));
  }

  /** The function named by strings `fn` and `file`. */
  private functionOf(fn: number, file: number): number {
    const key = `${fn},${file}`;
    let id = this.functionOfKey.get(key);
    if (id === undefined) {
      id = this.builder.internFunction(this.strings[fn], this.strings[file]);
      this.functionOfKey.set(key, id);
    }
    return id;
  }

  /** The mapping of an interpreted module (its range unknown). */
  private mappingOfString(module: number): number {
    let m = this.mappingOfModule.get(module);
    if (m === undefined) {
      m = this.builder.addMapping({ start: 0n, limit: 0n, fileOffset: 0n, path: this.strings[module], buildId: '', perms: '' });
      this.mappingOfModule.set(module, m);
    }
    return m;
  }

  /** `a <size> <trace>`. */
  private info(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    this.interpreted(cursor);
    let q = hexField(bytes, p, end);
    const size = scanned.value;
    if (q < 0 || (q = hexField(bytes, q, end)) !== end) return this.bad(cursor, 'expected "a <size> <trace>"');
    const trace = scanned.value;
    if (trace >= this.stackOfTrace.length) return this.undefinedIndex(cursor, 'trace', trace, this.stackOfTrace.length - 1, 't');
    if (size > Number.MAX_SAFE_INTEGER) return this.bad(cursor, 'allocation size exceeds 2^53');
    if (this.repeated(cursor, 'allocation info', this.last.a, size, trace, 0)) return;
    this.blocks.allocationKind(size, AllocOp.other, this.stackOfTrace.data[trace], -1);
    this.infos++;
    this.infoTop.push(-1);
  }

  /** `s <string>` (sized from file format 3). */
  private string(cursor: ByteLineCursor, p: number): void {
    this.interpreted(cursor);
    if (this.sizedString(cursor, p, false) < 0) return;
    if (this.strings.length > 1 && this.lastString === this.strings[this.strings.length - 1]) return this.bad(cursor, repeatedDefinition('string'));
    this.strings.push(this.lastString);
  }

  private lastString = '';

  /**
   * Reads a string at `p` into `lastString`: sized (file format ≥ 3), or
   * else to the line's end, or (`word`) to the next space. Returns the
   * position after it and its space, or -1 after reporting the line.
   */
  private sizedString(cursor: ByteLineCursor, p: number, word: boolean): number {
    const { bytes, end } = cursor;
    if (this.sized) {
      const q = hexField(bytes, p, end);
      const length = scanned.value;
      if (q < 0 || q + length > end || (q + length < end && bytes[q + length] !== SP)) {
        this.bad(cursor, 'expected a sized string "<length> <bytes>"');
        return -1;
      }
      this.lastString = this.decode(cursor, q, q + length);
      return q + length < end ? q + length + 1 : end;
    }
    let e = end;
    if (word) {
      e = bytes.indexOf(SP, p);
      if (e < 0 || e > end) e = end;
    }
    this.lastString = this.decode(cursor, p, e);
    return e < end ? e + 1 : end;
  }

  private decode(cursor: ByteLineCursor, from: number, to: number): string {
    if (to <= from) return '';
    try {
      return this.decoder.decode(cursor.bytes.subarray(from, to));
    } catch {
      this.bad(cursor, 'invalid UTF-8');
      return '';
    }
  }

  /** `m -` (the module list starts over) or `m <file> <load bias> {<p_vaddr> <p_memsz>}`. */
  private module(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    let q = this.sizedString(cursor, p, true);
    if (q < 0) return;
    this.raw(cursor);
    let file = this.lastString;
    if (file === '-') return;
    if (file === 'x') file = this.exe;
    q = hexField(bytes, q, end);
    const bias = BigInt(scanned.hi) * 0x100000000n + BigInt(scanned.lo);
    if (q < 0) return this.bad(cursor, 'expected "m <file> <load bias> {<p_vaddr> <p_memsz>}"');
    let low = -1n;
    let high = 0n;
    let segments = 0;
    while (q < end) {
      q = hexField(bytes, q, end);
      const vaddr = BigInt(scanned.hi) * 0x100000000n + BigInt(scanned.lo);
      if (q < 0 || q === end) return this.bad(cursor, 'expected segments "<p_vaddr> <p_memsz>"');
      q = hexField(bytes, q, end);
      if (q < 0) return this.bad(cursor, 'expected segments "<p_vaddr> <p_memsz>"');
      const limit = vaddr + BigInt(scanned.hi) * 0x100000000n + BigInt(scanned.lo);
      if (low < 0n || vaddr < low) low = vaddr;
      if (limit > high) high = limit;
      segments++;
    }
    if (segments === 0) return;
    const key = `${file}\n${bias}`;
    if (this.mappingByKey.has(key)) return;
    // One mapping per module from its first to its last loaded byte; the
    // first PT_LOAD maps the file from offset 0 (it holds the ELF header).
    this.mappingByKey.set(
      key,
      this.builder.addMapping({ start: bias + low, limit: bias + high, fileOffset: low, path: file, buildId: '', perms: '', loadBias: bias }),
    );
  }

  /** `v <heaptrack version> [<file format>]`. */
  private versionLine(cursor: ByteLineCursor, p: number): void {
    const { bytes, end } = cursor;
    if (this.sawVersion) return this.bad(cursor, 'a second "v" (version) record');
    let q = hexField(bytes, p, end);
    const heaptrack = scanned.value;
    if (q < 0) return this.bad(cursor, 'expected "v <heaptrack version> [<file format version>]"');
    let format: number;
    if (q === end) {
      // Before 1.0.0, heaptrack 1.2.0's number (0x010200) stood for file format 1.
      format = heaptrack === 0x010200 ? 1 : 0;
    } else {
      if ((q = hexField(bytes, q, end)) !== end) return this.bad(cursor, 'expected "v <heaptrack version> [<file format version>]"');
      format = scanned.value;
    }
    if (format > MAX_FILE_FORMAT) {
      this.ctx.warn(`file format ${format} is newer than heapscope knows (up to ${MAX_FILE_FORMAT}): read as format ${MAX_FILE_FORMAT}`, cursor.lineNo);
    }
    this.sawVersion = true;
    this.fileFormat = format;
    this.sized = format >= 3;
    this.version = `${heaptrack >>> 16}.${(heaptrack >>> 8) & 0xff}.${heaptrack & 0xff}`;
  }

  private raw(cursor: ByteLineCursor): void {
    if (this.stage === 'interpreted') this.bad(cursor, 'a raw record ("x", "m") in an interpreted recording');
    else this.stage = 'raw';
  }

  private interpreted(cursor: ByteLineCursor): void {
    if (this.stage === 'raw') this.bad(cursor, 'an interpreted record ("s", "i", "a") in a raw recording');
    else this.stage = 'interpreted';
  }

  /** A record names an index (`index`) that no earlier `mode` record defined (`defined` so far). */
  private undefinedIndex(cursor: ByteLineCursor, what: string, index: number, defined: number, mode: string): void {
    this.bad(cursor, `${what} ${index.toString(16)} is not defined (${defined} "${mode}" records so far)`);
  }

  /**
   * Whether a definition (`i`, `t`, `a`: values a, b, c) repeats the one of its kind before it (`last`, which
   * takes them), reported: heaptrack interns each, so a repeat is a line written twice, which would shift every
   * later index onto the wrong definition (--lenient skips it).
   */
  private repeated(cursor: ByteLineCursor, what: string, last: number[], a: number, b: number, c: number): boolean {
    const same = last[0] === a && last[1] === b && last[2] === c;
    last[0] = a;
    last[1] = b;
    last[2] = c;
    if (same) this.bad(cursor, repeatedDefinition(what));
    return same;
  }

  private bad(cursor: ByteLineCursor, reason: string): void {
    let text: string;
    try {
      text = cursor.text();
    } catch {
      text = '';
    }
    this.ctx.malformed(cursor.lineNo, reason, text);
  }

  finish(): HeaptrackFacts {
    const ctx = this.ctx;
    ctx.failIfCutBeforeRecords(this.events);
    this.timeOrder.report(ctx);
    if (!this.sawVersion) ctx.warn('no "v" (version) record: read as heaptrack file format 0');
    if (this.attached) ctx.warn('heaptrack attached to a running process: allocations made before it attached are not in the recording');
    if (this.suppressions > 0) ctx.warn('leak suppressions embedded by the program ("S" records) are not applied: every block still live is shown', undefined, this.suppressions);
    const stage = this.stage ?? 'interpreted';
    const meta = this.builder.meta;
    meta.variant = `heaptrack ${this.version ?? '(no version)'}, file format ${this.fileFormat}, ${stage}`;
    meta.sizeKind = 'exact';
    // libheaptrack already subtracted 1 from every return address.
    meta.returnAddresses = false;
    return {
      hasTimestamps: this.hasTimestamps,
      hasStacks: this.stackOfTrace.length > 1,
      tracksPointers: true,
      stage,
      heaptrackVersion: this.version,
      fileFormat: this.fileFormat,
      command: this.command,
      pageSizeBytes: this.pageSize,
      peakRssBytes: this.peakRssPages >= 0 && this.pageSize !== null ? this.peakRssPages * this.pageSize : null,
      attached: this.attached,
      suppressions: this.suppressions,
    };
  }
}
