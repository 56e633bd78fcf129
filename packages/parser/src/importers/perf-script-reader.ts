/**
 * The reader of `perf script` text (perf-script.ts has the grammar and the
 * producer's quirks): a state machine over lines — sample lines
 * (perf-sample-line.ts), frame lines (perf-frames.ts), payloads and what
 * the records mean (perf-events.ts) — that interns stacks and threads and
 * hands the records to the sink.
 */
import type { ParseContext } from './importer.js';
import type { ByteLineCursor } from '../input/lines.js';
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { NO_TIME, TimeOrder, type TraceFacts, type TraceSink } from '../trace/sink.js';
import { BAD_FRAME, NOT_A_FRAME, PerfFrames, isInlinedCode } from './perf-frames.js';
import { DSOLESS_FRAME, SRCLINE, SRCLINE_INLINED, isFrameLine, isSrccode, isStackEnd, srclineKind, usualFrameLines, type LineCount } from './perf-frame-line.js';
import { warnCutFrames } from './bad-frames.js';
import { EventRecord, PerfEvents, Role, ThreadCalls, perfEventOptions, type PerfEvent } from './perf-events.js';
import { PayloadArgs } from './perf-payload.js';
import { LINE_FRAME_STACKS, OWN_ADDRESS_STACKS, refusePrinting, unplaceableInlined } from './perf-options.js';
import { EVENT_FIRST, isBlank, newSampleHead, scanSampleLine, type SampleHead } from './perf-sample-line.js';

/** What `perf script` import says about a trace, beyond {@link TraceFacts}. */
export interface PerfScriptFacts extends TraceFacts {
  /** Records per event name, in order of first appearance. */
  events: { name: string; role: 'alloc' | 'free' | 'unknown' | 'sideband'; records: number }[];
}

/** perf's timestamps are u64 ns: a time beyond is no time. */
const MAX_TIME_NS = 2 ** 64;
/** A period beyond 2^53 is not an exact number, and no counter reaches it. */
const MAX_PERIOD = 2 ** 53;
const FRAME_EXPECTED = 'expected a callchain frame "<ip> <symbol> (<dso>)" or a sample line';
/** Processes whose pointers are kept apart (see `keepApart`). */
const MAX_PROCESSES = 256;
/** Events compared in place before a name is sliced and looked up. */
const RECENT_EVENTS = 8;

/** Per thread: its builder index, comm (as bytes), and open allocator call. */
class PerfThread extends ThreadCalls {
  constructor(
    readonly index: number,
    public commBytes: Uint8Array,
  ) {
    super();
  }
}

/** Whether `bytes[start, end)` are `want`. */
function sameBytes(want: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (want.length !== end - start) return false;
  for (let k = 0; k < want.length; k++) if (bytes[start + k] !== want[k]) return false;
  return true;
}

/** A copy of `codes`, at least `needed` long (doubled). */
function grown(codes: Int32Array, needed = codes.length + 1): Int32Array<ArrayBuffer> {
  let length = Math.max(codes.length * 2, 16);
  while (length < needed) length *= 2;
  const out = new Int32Array(length);
  out.set(codes);
  return out;
}

/** `# event : name = …` lines of `perf script --header`. */
const HEADER_EVENT = /^#\s*event\s*:\s*name\s*=\s*([^,\s]+)/;

/**
 * The reader's state machine, one line at a time (a method called per line
 * is optimized early by V8; see jemalloc.ts).
 */
export class PerfScriptReader {
  private readonly frames: PerfFrames;
  private readonly events: PerfEvents;
  private readonly threads = new Map<number, PerfThread>();
  private readonly threadsByComm = new Map<string, PerfThread>();
  private readonly head: SampleHead = newSampleHead();
  private readonly args = new PayloadArgs();
  private readonly rec = new EventRecord();
  private codes = new Int32Array(256);
  private frameCount = 0;
  private hasInlined = false;
  /** A record is open: frame lines belong to it. */
  private inRecord = false;
  /** Lenient mode skipping the rest of a malformed record. */
  private skipping = false;
  private recordEvent: PerfEvent | undefined;
  private recordThread: PerfThread | undefined;
  private recordTime = NO_TIME;
  private recordPeriod = NaN;
  private recordLine = 0;
  /** The record's event is an allocation/free whose arguments were read. */
  private recordKnown = false;
  private headerEvents: string[] = [];
  private sawSample = false;
  records = 0;
  hasTimestamps = false;
  hasStacks = false;
  /** Every frame of the open record so far is the one at the same depth in its event's last record. */
  private sameFrames = true;
  private srclines = 0;
  private srclineLine = 0;
  private readonly recentEvents: PerfEvent[] = [];
  /** The recent events' names, as bytes. */
  private readonly recentNames: Uint8Array[] = [];
  private recentNext = 0;
  /** Where the open record's stack was cut (a frame outside every mapping), or -1. */
  private cutFrom = -1;
  private cutFrames = 0;
  private cutRecords = 0;
  private cutLine = 0;
  /** The open record's own address (its payload's ip), when it has one. */
  private recordHasIp = false;
  private recordIpHi = 0;
  private recordIpLo = 0;
  /** Records without a callchain: given their own address as their stack, or left without a stack. */
  private ipStacks = 0;
  private ipStackLine = 0;
  private lineFrames = 0; // records with a frame on their sample line (perf script -G, or no callchain recorded)
  private lineFramesLine = 0;
  /** Records left without a stack: of allocation/free events, and of other events (which count only in a file of samples). */
  private stackless = 0;
  private stacklessLine = 0;
  private stacklessOther = 0;
  private stacklessOtherLine = 0;
  private readonly timeOrder = new TimeOrder();
  /** Each pid's index, in order of appearance (-1 past MAX_PROCESSES); whether any record was of one past it. */
  private readonly processes = new Map<number, number>();
  private mixedPointers = false;
  private pendingLine = 0; // a frame line without a dso, until the next says whether it is an inlined frame (-F +srcline)
  private pendingFrame = '';
  private codeFrames = 0; // frames read that name their dso
  /** The first record's time and the last one's (NO_TIME before any), and how often times went back since a first time of 0. */
  private firstTime = NO_TIME;
  private lastTime = NO_TIME;
  private backSteps = 0;
  private readonly skipped: LineCount = { lines: 0 };
  /** The cursor of the line being read, and a range of its bytes decoded (for the lines and fields the byte scanners leave to text). */
  private cursor: ByteLineCursor | undefined;
  private readonly decode = (from: number, to: number): string => this.cursor!.checkedText(from, to);

  constructor(
    private readonly ctx: ParseContext,
    private readonly builder: ProfileBuilder,
    private readonly sink: TraceSink,
  ) {
    this.frames = new PerfFrames(builder, ctx.options.keepBadFrames !== true);
    this.events = new PerfEvents(ctx, sink, perfEventOptions(ctx.options));
  }

  /**
   * The cursor's line. Frame lines, most of a callchain file, are read as
   * undecoded bytes (perf-frames.ts); the other lines are decoded here.
   */
  line(cursor: ByteLineCursor): void {
    const { bytes, start, end } = cursor;
    if (this.pendingLine > 0 && this.inlinedBySrcline(bytes, start, end, cursor.lineNo)) return;
    // Frame and sample lines end in a non-blank character: only a line that
    // does not can be blank (whitespace only), so only such lines are scanned.
    if (end === start || isBlank(bytes[end - 1])) {
      let i = start;
      while (i < end && isBlank(bytes[i])) i++;
      if (i === end) {
        if (this.inRecord) this.endRecord();
        this.skipping = false;
        return;
      }
    }
    if (this.inRecord && this.cutFrom >= 0) {
      // Above a cut: counted, never made into locations.
      if (isFrameLine(bytes, start, end)) {
        this.cutFrames++;
        this.skipCutFrames(cursor);
        return;
      }
    } else if (this.inRecord) {
      const code = this.frames.frame(bytes, start, end);
      if (code === BAD_FRAME) {
        // The unwinder's end of stack, not a bad frame: nothing is cut or counted.
        if (isStackEnd(bytes, start, end)) return;
        this.cut();
        this.skipCutFrames(cursor);
        return;
      }
      if (code !== NOT_A_FRAME) {
        if (isInlinedCode(code) && this.frames.isNameless(code)) refusePrinting(this.ctx, cursor.lineNo, 'sym', cursor.checkedText(start, end));
        this.pushFrame(code);
        this.followFrames(cursor);
        return;
      }
    }
    const lineNo = cursor.lineNo;
    // Source lines: `-F +srcline` under a frame, `-F +srccode` (`|<line> <code>`, where it changed: between records too). perf's symbols stay the names.
    if ((this.inRecord && srclineKind(bytes, start, end) === SRCLINE) || (bytes[start] === 124 /* | */ && isSrccode(bytes, start, end))) {
      if (this.srclines++ === 0) this.srclineLine = lineNo;
      return;
    }
    if (!this.inRecord && this.skipping && this.frames.frame(bytes, start, end) !== NOT_A_FRAME) return;
    if (bytes[start] === 35 /* # */ && !this.inRecord) {
      if (!this.sawSample) {
        const m = HEADER_EVENT.exec(cursor.checkedText(start, end));
        if (m) this.headerEvents.push(m[1]);
      }
      return;
    }
    this.cursor = cursor;
    this.sampleLine(lineNo, bytes, start, end);
  }

  /** A frame line without a dso, unexplained: -F without dso (refused), or, where frames had dsos, a damaged line. */
  private dsoless(lineNo: number, frame: string): false {
    if (this.codeFrames === 0) refusePrinting(this.ctx, lineNo, 'dso', frame);
    this.fail(lineNo, FRAME_EXPECTED, frame);
    return false;
  }

  /** The line after a frame printed without a dso (`pendingFrame`): an inlined frame's source line makes it that inlined frame (taken: true). */
  private inlinedBySrcline(bytes: Uint8Array, start: number, end: number, lineNo: number): boolean {
    const frame = this.pendingFrame;
    const frameLine = this.pendingLine;
    this.pendingLine = 0;
    if (srclineKind(bytes, start, end) === SRCLINE_INLINED) {
      const line = new TextEncoder().encode(`${frame} (inlined)`);
      const code = this.frames.frame(line, 0, line.length);
      if (code !== NOT_A_FRAME && code !== BAD_FRAME) {
        if (isInlinedCode(code) && this.frames.isNameless(code)) refusePrinting(this.ctx, frameLine, 'sym', frame);
        this.pushFrame(code);
        if (this.srclines++ === 0) this.srclineLine = lineNo;
        return true;
      }
    }
    return this.dsoless(frameLine, frame);
  }

  /**
   * Counts the frame lines of the usual shape that follow the cursor's line
   * above a cut, and moves the cursor past them: one pass over their bytes
   * (perf-frames.ts, `usualFrameLines`). A line of another shape stops it
   * and is read by `line` as any other.
   */
  private skipCutFrames(cursor: ByteLineCursor): void {
    const bytes = cursor.bytes;
    const from = cursor.following;
    if (from < 0) return; // the cut frame was the batch's last line
    const to = usualFrameLines(bytes, from, bytes.length, this.skipped);
    if (this.skipped.lines === 0) return;
    this.cutFrames += this.skipped.lines;
    cursor.skipTo(to, this.skipped.lines);
  }

  /**
   * Takes the frame lines after the cursor's line that repeat the lines
   * that followed it the last time (a callchain's callers, most often),
   * each compared whole without a search for its newline, and moves the
   * cursor past them (perf-frames.ts, `nextLine`). The first other line is
   * read by `line` as any other.
   */
  private followFrames(cursor: ByteLineCursor): void {
    const bytes = cursor.bytes;
    let from = cursor.following;
    if (from < 0) return;
    const frames = this.frames;
    let lines = 0;
    for (let code = frames.nextLine(bytes, from, bytes.length); code !== NOT_A_FRAME; code = frames.nextLine(bytes, from, bytes.length)) {
      this.pushFrame(code);
      from = frames.lineEnd + 1;
      lines++;
    }
    if (lines > 0) cursor.skipTo(from, lines);
  }

  /** The event named by `bytes[start, end)`: recent events are compared in place, without decoding. */
  private eventAt(bytes: Uint8Array, start: number, end: number, lineNo: number): PerfEvent {
    const recent = this.recentEvents;
    const names = this.recentNames;
    for (let k = 0; k < recent.length; k++) if (sameBytes(names[k], bytes, start, end)) return recent[k];
    const event = this.events.event(this.decode(start, end), lineNo);
    if (recent.length < RECENT_EVENTS) {
      recent.push(event);
      names.push(bytes.slice(start, end));
    } else {
      const k = this.recentNext++ % RECENT_EVENTS;
      recent[k] = event;
      names[k] = bytes.slice(start, end);
    }
    return event;
  }

  /** The open record's stack ends here: the frame just read is outside every executable mapping (bad-frames.ts). */
  private cut(): void {
    this.cutFrom = this.frameCount;
    if (this.cutFrames++ === 0) this.cutLine = this.recordLine;
    this.cutRecords++;
  }

  private pushFrame(code: number): void {
    const depth = this.frameCount;
    if (depth === this.codes.length) this.codes = grown(this.codes);
    this.codes[this.frameCount++] = code;
    if (code >= 0) this.codeFrames++;
    if (isInlinedCode(code)) this.hasInlined = true;
    const last = this.recordEvent!.lastCodes;
    if (depth >= last.length || last[depth] !== code) this.sameFrames = false;
  }

  /** A sample line: `bytes[start, end)`, decoded only when it does not read as one. */
  private sampleLine(lineNo: number, bytes: Uint8Array, start: number, end: number): void {
    const h = this.head;
    if (!scanSampleLine(bytes, start, end, h, this.decode)) {
      const text = this.decode(start, end);
      if (this.inRecord && DSOLESS_FRAME.test(text)) {
        // With -F +srcline perf marks an inlined frame on its source line, not on the frame (`98930
        // __GI___libc_malloc+0x0` then `  malloc.c:3281 (inlined)`): the next line says which this is.
        this.pendingLine = lineNo;
        this.pendingFrame = text;
        return;
      }
      if (EVENT_FIRST.test(text)) refusePrinting(this.ctx, lineNo, 'thread', text); // threads, and the order of calls on each, need a tid (or comm) or a time
      const side = text.indexOf(' PERF_RECORD_');
      if (side >= 0) {
        this.sideband(text, side + 1, lineNo);
        return;
      }
      this.fail(lineNo, this.inRecord ? FRAME_EXPECTED : 'expected a sample line "<comm> <tid> [<cpu>] <time>: <event>: …"', text);
      return;
    }
    if (this.inRecord) this.endRecord();
    this.cutFrom = -1;
    if (h.timeNs > MAX_TIME_NS || h.period > MAX_PERIOD) {
      this.fail(lineNo, h.timeNs > MAX_TIME_NS ? 'timestamp beyond 2^64 ns' : 'period beyond 2^53', this.decode(start, end));
      return;
    }
    const event = this.eventAt(bytes, h.eventStart, h.eventEnd, lineNo);
    const known = event.role === Role.alloc || event.role === Role.free;
    let ok = true;
    let trailing = -1;
    if (known) {
      ok = this.args.scanLine(bytes, h.payloadStart, end, this.decode);
      if (ok && this.args.rest >= 0) {
        trailing = this.frames.frameAt(bytes, this.args.rest, end);
        if (trailing === NOT_A_FRAME) ok = false;
      }
    } else if (event.role === Role.unknown) {
      // Hardware events without -g print their frame as the payload.
      let p = h.payloadStart;
      while (p < end && isBlank(bytes[p])) p++;
      if (p < end) trailing = this.frames.frameAt(bytes, p, end);
    }
    if (ok && known && !this.args.hasIp && this.args.count === 0) {
      // A uprobe record always prints its address `(ip)` in the trace field: its absence is `-F` without trace.
      refusePrinting(this.ctx, lineNo, 'trace', this.decode(start, end), event.name);
    }
    if (!ok) {
      this.fail(lineNo, `unexpected payload for "${event.name}" (expected "(<ip>) name=value …")`, this.decode(start, end));
      return;
    }
    if (!this.sawSample) {
      this.sawSample = true;
      if (this.headerEvents.length > 0) this.events.declareEvents(this.headerEvents);
    }
    if (event.records++ === 0) event.firstLine = lineNo;
    this.records++;
    this.inRecord = true;
    this.skipping = false;
    this.frameCount = 0;
    this.hasInlined = false;
    this.recordEvent = event;
    this.recordLine = lineNo;
    this.recordTime = h.timeNs;
    this.recordPeriod = h.period;
    if (h.timeNs !== NO_TIME) {
      this.hasTimestamps = true;
      // `--deltatime` prints each record's time since the one before it: the first is 0, then they go back and forth
      // at once (`--reltime` starts at 0 too, but goes back only where perf's own order slipped, rarely).
      if (this.firstTime === NO_TIME) this.firstTime = h.timeNs;
      else if (this.firstTime === 0 && h.timeNs < this.lastTime && ++this.backSteps === 3 && this.records <= 64) refusePrinting(this.ctx, lineNo, 'deltatime', this.decode(start, end));
      this.lastTime = h.timeNs;
    }
    this.timeOrder.see(h.timeNs, lineNo);
    this.recordKnown = false;
    this.recordHasIp = known && this.args.hasIp;
    this.recordIpHi = this.args.ipHi;
    this.recordIpLo = this.args.ipLo;
    if (event.role === Role.sideband) return; // perf's own records: no thread of the program, no frames
    const thread = this.thread(bytes, h);
    this.recordThread = thread;
    if (known) {
      const rec = this.rec;
      rec.event = event;
      rec.thread = thread.index;
      rec.timeNs = h.timeNs;
      rec.line = lineNo;
      rec.stack = EMPTY_STACK;
      // A free whose pointer is unreadable is skipped (warned); an entry or
      // return still takes part in pairing, without a size or pointer.
      this.recordKnown = this.events.extract(event, this.args, bytes, rec) || event.role === Role.alloc;
    }
    this.sameFrames = true;
    if (trailing !== NOT_A_FRAME && this.lineFrames++ === 0) this.lineFramesLine = lineNo;
    if (trailing === BAD_FRAME) this.cut();
    else if (trailing !== NOT_A_FRAME) this.pushFrame(trailing);
    if (h.pid >= 0) this.keepApart(h.pid, known);
  }

  /**
   * A side-band record printed by `--show-task-events`, `--show-mmap-events`
   * or `--show-lost-events` (`PERF_RECORD_MMAP2 15410/15410: […]`,
   * `PERF_RECORD_COMM exec: …`): counted, never followed by frames.
   */
  private sideband(text: string, start: number, lineNo: number): void {
    if (this.inRecord) this.endRecord();
    let end = start;
    for (let c = text.charCodeAt(end); (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95; c = text.charCodeAt(++end));
    const event = this.events.event(text.slice(start, end), lineNo);
    if (event.records++ === 0) event.firstLine = lineNo;
    this.skipping = false;
  }

  /** Keeps process `pid`'s pointers apart (`-F +pid`): the k-th process's get k in their top byte, which no user-space address has (57 bits at most). */
  private keepApart(pid: number, known: boolean): void {
    let k = this.processes.get(pid);
    if (k === undefined) this.processes.set(pid, (k = this.processes.size < MAX_PROCESSES ? this.processes.size : -1));
    const r = this.rec;
    if (k < 0) this.mixedPointers ||= known;
    else if (k > 0 && known && r.hasPtr && (r.ptrHi !== 0 || r.ptrLo !== 0) && r.ptrHi < 0x1000000) r.ptrHi += k * 0x1000000;
  }

  /** The thread of the sample line `bytes` (new, or renamed when its comm changed). */
  private thread(bytes: Uint8Array, h: SampleHead): PerfThread {
    let t = h.tid >= 0 ? this.threads.get(h.tid) : this.threadsByComm.get(this.decode(h.commStart, h.commEnd));
    if (t !== undefined && sameBytes(t.commBytes, bytes, h.commStart, h.commEnd)) return t;
    const comm = this.decode(h.commStart, h.commEnd);
    const commBytes = bytes.slice(h.commStart, h.commEnd);
    if (t !== undefined) {
      // exec or prctl(PR_SET_NAME): same thread, new comm. The thread takes
      // its latest: a shell's child is named by the program it exec'd
      // (`sh` → `xz`), a worker by the name it gave itself, not by the
      // name it had for its first records.
      t.commBytes = commBytes;
      this.builder.renameThread(t.index, comm);
      return t;
    }
    const key = h.tid >= 0 ? String(h.tid) : `comm:${comm}`;
    t = new PerfThread(this.builder.thread(key, comm), commBytes);
    if (h.tid >= 0) this.threads.set(h.tid, t);
    else this.threadsByComm.set(comm, t);
    return t;
  }

  /** Closes the open record: its stack, then its meaning. */
  private endRecord(): void {
    this.inRecord = false;
    const event = this.recordEvent!;
    // The frames as read (inlined frames not yet merged): the same frames make the same stack.
    const read = this.frameCount;
    let stack = EMPTY_STACK;
    if (read > 0 && this.sameFrames && read === event.lastCount) stack = event.lastStack;
    else {
      if (read > 0) {
        if (event.lastCodes.length < read) event.lastCodes = grown(event.lastCodes, read);
        // A loop, not set(subarray): no view object per record.
        const last = event.lastCodes;
        for (let k = 0; k < read; k++) last[k] = this.codes[k];
      }
      let count = read;
      if (this.hasInlined) count = this.frames.resolve(this.codes, count);
      if (count === 0 && this.cutFrom < 0) count = this.ownAddress(event);
      // The leaf is the sample's own address: the code itself, except in a
      // return probe's record (the return address in the caller).
      if (count > 0 && !event.isReturn) this.frames.markExact(this.codes[0]);
      if (count > 0) stack = this.builder.internStack(this.codes, count);
      event.lastStack = stack;
      event.lastCount = read > 0 ? read : -1;
    }
    if (stack !== EMPTY_STACK) this.hasStacks = true;
    if (event.role === Role.alloc || event.role === Role.free) {
      if (!this.recordKnown) return;
      this.rec.stack = stack;
      this.events.handle(this.rec, this.recordThread!);
      return;
    }
    if (event.role === Role.unknown) {
      const weight = Number.isNaN(this.recordPeriod) ? 1 : this.recordPeriod;
      this.sink.sample(stack, this.recordThread!.index, weight, this.recordTime);
    }
  }

  /**
   * The stack of a record that printed no callchain: its own address, as
   * perf report attributes such a sample (uprobe records carry it in their
   * payload, `(ip)` or `(func <- ret)`); an entry record's address is the
   * probed function's, named after the event. Returns the frame count (0:
   * no address either, the record stays without a stack).
   */
  private ownAddress(event: PerfEvent): number {
    if (event.role === Role.sideband) return 0;
    if (!this.recordHasIp) {
      if (event.role !== Role.unknown) {
        if (this.stackless++ === 0) this.stacklessLine = this.recordLine;
      } else if (this.stacklessOther++ === 0) this.stacklessOtherLine = this.recordLine;
      return 0;
    }
    if (this.ipStacks++ === 0) this.ipStackLine = this.recordLine;
    this.sameFrames = false; // another address than the event's last record may have had
    const part = event.name.slice(event.name.indexOf(':') + 1);
    this.codes[0] = this.frames.sampleAddress(this.recordIpHi, this.recordIpLo, event.isReturn ? '' : part);
    return 1;
  }

  /** A line that does not fit: an error (or lenient warning), or a warning at a truncated end. */
  private fail(lineNo: number, reason: string, text: string): void {
    // The record this line would have belonged to is dropped whole; later
    // lines of the same broken record are not reported again.
    this.inRecord = false;
    if (this.skipping) return;
    this.skipping = true;
    this.ctx.malformed(lineNo, reason, text);
  }

  /**
   * The input's last line was cut short and dropped: the open record goes
   * too when that line may have been one of its frames (see the top of the
   * file). A stack already cut at a bad frame is kept: the lost line was
   * above the cut, where every frame goes anyway.
   */
  dropCutRecord(): void {
    if (!this.inRecord || this.cutFrom >= 0 || (this.frameCount === 0 && !this.hasStacks)) return;
    this.inRecord = false;
    this.records--;
    this.recordEvent!.records--;
    this.ctx.warn('the record the cut line belonged to was dropped (its callchain is incomplete)', this.recordLine);
  }

  finish(): PerfScriptFacts {
    if (this.pendingLine > 0) this.dsoless(this.pendingLine, this.pendingFrame);
    if (this.inRecord) this.endRecord();
    const events = this.events;
    events.finish(this.allCalls(), this.hasStacks);
    const ctx = this.ctx;
    const allocatorEvents = events.sawAllocatorEvents;
    for (const event of events.all) {
      if (event.records === 0) continue;
      if (event.role === Role.unknown) {
        if (allocatorEvents) {
          ctx.warn(`records of event "${event.name}" are neither allocations nor frees; they were skipped`, event.firstLine, event.records);
        } else {
          ctx.warn(`no malloc/free probe events: samples of "${event.name}" carry no sizes (imported as stacks only)`, event.firstLine, event.records);
        }
      } else if (event.role === Role.sideband) {
        const lost = event.name.startsWith('PERF_RECORD_LOST');
        ctx.warn(
          lost ? `perf lost events ("${event.name}" records): pairs, frees and live bytes may be incomplete` : `side-band records "${event.name}" were skipped`,
          event.firstLine,
          event.records,
        );
      }
    }
    if (this.ipStacks > 0) {
      ctx.warn(OWN_ADDRESS_STACKS, this.ipStackLine, this.ipStacks);
    }
    if (this.frames.unplaceable > 0) ctx.warn(unplaceableInlined(this.frames.unplaceable));
    if (this.lineFrames > 0 && allocatorEvents) ctx.warn(LINE_FRAME_STACKS, this.lineFramesLine, this.lineFrames);
    // Records of other events count only in a file of samples (else they are skipped, and said so above).
    const [stackless, stacklessLine] = allocatorEvents ? [this.stackless, this.stacklessLine] : [this.stacklessOther, this.stacklessOtherLine];
    if (stackless > 0) ctx.warn('records with neither a callchain nor an address are counted without a stack', stacklessLine, stackless);
    warnCutFrames(ctx, this.cutFrames, this.cutRecords, this.cutLine);
    this.timeOrder.report(ctx);
    if (this.srclines > 0) {
      ctx.warn('source lines (perf script -F +srcline, +srccode) are not used: frames are named by their symbols', this.srclineLine, this.srclines);
    }
    if (this.records === 0) ctx.warn('the input has no records');
    if (this.mixedPointers && allocatorEvents) {
      ctx.warn(`the records come from more than ${MAX_PROCESSES} processes: the pointers of those after the ${MAX_PROCESSES}th are not told apart (split the output with perf script --pid)`);
    }
    const meta = this.builder.meta;
    meta.producerNames = {
      producer: 'perf',
      exactLocations: this.frames.exactLocations(),
      symbolStarts: this.frames.symbolStarts(),
      dsoless: this.frames.dsolessLocations(),
    };
    if (this.processes.size === 1) meta.pid = this.processes.keys().next().value!;
    meta.variant = allocatorEvents
      ? events.tracking
        ? 'malloc probes with return probes'
        : 'malloc probes (entry records only: sizes)'
      : `samples (${events.all.filter((e) => e.role === Role.unknown && e.records > 0).map((e) => e.name).join(', ')})`;
    return {
      hasTimestamps: this.hasTimestamps,
      hasStacks: this.hasStacks,
      tracksPointers: events.tracking,
      events: events.all
        .filter((e) => e.records > 0)
        .map((e) => ({ name: e.name, role: (['unknown', 'alloc', 'free', 'sideband'] as const)[e.role], records: e.records })),
    };
  }

  private *allCalls(): Iterable<ThreadCalls> {
    yield* this.threads.values();
    yield* this.threadsByComm.values();
  }
}
