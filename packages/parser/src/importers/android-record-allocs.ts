/**
 * Android malloc_debug `record_allocs` traces: every malloc/free of one
 * process, as AOSP's memory_replay replays them.
 *
 * Writers: bionic libc/malloc_debug/RecordData.cpp (2016–2024) and, since
 * late 2024, system/extras memory_replay/MemoryTrace.cpp (`FormatEntry`).
 * Reader of reference: memory_replay (`FillInEntryFromString`). Documented
 * in bionic libc/malloc_debug/README.md; facts in docs/formats.md#record-allocs. A real
 * excerpt (a 32-bit surfaceflinger, a writer without timestamps):
 *
 *   186: malloc 0xb6027400 1024
 *   186: calloc 0xb6003090 1 8
 *   186: realloc 0xb60b4d90 0x0 12
 *   350: realloc 0xb603ef40 0xa78d4d30 90
 *   186: free 0x0
 *   485: memalign 0xae42d080 16 104
 *   376: thread_done 0x0
 *
 * The grammar, one event per line:
 *
 *   line = tid ": " body [ SP start-ns SP end-ns [ SP present-bytes ] ]
 *   body = "malloc " ptr SP size        | "calloc " ptr SP nmemb SP size
 *        | "memalign " ptr SP align SP size | "realloc " new SP old SP size
 *        | "free " ptr                   | "thread_done 0x0" [ SP end-ns ]
 *
 * What each line means here:
 * - `calloc` allocates nmemb × size bytes. `memalign` also stands for
 *   posix_memalign, aligned_alloc, valloc and pvalloc (the writer names
 *   them all memalign); its size is the size argument, and its alignment
 *   goes to the sink (a sink that runs the trace asks for it).
 * - `realloc new 0x0 n` is realloc(NULL, n): an allocation (counted as a
 *   realloc). `realloc 0x0 old 0` is realloc(p, 0): a free. Otherwise old
 *   dies and new is born (they may be equal).
 * - `free 0x0` is free(NULL): a no-op, counted.
 * - An allocation that returned NULL (`malloc 0x0 n`, `realloc 0x0 old n`
 *   with n > 0: the old block stays) failed: nothing was allocated; such
 *   lines are counted in a warning.
 * - `thread_done` ends a thread. The kernel may reuse its tid afterwards, so
 *   a later line with the same tid belongs to a new thread: keys are the tid
 *   (`186`) and, for its later lives, `186#2`, `186#3`, …
 * - Timestamps (monotonic ns, bionic ≥ 2023) are the start and end of the
 *   call. Events are reported at their **end** time: entries are appended
 *   when the call returns, so end times follow the file's order, and a
 *   block exists from its allocation's end. Lifetimes are thus measured from
 *   the allocation's return to the free's return. A writer times every
 *   allocation and free line or none (`thread_done` only when its end time
 *   is known), so lines that differ from the first one are counted in a
 *   warning (two traces appended?), and so are calls that end before they
 *   start.
 * - Two traces appended have no header between them to tell them apart
 *   (docs/formats.md#record-allocs-appended); what shows is told by the
 *   sink (an allocation of a pointer that is live: the first trace's blocks
 *   reused by the second) and by the timestamps (going backwards, or
 *   present in one trace only), each warning naming its first lines.
 * - Present bytes (bionic ≥ 2024-12, free and realloc only) are the freed
 *   block's resident bytes just before the free. The sink has no place for
 *   them; their count and sum are returned in the facts
 *   ({@link RecordAllocsFacts}).
 * - The trace has no call stacks: every event is on the empty stack, per
 *   thread — so the useful views are by thread and by size.
 * - memory_replay rejects blank lines; heapscope reads past them and says
 *   so in a warning (a run of them at once). A last line without a newline
 *   was cut short (the writer always ends a line with one): it is dropped
 *   with a truncation warning, as by every importer.
 *
 * Speed: this is the format of multi-million-line traces (a system_server
 * trace has about 13 million), so the importer reads the decompressed bytes
 * itself instead of `input.lines()`: no UTF-8 decoding, no string per line
 * (decoding and splitting a trace into strings takes about as long as
 * parsing its bytes; docs/BENCHMARKS.md#measured-design-choices), no
 * regular expression; the bytes of each line are scanned once, in place,
 * and pointers become two uint32 halves without BigInt. The format is
 * ASCII: any other byte makes its line malformed.
 */
import type { Head, ParseContext } from './importer.js';
import type { Input } from '../input/source.js';
import { StreamError } from '../input/lines.js';
import { ParseError } from '../errors.js';
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { AllocOp, NO_TIME, TimeOrder, type TraceFacts, type TraceImporter, type TraceSink } from '../trace/sink.js';

/** What the record_allocs importer says about a trace, beyond {@link TraceFacts}. */
export interface RecordAllocsFacts extends TraceFacts {
  /**
   * Frees and reallocs that carried present bytes (the freed block's
   * resident bytes), and their sum; null when the writer recorded none.
   */
  presentBytes: { events: number; bytes: number } | null;
}

/** record_allocs' default entry limit (`record_allocs` without `=N`) and its maximum. */
const DEFAULT_ENTRY_LIMIT = 8_000_000;
const MAX_ENTRY_LIMIT = 50_000_000;
/** Longest line accepted: real lines are under 120 bytes. */
const MAX_LINE_BYTES = 64 * 1024;

const FIRST_LINE = /^[ \t]*\d+:[ \t]+(malloc|calloc|memalign|realloc|free|thread_done)[ \t]+(0x)?[0-9a-fA-F]+([ \t]|$)/;
const FIRST_LINE_SHAPE = /^[ \t]*\d+:[ \t]+[a-z_]+[ \t]+0x[0-9a-fA-F]+([ \t]|$)/;

export const androidRecordAllocsImporter: TraceImporter = {
  id: 'android-record-allocs',
  kind: 'trace',
  description: 'Android malloc_debug record_allocs trace (every malloc/free of a process, as memory_replay reads it)',

  sniff(head: Head): number {
    if (FIRST_LINE.test(head.firstLine)) return 1;
    // The general shape with an unknown word: still ours, so the error names the word.
    return FIRST_LINE_SHAPE.test(head.firstLine) ? 0.6 : 0;
  },

  async parse(input: Input, ctx: ParseContext, builder: ProfileBuilder, sink: TraceSink): Promise<RecordAllocsFacts> {
    const reader = new RecordAllocsReader(ctx, builder, sink);
    // The sink's warnings (a free of a pointer never allocated) name the line of their event.
    sink.locator?.(() => ({ file: ctx.file, line: reader.lineNo }));
    try {
      for await (const chunk of input.chunks()) reader.chunk(chunk);
    } catch (error) {
      // Corrupt or truncated compression: located where reading stopped.
      if (error instanceof StreamError) throw new ParseError(input.name, reader.lineNo + 1, error.message, ctx.format);
      throw error;
    }
    reader.end();
    return reader.finish();
  },
};

// Operation codes of a line.
const MALLOC = 0;
const CALLOC = 1;
const MEMALIGN = 2;
const REALLOC = 3;
const FREE = 4;
const THREAD_DONE = 5;
const TYPE_WORDS = ['malloc', 'calloc', 'memalign', 'realloc', 'free', 'thread_done'];
const TYPE_BYTES = TYPE_WORDS.map((w) => Uint8Array.from(w, (c) => c.charCodeAt(0)));
const SHAPES = [
  'malloc <pointer> <size>',
  'calloc <pointer> <nmemb> <size>',
  'memalign <pointer> <alignment> <size>',
  'realloc <new pointer> <old pointer> <size>',
  'free <pointer>',
  'thread_done 0x0',
];
const TAILS = [' [<start-ns> <end-ns>]', ' [<start-ns> <end-ns>]', ' [<start-ns> <end-ns>]', ' [<start-ns> <end-ns> [<present bytes>]]', ' [<start-ns> <end-ns> [<present bytes>]]', ' [<end-ns>]'];

// Warnings counted per line (rare lines: one call each keeps their first locations).
const BLANK_LINE = 'blank lines ignored (memory_replay rejects them)';
const FAILED_ALLOC = 'allocations that returned NULL (failed): nothing allocated, not counted';
const FAILED_REALLOC = 'reallocs that returned NULL (failed): the old block stays live';
const ENDS_BEFORE_START = 'calls that end before they start (end-ns < start-ns): damaged timestamps';
const UNTIMED_AMONG_TIMED = 'lines without timestamps in a trace whose first line has them (a writer times every call: two traces appended?); their events have no time';
const TIMED_AMONG_UNTIMED = 'lines with timestamps in a trace whose first line has none (a writer times every call or none: two traces appended?)';

const NL = 10;
const CR = 13;

/**
 * The reader: bytes in, events out. Lines may straddle chunks; the part of
 * a line at the end of a chunk waits in `carry`.
 */
class RecordAllocsReader {
  /** Lines read so far (the number of the current line while one is parsed). */
  lineNo = 0;
  private carry = new Uint8Array(256);
  private carryLength = 0;
  /** Skipping the rest of a line that was too long (lenient). */
  private skipping = false;
  private readonly decoder = new TextDecoder('utf-8');

  // Threads: tid → thread index of its current life.
  private readonly threadOfTid = new Map<number, number>();
  /** Lives so far of tids that ended (thread_done). */
  private readonly livesOfTid = new Map<number, number>();
  private lastTid = -1;
  private lastThread = -1;

  // Facts.
  private entries = 0;
  private timed = 0;
  /** Whether the first allocation or free line had timestamps (-1: none read yet). */
  private firstTimed = -1;
  private presentEvents = 0;
  private presentSum = 0;
  private wide = false;
  /** A line with more than blanks was read. */
  private sawContent = false;
  /** End of the region being parsed. */
  private regionEnd = 0;
  private readonly timeOrder = new TimeOrder();

  constructor(
    private readonly ctx: ParseContext,
    private readonly builder: ProfileBuilder,
    private readonly sink: TraceSink,
  ) {}

  /** Consumes the next chunk of the input. */
  chunk(chunk: Uint8Array): void {
    // One element kind for every access: file chunks are Buffers, others
    // plain Uint8Arrays, and mixing them makes each `buf[p]` polymorphic.
    const bytes = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.carryLength > 0 || this.skipping) {
      const nl = bytes.indexOf(NL);
      if (nl < 0) {
        this.keep(bytes);
        return;
      }
      this.keep(bytes.subarray(0, nl + 1));
      if (this.skipping) this.skipping = false;
      else this.region(this.carry, 0, this.carryLength);
      this.carryLength = 0;
      start = nl + 1;
    }
    const last = bytes.lastIndexOf(NL);
    if (last >= start) {
      this.region(bytes, start, last + 1);
      start = last + 1;
    }
    if (start < bytes.length) this.keep(bytes.subarray(start));
  }

  /** The input ended: a last line without a newline was cut short, and is dropped (see the top of the file). */
  end(): void {
    if (this.skipping || this.carryLength === 0) return;
    const text = this.decoder.decode(this.carry.subarray(0, this.carryLength));
    this.carryLength = 0;
    if (!this.sawContent) throw new ParseError(this.ctx.file, this.lineNo + 1, 'the input ends in the middle of its first line (truncated?)', this.ctx.format);
    this.ctx.lineCut(this.lineNo + 1, text);
  }

  /** Appends the start of a line to `carry`. */
  private keep(bytes: Uint8Array): void {
    if (this.skipping) return;
    const need = this.carryLength + bytes.length;
    if (need > MAX_LINE_BYTES) {
      this.ctx.malformed(this.lineNo + 1, `line longer than ${MAX_LINE_BYTES} bytes`);
      this.lineNo++; // lenient: the line is skipped
      this.skipping = true;
      this.carryLength = 0;
      return;
    }
    if (need > this.carry.length) {
      const grown = new Uint8Array(Math.max(need, this.carry.length * 2));
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(bytes, this.carryLength);
    this.carryLength = need;
  }

  /** Parses the whole lines in `buf[start, end)`; `buf[end - 1]` is a newline. */
  private region(buf: Uint8Array, start: number, end: number): void {
    let p = start;
    this.regionEnd = end;
    while (p < end) p = this.line(buf, p);
  }

  /** Parses the line at `start`; returns where the next line starts. */
  private line(buf: Uint8Array, start: number): number {
    const lineNo = ++this.lineNo;
    let p = start;
    while (isBlank(buf[p])) p++;
    if (isLineEnd(buf, p)) {
      // A run of empty lines is counted at once: a compressed run of
      // billions must not cost a call each.
      let next = buf.indexOf(NL, p) + 1;
      let blank = 1;
      for (const end = this.regionEnd; next < end && isLineEnd(buf, next); blank++) next += buf[next] === NL ? 1 : 2;
      this.lineNo += blank - 1;
      this.ctx.warn(BLANK_LINE, lineNo, blank);
      return next;
    }
    this.sawContent = true;
    // tid ":"
    const tidStart = p;
    let tid = 0;
    for (;;) {
      const d = buf[p] - 48;
      if (d < 0 || d > 9) break;
      tid = tid * 10 + d;
      p++;
    }
    if (p === tidStart || buf[p] !== 58 /* : */ || p - tidStart > 10) {
      return this.bad(buf, start, 'expected "<tid>: <operation> <pointer> …"');
    }
    p++;
    if (!isBlank(buf[p])) return this.bad(buf, start, 'expected a blank after "<tid>:"');
    do p++;
    while (isBlank(buf[p]));
    // The operation word.
    const op = operationAt(buf, p);
    if (op < 0) {
      let end = p;
      while (end < buf.length && !isBlank(buf[end]) && buf[end] !== NL && buf[end] !== CR) end++;
      const word = this.decoder.decode(buf.subarray(p, end));
      return this.bad(buf, start, `unknown operation "${word}" (expected malloc, calloc, memalign, realloc, free or thread_done)`);
    }
    p += TYPE_WORDS[op].length;
    // Arguments: a pointer (two for realloc), then numbers.
    if ((p = blanks(buf, p)) < 0 || (p = scanPointer(buf, p)) < 0) return this.wrongFields(op, buf, start);
    const ptrHi = scanned.hi;
    const ptrLo = scanned.lo;
    let oldHi = 0;
    let oldLo = 0;
    let a = 0;
    let b = 0;
    if (op === MALLOC) {
      if ((p = blanks(buf, p)) < 0 || (p = scanNumber(buf, p)) < 0) return this.wrongFields(op, buf, start);
      a = scanned.num;
    } else if (op === CALLOC || op === MEMALIGN) {
      if ((p = blanks(buf, p)) < 0 || (p = scanNumber(buf, p)) < 0) return this.wrongFields(op, buf, start);
      a = scanned.num;
      if ((p = blanks(buf, p)) < 0 || (p = scanNumber(buf, p)) < 0) return this.wrongFields(op, buf, start);
      b = scanned.num;
    } else if (op === REALLOC) {
      if ((p = blanks(buf, p)) < 0 || (p = scanPointer(buf, p)) < 0) return this.wrongFields(op, buf, start);
      oldHi = scanned.hi;
      oldLo = scanned.lo;
      if ((p = blanks(buf, p)) < 0 || (p = scanNumber(buf, p)) < 0) return this.wrongFields(op, buf, start);
      a = scanned.num;
    }
    // Optional trailing numbers: start-ns end-ns [present-bytes], or thread_done's end-ns.
    let extra = 0;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    while (buf[p] !== NL) {
      if (isLineEnd(buf, p)) break; // CR LF
      if ((p = blanks(buf, p)) < 0) return this.wrongFields(op, buf, start);
      if (isLineEnd(buf, p)) break; // trailing blanks
      if ((p = scanNumber(buf, p)) < 0) return this.wrongFields(op, buf, start);
      if (extra === 0) t0 = scanned.num;
      else if (extra === 1) t1 = scanned.num;
      else if (extra === 2) t2 = scanned.num;
      extra++;
    }
    const next = buf[p] === NL ? p + 1 : p + 2;
    let timeNs = NO_TIME;
    if (op === THREAD_DONE) {
      if (extra > 1) return this.wrongFields(op, buf, start);
      if (extra === 1) timeNs = t0;
    } else if (extra !== 0) {
      if (extra === 1) return this.bad(buf, start, 'expected both a start and an end timestamp');
      if (extra > 3 || (extra === 3 && op !== FREE && op !== REALLOC)) return this.wrongFields(op, buf, start);
      timeNs = t1;
      this.timed++;
      if (t1 < t0) this.ctx.warn(ENDS_BEFORE_START, lineNo);
      if (extra === 3) {
        this.presentEvents++;
        this.presentSum += t2;
      }
    }
    if (op !== THREAD_DONE) {
      // One writer times every allocation and free, or none (thread_done
      // differs: see the top of the file); a change is a second trace.
      const timed = extra !== 0 ? 1 : 0;
      if (this.firstTimed < 0) this.firstTimed = timed;
      else if (timed !== this.firstTimed) this.ctx.warn(timed ? TIMED_AMONG_UNTIMED : UNTIMED_AMONG_TIMED, lineNo);
    }
    this.timeOrder.see(timeNs, lineNo);
    const isNull = ptrHi === 0 && ptrLo === 0;
    // The block's size: calloc's is nmemb × size, memalign's the second number.
    const size = op === CALLOC ? a * b : op === MEMALIGN ? b : a;
    if (size > Number.MAX_SAFE_INTEGER && !isNull) return this.bad(buf, start, 'allocation size exceeds 2^53');
    if (ptrHi !== 0 || oldHi !== 0) this.wide = true;
    this.entries++;

    // The thread of this tid's current life.
    if (tid !== this.lastTid) {
      this.lastTid = tid;
      this.lastThread = this.threadOf(tid);
    }
    const thread = this.lastThread;
    const sink = this.sink;
    switch (op) {
      case MALLOC:
        if (isNull) this.ctx.warn(FAILED_ALLOC, lineNo);
        else sink.alloc(ptrHi, ptrLo, size, AllocOp.malloc, EMPTY_STACK, thread, timeNs);
        break;
      case CALLOC:
        if (isNull) this.ctx.warn(FAILED_ALLOC, lineNo);
        else sink.alloc(ptrHi, ptrLo, size, AllocOp.calloc, EMPTY_STACK, thread, timeNs);
        break;
      case MEMALIGN:
        if (isNull) this.ctx.warn(FAILED_ALLOC, lineNo);
        else sink.alloc(ptrHi, ptrLo, size, AllocOp.memalign, EMPTY_STACK, thread, timeNs, a);
        break;
      case REALLOC:
        if (oldHi === 0 && oldLo === 0) {
          // realloc(NULL, n): an allocation.
          if (isNull) this.ctx.warn(FAILED_ALLOC, lineNo);
          else sink.alloc(ptrHi, ptrLo, size, AllocOp.realloc, EMPTY_STACK, thread, timeNs);
        } else if (isNull) {
          // realloc(p, 0) frees p; realloc(p, n > 0) returning NULL failed and p stays.
          if (size === 0) sink.free(oldHi, oldLo, EMPTY_STACK, thread, timeNs);
          else this.ctx.warn(FAILED_REALLOC, lineNo);
        } else {
          sink.realloc(oldHi, oldLo, ptrHi, ptrLo, size, EMPTY_STACK, thread, timeNs);
        }
        break;
      case FREE:
        sink.free(ptrHi, ptrLo, EMPTY_STACK, thread, timeNs);
        break;
      default:
        // thread_done: the tid's next line starts a new thread.
        sink.threadDone(thread, timeNs);
        this.threadOfTid.delete(tid);
        this.livesOfTid.set(tid, (this.livesOfTid.get(tid) ?? 1) + 1);
        this.lastTid = -1;
        break;
    }
    return next;
  }

  /** The thread of `tid`'s current life, made when first seen. */
  private threadOf(tid: number): number {
    let thread = this.threadOfTid.get(tid);
    if (thread === undefined) {
      const life = this.livesOfTid.get(tid) ?? 1;
      thread = this.builder.thread(life === 1 ? `${tid}` : `${tid}#${life}`);
      this.threadOfTid.set(tid, thread);
    }
    return thread;
  }

  /** Reports the line at `start` as malformed; returns where the next line starts. */
  private bad(buf: Uint8Array, start: number, reason: string): number {
    const nl = buf.indexOf(NL, start);
    const end = nl < 0 ? buf.length : nl;
    let text = this.decoder.decode(buf.subarray(start, end));
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.ctx.malformed(this.lineNo, reason, text);
    return end + 1;
  }

  private wrongFields(op: number, buf: Uint8Array, start: number): number {
    return this.bad(buf, start, `expected "<tid>: ${SHAPES[op]}${TAILS[op]}" (hexadecimal pointers, decimal numbers)`);
  }

  finish(): RecordAllocsFacts {
    const ctx = this.ctx;
    // Blank lines alone are no trace either (a trace of no events would read as a process that allocated nothing).
    if (!this.sawContent) ctx.malformed(1, this.lineNo === 0 ? 'input is empty' : 'the input holds only blank lines');
    this.timeOrder.report(ctx);
    if (this.entries === DEFAULT_ENTRY_LIMIT || this.entries === MAX_ENTRY_LIMIT) {
      ctx.warn(
        `the trace holds exactly ${this.entries.toLocaleString('en-US')} entries, a record_allocs limit: entries after it were dropped, so the trace may end early`,
      );
    }
    const meta = this.builder.meta;
    const parts = [this.wide ? '64-bit pointers' : '32-bit pointers'];
    if (this.timed > 0) parts.push('timestamps');
    if (this.presentEvents > 0) parts.push('present bytes');
    meta.variant = `record_allocs, ${parts.join(', ')}`;
    meta.sizeKind = 'exact';
    meta.returnAddresses = false;
    return {
      hasTimestamps: this.timed > 0,
      hasStacks: false,
      tracksPointers: true,
      presentBytes: this.presentEvents > 0 ? { events: this.presentEvents, bytes: this.presentSum } : null,
    };
  }
}

// Scanner results. Module scope is safe: a line is parsed without awaiting,
// so two parses never interleave inside one.
// (An object, not `let` bindings: V8 checks module-level `let` for its
// temporal dead zone on every access.)
const scanned = { hi: 0, lo: 0, num: 0 };

/** Skips one or more blanks at `p`; the position after them, or -1 when there is none. */
function blanks(buf: Uint8Array, p: number): number {
  if (!isBlank(buf[p])) return -1;
  do p++;
  while (isBlank(buf[p]));
  return p;
}

/**
 * Scans a hexadecimal pointer at `p` (`0x` optional, as memory_replay reads
 * it; at most 16 significant digits) ending at a blank or the end of the
 * line, into `scanned.hi`/`scanned.lo`; returns its end, or -1.
 */
function scanPointer(buf: Uint8Array, p: number): number {
  if (buf[p] === 48 && (buf[p + 1] | 32) === 120) p += 2;
  const start = p;
  // One pass while the value is exact in a double (13 digits, 52 bits):
  // every 32-bit pointer and untagged 64-bit one.
  let v = 0;
  let d: number;
  while ((d = hexValue(buf[p])) >= 0 && p - start < 13) {
    v = v * 16 + d;
    p++;
  }
  if (d >= 0) {
    // Longer: tagged pointers above 2^53. The last 8 digits are `lo`.
    while (hexValue(buf[p]) >= 0) p++;
    let first = start;
    while (buf[first] === 48 && first < p - 1) first++; // leading zeros
    if (p - first > 16) return -1;
    const split = p - first > 8 ? p - 8 : first;
    let hi = 0;
    let lo = 0;
    for (let i = first; i < split; i++) hi = hi * 16 + hexValue(buf[i]);
    for (let i = split; i < p; i++) lo = lo * 16 + hexValue(buf[i]);
    if (!isFieldEnd(buf, p)) return -1;
    scanned.hi = hi;
    scanned.lo = lo;
    return p;
  }
  if (p === start || !isFieldEnd(buf, p)) return -1;
  scanned.hi = v > 0xffffffff ? Math.floor(v / 0x100000000) : 0;
  scanned.lo = v >>> 0;
  return p;
}

/**
 * Scans an unsigned decimal of at most 20 digits (a u64) at `p`, ending at
 * a blank or the end of the line, into `scanned.num`; returns its end, or -1.
 * Beyond 2^53 the value is rounded: timestamps past 104 days of uptime lose
 * a few ns, and sizes that large only occur on failed allocations (checked
 * by the caller).
 */
function scanNumber(buf: Uint8Array, p: number): number {
  const start = p;
  let v = 0;
  for (;;) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
    p++;
  }
  if (p === start || p - start > 20 || !isFieldEnd(buf, p)) return -1;
  scanned.num = v;
  return p;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** A line ends at `p`: LF, or CR LF. */
function isLineEnd(buf: Uint8Array, p: number): boolean {
  const c = buf[p];
  return c === NL || (c === CR && buf[p + 1] === NL);
}

/** A field ends at `p`: a blank or the end of the line. */
function isFieldEnd(buf: Uint8Array, p: number): boolean {
  const c = buf[p];
  return c === 32 || c === 9 || c === NL || (c === CR && buf[p + 1] === NL);
}

/** Hex digit values by byte, -1 for other bytes. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_VALUE[65 + c] = HEX_VALUE[97 + c] = 10 + c;

/** The value of the hex digit `c` (a byte), or -1. */
function hexValue(c: number): number {
  return HEX_VALUE[c];
}

/** The operation word at `p` (followed by a blank or the end of the line), or -1. */
function operationAt(buf: Uint8Array, p: number): number {
  let op: number;
  switch (buf[p]) {
    case 109 /* m */:
      op = buf[p + 1] === 97 /* a */ ? MALLOC : MEMALIGN;
      break;
    case 99 /* c */:
      op = CALLOC;
      break;
    case 114 /* r */:
      op = REALLOC;
      break;
    case 102 /* f */:
      op = FREE;
      break;
    case 116 /* t */:
      op = THREAD_DONE;
      break;
    default:
      return -1;
  }
  const word = TYPE_BYTES[op];
  for (let i = 1; i < word.length; i++) if (buf[p + i] !== word[i]) return -1;
  return isFieldEnd(buf, p + word.length) ? op : -1;
}
