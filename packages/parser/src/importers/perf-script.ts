/**
 * `perf script` text: malloc/free uprobe records (an event trace), and — as
 * stacks only — CPU-sample records.
 *
 * Producer: Linux perf (`perf probe`, `perf record`, `perf script`; fields in
 * tools/perf/builtin-script.c, callchains in tools/perf/util/evsel_fprintf.c,
 * uprobe payloads in kernel/trace/trace_probe.c), all versions since 4.x, and
 * simpleperf's `report_sample.py`, which imitates it. There is no written
 * specification; the facts and corpus variants are in docs/formats.md#perf-script. A real
 * excerpt (perf 6.1, `perf record -g` with malloc, malloc%return and free
 * probes on glibc 2.36; fixtures/perf):
 *
 *   hs worker  6167 [000]  4335.993590:          probe_libc:malloc: (7ffff7e6c930) size=8225
 *   	           98930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *   	            18ef worker_main+0x7f (/work/main/fixtures/bin/workload)
 *   	           891f5 start_thread+0x305 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *
 *   hs worker  6167 [000]  4335.993645:  probe_libc:malloc__return: (7ffff7e6c930 <- 555555555772) ptr=0x7ffff0000b70
 *   	            1772 odd_size_site+0x32 (/work/main/fixtures/bin/workload)
 *   	            18ef worker_main+0x7f (/work/main/fixtures/bin/workload)
 *   	           891f5 start_thread+0x305 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *
 * The grammar (EBNF, docs/formats.md#notation: WS = blanks, SP = one space):
 *
 *   output      = { "#" { any } NL } { record } ;
 *   record      = sample-line NL [ { frame NL } ] [ blank-line ] ;
 *   sample-line = [WS] comm WS ( tid | pid "/" tid ) WS [ "[" cpu "]" WS ]
 *                 [ secs "." frac ":" WS ] [ period WS ] event ":" [ WS payload ] ;
 *   frame       = [WS] ip WS symbol [ "+0x" hex ] SP "(" dso ")" [ SP "(inlined)" ]   (perf-frames.ts)
 *   payload     = [ "(" ip [ " <- " ip ] ")" ] { SP name "=" value } [ WS frame ]    (perf-events.ts)
 *
 * How a sample line is read (never by columns: widths change between
 * versions, and comm may hold spaces and digits — `FS Broker 5906  7564/7598`):
 * split on blanks and anchor on the first `<digits>.<digits>:` token, the
 * time. Backwards from it: an optional `[cpu]`, then `pid/tid` or `tid`, and
 * everything before is comm. Forwards: an optional period (digits), then the
 * event: the next token ending in `:` (one token; `task-clock:ppp:` keeps its
 * modifiers). Without a time, the event is the first token ending in `:`
 * after at least a comm and a tid. Never the line's last `x:`: payloads
 * follow the event.
 *
 * Producer quirks handled here:
 * - comm is right-aligned to 16 when records have no callchain, unpadded
 *   when they have one; simpleperf separates fields with TABs.
 * - The time's fraction has 6 digits (µs), or 9 with `--ns`. simpleperf's
 *   report_sample.py before AOSP system/extras d85e2f4e printed the
 *   microseconds without zero padding (`115540.9540:` is 115540 s + 9540 µs):
 *   a fraction of 6 digits or fewer is read as microseconds, so both forms
 *   agree; 7 or 8 digits as a decimal fraction.
 * - A record ends at a blank (or whitespace-only) line, at the next sample
 *   line (records without a callchain have no blank line after them), or at
 *   the end of the input. perf ends every line with a newline: a last line
 *   without one was cut short (a truncated capture), and is dropped with a
 *   warning (ParseContext.lines), never read as whole. The record it was
 *   part of is dropped too when its callchain may have gone on (the record
 *   has frames, or the capture has callchains): its stack is incomplete
 *   (unless it was already cut at a frame outside every mapping).
 * - In a `-g` session, an event recorded without a callchain prints its
 *   frame on the sample line after the payload (`… ptr=93824992252576
 *   7ffff7e6cef0 cfree@GLIBC_2.2.5+0x0 (/usr/lib/…/libc.so.6)`); so do
 *   hardware events without `-g`.
 * - Frame lines start with a TAB, spaces or nothing (older perf).
 * - `perf script --header` adds `#` lines; `# event : name = …` lines say
 *   which events were recorded (and so whether return probes exist).
 *
 * What the records mean (allocations, frees, entry/return pairing, the
 * stack each allocation is attributed to) is in perf-events.ts. Events of
 * unknown meaning are counted in a warning, never dropped silently; a file
 * of CPU samples only (cycles, cpu-clock, …) imports its stacks and says
 * that its samples carry no sizes. Threads are keyed by tid and named by
 * comm. Timestamps become ns (numbers: exact up to 2^53 ns, 104 days of
 * uptime; beyond that they are rounded to a few ns).
 */
import type { Head, ParseContext } from './importer.js';
import type { Input } from '../input/source.js';
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { NO_TIME, TimeOrder, type TraceFacts, type TraceImporter, type TraceSink } from '../trace/sink.js';
import { BAD_FRAME, NOT_A_FRAME, PerfFrames, isInlinedCode } from './perf-frames.js';
import { warnCutFrames } from './bad-frames.js';
import { EventRecord, PayloadArgs, PerfEvents, Role, ThreadCalls, perfEventOptions, type PerfEvent } from './perf-events.js';

/**
 * A sink that also takes plain samples (records of events that are neither
 * allocations nor frees, such as CPU samples): `weight` is the record's
 * period, or 1 when it has none. Optional: {@link TraceSink} has no such
 * method yet, and the importer calls it only when the sink offers it.
 */
/** What `perf script` import says about a trace, beyond {@link TraceFacts}. */
export interface PerfScriptFacts extends TraceFacts {
  /** Records per event name, in order of first appearance. */
  events: { name: string; role: 'alloc' | 'free' | 'unknown' | 'sideband'; records: number }[];
}

/** A sample line as scanned (offsets into the line). */
export interface SampleHead {
  commStart: number;
  commEnd: number;
  pid: number;
  tid: number;
  timeNs: number;
  period: number;
  eventStart: number;
  /** End of the event name (its `:` excluded). */
  eventEnd: number;
  payloadStart: number;
}

const MAX_TOKENS = 64;
/** perf's timestamps are u64 ns: a time beyond is no time. */
const MAX_TIME_NS = 2 ** 64;
/** A period beyond 2^53 is not an exact number, and no counter reaches it. */
const MAX_PERIOD = 2 ** 53;
/** Callchain depth up to which each event remembers its last frame lines. */
const FRAME_CACHE_DEPTH = 64;
/** Events compared in place before a name is sliced and looked up. */
const RECENT_EVENTS = 8;
const tokenStart = new Int32Array(MAX_TOKENS + 2);
const tokenEnd = new Int32Array(MAX_TOKENS + 2);

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The decimal value of `text[start, end)` (digits only), or -1. */
function digitsValue(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Reads the token `k` as `pid/tid` or `tid` into `h`; false when it is neither. */
function readTid(text: string, k: number, h: SampleHead): boolean {
  return readTidAt(text, tokenStart[k], tokenEnd[k], h);
}

/** Reads `text[s, e)` as `pid/tid` or `tid` into `h` (one pass); false when it is neither. */
function readTidAt(text: string, s: number, e: number, h: SampleHead): boolean {
  if (e <= s || e - s > 31) return false;
  let v = 0;
  let pid = -1;
  let digits = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c === 47 /* / */ && pid < 0 && digits > 0) {
      pid = v;
      v = 0;
      digits = 0;
    } else return false;
  }
  if (digits === 0) return false;
  if (pid >= 0) h.pid = pid;
  h.tid = v;
  return true;
}

function isCpuToken(text: string, k: number): boolean {
  const s = tokenStart[k];
  const e = tokenEnd[k];
  return e - s >= 3 && text.charCodeAt(s) === 91 /* [ */ && text.charCodeAt(e - 1) === 93 /* ] */ && digitsValue(text, s + 1, e - 1) >= 0;
}

function isDigitsToken(text: string, k: number): boolean {
  return digitsValue(text, tokenStart[k], tokenEnd[k]) >= 0;
}

const scratchHead: SampleHead = { commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: NO_TIME, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 };

function isTidToken(text: string, k: number): boolean {
  return readTidAt(text, tokenStart[k], tokenEnd[k], scratchHead);
}

/**
 * Reads `secs.frac:` in `text[s, e)` (e includes the colon) into ns, or
 * returns -1 when the token is not a time. See the top of the file for the
 * fraction's digit count.
 */
function timeToken(text: string, s: number, e: number): number {
  const colon = e - 1;
  let dot = s;
  while (dot < colon && isDigit(text.charCodeAt(dot))) dot++;
  if (dot === s || dot >= colon - 1 || text.charCodeAt(dot) !== 46 /* . */) return -1;
  let secs = 0;
  for (let i = s; i < dot; i++) secs = secs * 10 + (text.charCodeAt(i) - 48);
  let frac = 0;
  let digits = 0;
  for (let i = dot + 1; i < colon; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    if (digits < 9) {
      frac = frac * 10 + d;
      digits++;
    }
  }
  let ns: number;
  if (digits <= 6) ns = frac * 1000; // µs (zero-padded by perf, not by old simpleperf)
  else ns = frac * 10 ** (9 - digits);
  return secs * 1e9 + ns;
}

/** The start of the blank-delimited token that ends at `end` (exclusive). */
function tokenStartBefore(text: string, end: number): number {
  // A short loop: lastIndexOf('\t') would scan to the line's start when there is no TAB.
  let s = end;
  while (s > 0 && !isBlank(text.charCodeAt(s - 1))) s--;
  return s;
}

/**
 * The usual sample line, read from its first `:`: when that colon ends the
 * time token (`… <secs>.<frac>: …`), the fields around it are found with
 * native searches (indexOf, lastIndexOf) and short scans instead of
 * tokenizing the whole line — JS character loops cost several ns per
 * character, and sample lines are a third of a callchain file. Returns false
 * when the line is not of that shape (the general scanner then decides).
 */
function scanSampleHeadFast(text: string, h: SampleHead): boolean {
  const n = text.length;
  const colon = text.indexOf(':');
  if (colon < 3 || (colon + 1 < n && !isBlank(text.charCodeAt(colon + 1)))) return false;
  // The time, read backwards: fraction digits, '.', seconds digits.
  let j = colon - 1;
  let frac = 0;
  let scale = 1;
  let fracDigits = 0;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57; c = text.charCodeAt(--j)) {
    frac += (c - 48) * scale;
    scale *= 10;
    fracDigits++;
  }
  if (fracDigits === 0 || j < 1 || text.charCodeAt(j) !== 46 /* . */) return false;
  let t = j - 1;
  let secs = 0;
  scale = 1;
  for (let c = text.charCodeAt(t); c >= 48 && c <= 57; c = text.charCodeAt(--t)) {
    secs += (c - 48) * scale;
    scale *= 10;
  }
  if (t === j - 1 || (t >= 0 && !isBlank(text.charCodeAt(t)))) return false;
  if (fracDigits > 9) return false; // rare: the general scanner truncates it
  h.timeNs = secs * 1e9 + (fracDigits <= 6 ? frac * 1000 : frac * 10 ** (9 - fracDigits));
  h.pid = -1;
  h.tid = -1;
  h.period = NaN;
  // Backwards from the time: [cpu] tid, then comm.
  let end = t + 1;
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 93 /* ] */) {
    const open = text.lastIndexOf('[', end - 1);
    if (open >= 0 && digitsValue(text, open + 1, end - 1) >= 0 && (open === 0 || isBlank(text.charCodeAt(open - 1)))) {
      end = open;
      while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
    }
  }
  if (end > 0) {
    const s = tokenStartBefore(text, end);
    if (readTidAt(text, s, end, h)) {
      end = s;
      while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
    }
  }
  let commStart = 0;
  while (commStart < end && isBlank(text.charCodeAt(commStart))) commStart++;
  h.commStart = commStart;
  h.commEnd = end;
  // Forwards: [period] event; the event ends at the first ':' followed by a blank or the end.
  let i = colon + 1;
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  let eventStart = i;
  let c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) {
    let period = 0;
    for (; c >= 48 && c <= 57; c = text.charCodeAt(++i)) period = period * 10 + (c - 48);
    if (i < n && isBlank(c)) {
      h.period = period;
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      eventStart = i;
    } else i = eventStart; // an event name that starts with a digit
  }
  let e = text.indexOf(':', eventStart);
  while (e >= 0 && e + 1 < n && !isBlank(text.charCodeAt(e + 1))) e = text.indexOf(':', e + 1);
  if (e <= eventStart) return false;
  // The event is one token (a TAB inside it is left to the general scanner's tokens: not seen in real files).
  const blank = text.indexOf(' ', eventStart);
  if (blank >= 0 && blank < e) return false;
  h.eventStart = eventStart;
  h.eventEnd = e;
  h.payloadStart = e + 1;
  return true;
}

/** Scans a sample line; false when the line is not one. */
function scanSampleHead(text: string, h: SampleHead): boolean {
  return scanSampleHeadFast(text, h) || scanSampleHeadTokens(text, h);
}

/**
 * The general scanner of a sample line (the grammar at the top of the file,
 * token by token); {@link scanSampleHeadFast} must agree with it on every
 * line it accepts.
 */
function scanSampleHeadTokens(text: string, h: SampleHead): boolean {
  const n = text.length;
  let count = 0;
  let i = 0;
  let colonToken = -1;
  while (count < MAX_TOKENS) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && !isBlank(text.charCodeAt(i))) i++;
    tokenStart[count] = s;
    tokenEnd[count] = i;
    count++;
    if (i - s >= 2 && text.charCodeAt(i - 1) === 58 /* : */) {
      colonToken = count - 1;
      break;
    }
  }
  if (colonToken < 0) return false;
  h.pid = -1;
  h.tid = -1;
  h.period = NaN;
  let k: number;
  let event: number;
  const time = timeToken(text, tokenStart[colonToken], tokenEnd[colonToken]);
  if (time >= 0) {
    h.timeNs = time;
    k = colonToken - 1;
    // Forwards: [period] event.
    let next = colonToken + 1;
    for (let t = 0; t < 2; t++) {
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      if (i >= n) return false;
      const s = i;
      while (i < n && !isBlank(text.charCodeAt(i))) i++;
      tokenStart[next] = s;
      tokenEnd[next] = i;
      if (i - s >= 2 && text.charCodeAt(i - 1) === 58) break;
      if (t === 1 || !isDigitsToken(text, next)) return false;
      h.period = digitsValue(text, s, i);
      next++;
    }
    event = next;
  } else {
    h.timeNs = NO_TIME;
    event = colonToken;
    k = colonToken - 1;
    // [period] just before the event, when what precedes it is a tid or a cpu.
    if (k >= 1 && isDigitsToken(text, k) && (isTidToken(text, k - 1) || isCpuToken(text, k - 1))) {
      h.period = digitsValue(text, tokenStart[k], tokenEnd[k]);
      k--;
    }
  }
  if (k >= 0 && isCpuToken(text, k)) k--;
  if (k >= 0 && readTid(text, k, h)) k--;
  else if (time < 0) return false;
  // Without a time, a comm and a tid are what make this a sample line.
  if (time < 0 && k < 0) return false;
  h.commStart = k >= 0 ? tokenStart[0] : 0;
  h.commEnd = k >= 0 ? tokenEnd[k] : 0;
  h.eventStart = tokenStart[event];
  h.eventEnd = tokenEnd[event] - 1;
  h.payloadStart = tokenEnd[event];
  return true;
}

/**
 * The two scanners of one line grammar, for the test that checks they agree
 * (packages/parser/test/perf-scanners.test.ts): `fast` may decline a line,
 * but what it accepts, `tokens` must read the same.
 */
export const SAMPLE_HEAD_SCANNERS = { fast: scanSampleHeadFast, tokens: scanSampleHeadTokens } as const;

/** Per thread: its builder index, comm, and open allocator call. */
class PerfThread extends ThreadCalls {
  constructor(
    readonly index: number,
    public comm: string,
  ) {
    super();
  }
}

/** A `-F +srcline` line: indented, one token, ending in `:<line>` (`  malloc.c:3281`, `  ??:0`). */
function isSrcline(text: string): boolean {
  const n = text.length;
  if (n < 4 || !isBlank(text.charCodeAt(0))) return false;
  let i = 0;
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  const colon = text.lastIndexOf(':');
  if (colon <= i || colon === n - 1) return false;
  for (let k = colon + 1; k < n; k++) if (!isDigit(text.charCodeAt(k))) return false;
  for (let k = i; k < colon; k++) if (isBlank(text.charCodeAt(k))) return false;
  return true;
}

/** `# event : name = …` lines of `perf script --header`. */
const HEADER_EVENT = /^#\s*event\s*:\s*name\s*=\s*([^,\s]+)/;

/**
 * The reader's state machine, one line at a time (a method called per line
 * is optimized early by V8; see jemalloc.ts).
 */
class PerfScriptReader {
  private readonly frames: PerfFrames;
  private readonly events: PerfEvents;
  private readonly threads = new Map<number, PerfThread>();
  private readonly threadsByComm = new Map<string, PerfThread>();
  private readonly head: SampleHead = { commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: NO_TIME, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 };
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
  private lastPid = -1;
  private pids = 0;
  records = 0;
  hasTimestamps = false;
  hasStacks = false;
  /** Every frame line of the open record so far hit its event's per-depth cache. */
  private sameFrames = true;
  private srclines = 0;
  private srclineLine = 0;
  private readonly recentEvents: PerfEvent[] = [];
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
  /** Records left without a stack: of allocation/free events, and of other events (which count only in a file of samples). */
  private stackless = 0;
  private stacklessLine = 0;
  private stacklessOther = 0;
  private stacklessOtherLine = 0;
  private readonly timeOrder = new TimeOrder();

  constructor(
    private readonly ctx: ParseContext,
    private readonly builder: ProfileBuilder,
    private readonly sink: TraceSink,
  ) {
    this.frames = new PerfFrames(builder, ctx.options.keepBadFrames !== true);
    this.events = new PerfEvents(ctx, sink, perfEventOptions(ctx.options));
  }

  line(text: string, lineNo: number): void {
    const n = text.length;
    // Frame and sample lines end in a non-blank character: only a line that
    // does not can be blank (whitespace only), so only such lines are scanned.
    if (n === 0 || isBlank(text.charCodeAt(n - 1))) {
      let i = 0;
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      if (i === n) {
        if (this.inRecord) this.endRecord();
        this.skipping = false;
        return;
      }
    }
    if (this.inRecord && this.cutFrom >= 0) {
      // Above a cut: counted, never made into locations.
      if (this.frames.isFrame(text)) {
        this.cutFrames++;
        return;
      }
    } else if (this.inRecord) {
      const event = this.recordEvent!;
      const depth = this.frameCount;
      let code: number;
      if (depth < event.lastFrames.length && event.lastFrames[depth] === text) code = event.lastCodes[depth];
      else {
        this.sameFrames = false;
        code = this.frames.frame(text);
        if (code !== NOT_A_FRAME && depth < FRAME_CACHE_DEPTH) {
          event.lastFrames[depth] = text;
          event.lastCodes[depth] = code;
        }
      }
      if (code === BAD_FRAME) {
        this.cut();
        return;
      }
      if (code !== NOT_A_FRAME) {
        this.pushFrame(code);
        return;
      }
    }
    if (this.inRecord) {
      if (isSrcline(text)) {
        // `-F +srcline` prints the frame's source line under it; perf's symbols stay the frames' names.
        if (this.srclines++ === 0) this.srclineLine = lineNo;
        return;
      }
    } else if (this.skipping && this.frames.frame(text) !== NOT_A_FRAME) return;
    if (text.charCodeAt(0) === 35 /* # */ && !this.inRecord) {
      if (!this.sawSample) {
        const m = HEADER_EVENT.exec(text);
        if (m) this.headerEvents.push(m[1]);
      }
      return;
    }
    this.sampleLine(text, lineNo);
  }

  /** The event named by `text[start, end)`: recent events are compared in place, without slicing. */
  private eventAt(text: string, start: number, end: number, lineNo: number): PerfEvent {
    const recent = this.recentEvents;
    const length = end - start;
    for (let k = 0; k < recent.length; k++) {
      const e = recent[k];
      if (e.name.length === length && text.startsWith(e.name, start)) return e;
    }
    const event = this.events.event(text.slice(start, end), lineNo);
    if (recent.length < RECENT_EVENTS) recent.push(event);
    else recent[this.recentNext++ % RECENT_EVENTS] = event;
    return event;
  }

  /** The open record's stack ends here: the frame just read is outside every executable mapping (bad-frames.ts). */
  private cut(): void {
    this.cutFrom = this.frameCount;
    if (this.cutFrames++ === 0) this.cutLine = this.recordLine;
    this.cutRecords++;
  }

  private pushFrame(code: number): void {
    if (this.frameCount === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    this.codes[this.frameCount++] = code;
    if (isInlinedCode(code)) this.hasInlined = true;
  }

  private sampleLine(text: string, lineNo: number): void {
    const h = this.head;
    if (!scanSampleHead(text, h)) {
      const side = text.indexOf(' PERF_RECORD_');
      if (side >= 0) {
        this.sideband(text, side + 1, lineNo);
        return;
      }
      this.fail(lineNo, this.inRecord ? 'expected a callchain frame "<ip> <symbol> (<dso>)" or a sample line' : 'expected a sample line "<comm> <tid> [<cpu>] <time>: <event>: …"', text);
      return;
    }
    if (this.inRecord) this.endRecord();
    this.cutFrom = -1;
    if (h.timeNs > MAX_TIME_NS || h.period > MAX_PERIOD) {
      this.fail(lineNo, h.timeNs > MAX_TIME_NS ? 'timestamp beyond 2^64 ns' : 'period beyond 2^53', text);
      return;
    }
    const event = this.eventAt(text, h.eventStart, h.eventEnd, lineNo);
    const known = event.role === Role.alloc || event.role === Role.free;
    let ok = true;
    let trailing = -1;
    if (known) {
      ok = this.args.scan(text, h.payloadStart);
      if (ok && this.args.rest >= 0) {
        trailing = this.frames.frameAt(text, this.args.rest);
        if (trailing === NOT_A_FRAME) ok = false;
      }
    } else if (event.role === Role.unknown) {
      // Hardware events without -g print their frame as the payload.
      let p = h.payloadStart;
      while (p < text.length && isBlank(text.charCodeAt(p))) p++;
      if (p < text.length) trailing = this.frames.frameAt(text, p);
    }
    if (!ok) {
      this.fail(lineNo, `unexpected payload for "${event.name}" (expected "(<ip>) name=value …")`, text);
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
    if (h.timeNs !== NO_TIME) this.hasTimestamps = true;
    this.timeOrder.see(h.timeNs, lineNo);
    this.recordKnown = false;
    this.recordHasIp = known && this.args.hasIp;
    this.recordIpHi = this.args.ipHi;
    this.recordIpLo = this.args.ipLo;
    if (event.role === Role.sideband) return; // perf's own records: no thread of the program, no frames
    const thread = this.thread(text, h);
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
      this.recordKnown = this.events.extract(event, this.args, text, rec) || event.role === Role.alloc;
    }
    this.sameFrames = trailing === NOT_A_FRAME;
    if (trailing === BAD_FRAME) this.cut();
    else if (trailing !== NOT_A_FRAME) this.pushFrame(trailing);
    if (h.pid >= 0 && h.pid !== this.lastPid) {
      if (this.lastPid >= 0) this.pids++;
      this.lastPid = h.pid;
    }
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

  /** The thread of a sample line (new, or renamed when its comm changed). */
  private thread(text: string, h: SampleHead): PerfThread {
    const commLength = h.commEnd - h.commStart;
    let t = h.tid >= 0 ? this.threads.get(h.tid) : this.threadsByComm.get(text.slice(h.commStart, h.commEnd));
    if (t !== undefined && t.comm.length === commLength && text.startsWith(t.comm, h.commStart)) return t;
    const comm = text.slice(h.commStart, h.commEnd);
    const key = h.tid >= 0 ? String(h.tid) : `comm:${comm}`;
    const index = this.builder.thread(key, comm);
    if (t === undefined) {
      t = new PerfThread(index, comm);
      if (h.tid >= 0) this.threads.set(h.tid, t);
      else this.threadsByComm.set(comm, t);
    } else t.comm = comm; // exec or prctl(PR_SET_NAME): same thread, new comm
    return t;
  }

  /** Closes the open record: its stack, then its meaning. */
  private endRecord(): void {
    this.inRecord = false;
    let count = this.frameCount;
    if (this.hasInlined) count = this.frames.resolve(this.codes, count);
    const event = this.recordEvent!;
    if (count === 0 && this.cutFrom < 0) count = this.ownAddress(event);
    let stack = EMPTY_STACK;
    if (count > 0) {
      // Every frame line was the one at the same depth in the event's last record: same stack.
      if (this.sameFrames && count === event.lastCount && !this.hasInlined) stack = event.lastStack;
      else {
        stack = this.builder.internStack(this.codes, count);
        event.lastStack = stack;
        event.lastCount = this.sameFrames || count <= FRAME_CACHE_DEPTH ? count : -1;
      }
      this.hasStacks = true;
    }
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
      ctx.warn(
        'records without a callchain (recorded without -g?): each stack is the record\'s own address, as perf report attributes it (an entry probe\'s function, or a return probe\'s return address in the caller)',
        this.ipStackLine,
        this.ipStacks,
      );
    }
    // Records of other events count only in a file of samples (else they are skipped, and said so above).
    const [stackless, stacklessLine] = allocatorEvents ? [this.stackless, this.stacklessLine] : [this.stacklessOther, this.stacklessOtherLine];
    if (stackless > 0) ctx.warn('records with neither a callchain nor an address are counted without a stack', stacklessLine, stackless);
    warnCutFrames(ctx, this.cutFrames, this.cutRecords, this.cutLine);
    this.timeOrder.report(ctx);
    if (this.srclines > 0) {
      ctx.warn('source lines under frames (perf script -F +srcline) are not used: frames are named by their symbols', this.srclineLine, this.srclines);
    }
    if (this.records === 0) ctx.warn('the input has no records');
    if (this.pids > 0 && allocatorEvents) {
      ctx.warn('the records come from more than one process: their pointers are not told apart (record one process, or split the output with perf script --pid)');
    }
    const meta = this.builder.meta;
    if (this.lastPid >= 0 && this.pids === 0) meta.pid = this.lastPid;
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

/** Whether `head` holds perf script output: a `# ========` header, or a first record that reads as one. */
function sniffPerfScript(head: Head): number {
  if (head.firstLine.startsWith('# ========')) return 0.9;
  const lines = head.text.split('\n', 200);
  const h: SampleHead = { commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: NO_TIME, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    // Side-band records (--show-mmap-events, --show-task-events) are perf's too.
    if (/^\s*\S.*\s\d+\.\d+: PERF_RECORD_[A-Z0-9_]+/.test(line)) return 0.8;
    if (!scanSampleHead(line, h)) return 0;
    if (h.timeNs !== NO_TIME) return 0.8;
    // No time: believe it when a frame follows.
    const next = (lines[i + 1] ?? '').trim();
    return /^[0-9a-fA-F]+\s+\S.*\)$/.test(next) ? 0.6 : 0;
  }
  return 0;
}

/** The `perf-script` importer: perf script text of malloc/free uprobes (an event trace), or CPU samples as stacks. */
export const perfScriptImporter: TraceImporter = {
  id: 'perf-script',
  kind: 'trace',
  description: 'perf script text: malloc/calloc/realloc/free uprobe records (perf probe + perf record), or CPU samples as stacks',

  sniff: sniffPerfScript,

  async parse(input: Input, ctx: ParseContext, builder: ProfileBuilder, sink: TraceSink): Promise<PerfScriptFacts> {
    const reader = new PerfScriptReader(ctx, builder, sink);
    const lines = ctx.lines(input);
    for await (const { lines: batch, firstLine } of lines) {
      for (let i = 0; i < batch.length; i++) reader.line(batch[i], firstLine + i);
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    if (lines.cutLine > 0) reader.dropCutRecord();
    return reader.finish();
  },
};
