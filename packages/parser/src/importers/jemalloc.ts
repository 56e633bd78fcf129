/**
 * jemalloc threaded heap profiles (`heap_v2`), jemalloc ≥ 4.0.
 *
 * Producer: jemalloc's heap profiler — `prof.dump`, `prof_final`,
 * `lg_prof_interval`, `prof_gdump` (src/prof_data.c `prof_dump_header`,
 * `prof_dump_gctx`, `prof_tctx_dump_iter`; maps from src/prof_sys.c).
 * Format documented in jemalloc's doc/jemalloc.xml.in, "HEAP PROFILE FORMAT";
 * facts in docs/formats.md#jemalloc. A real excerpt (jemalloc 5.3.0, Linux x86-64):
 *
 *   heap_v2/1
 *     t*: 504: 5206096 [1004: 10326096]
 *     t0: 504: 5206096 [1004: 10326096]
 *   @ 0x7fcaae0a2630 0x7fcaae0a2d21 0x7fcaae095f24 0x7fcaae022045 0x55a791ad7172 ...
 *     t*: 500: 5120000 [1000: 10240000]
 *     t0: 500: 5120000 [1000: 10240000]
 *
 *   MAPPED_LIBRARIES:
 *   55a791ad6000-55a791ad7000 r--p 00000000 08:01 1234   /path/to/app
 *
 * Quirks handled here:
 * - `t*` is the sum over threads; totals come from it only, unsampled per row
 *   exactly as jeprof does. Per-thread rows split that row's scaled values in
 *   proportion to their raw counts (so threads always add up to `t*`).
 * - Header `t<uid>` lines are per-thread totals and may end with a thread
 *   name containing spaces; `<uid>` is jemalloc's thread counter, not a tid.
 * - `[accumobjs: accumbytes]` is always `[0: 0]` without `prof_accum`: the
 *   alloc sample types are then left out, as pprof does.
 * - A bare `@` is a zero-frame stack. (jeprof credits its counts to the
 *   previous stack; heapscope keeps them on the empty stack.)
 * - The maps section may be absent (jemalloc ≤ 5.3.0 on macOS) or in the
 *   macOS dyld form.
 * - Sizes are usable size classes, not requested sizes.
 * - jemalloc 3.x wrote the gperftools layout instead; see gperftools.ts.
 */
import type { Head, ParseContext, SnapshotImporter } from './importer.js';
import type { Input } from '../input/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, type Sampling } from '../model/profile.js';
import { MapsReader } from './maps.js';
import { MAX_PERIOD_BYTES, scaleFactor, unsampleProblem } from './unsample.js';
import { parseDumpName } from './dump-name.js';
import { dropEmptyAllocTypes } from './heap-types.js';
import { cutFramesOutsideCode } from './bad-frames.js';
import { StackLineReader, expectedStacksOfDump } from './hex-frames.js';
import { scanCountPair, skipBlanks, type CountPair } from './count-pair.js';
import type { ByteLineCursor } from '../input/lines.js';

const HEADER = /^heap_v2\/(\d+)\s*$/;

/** Raw counts of one `t…:` line. */
interface Row {
  thread: number;
  inuseCount: number;
  inuseBytes: number;
  allocCount: number;
  allocBytes: number;
}

export const jemallocImporter: SnapshotImporter = {
  id: 'jemalloc',
  kind: 'snapshot',
  description: 'jemalloc heap_v2 profile (prof.dump, prof_final, jeprof.<pid>.<seq>.<kind>.heap)',

  sniff(head: Head): number {
    return HEADER.test(head.firstLine) ? 1 : 0;
  },

  async parse(input: Input, ctx: ParseContext) {
    const reader = new JemallocReader(input.name, ctx, input.sizeBytes);
    const lines = ctx.lines(input);
    // `@` and `t…:` lines are scanned as bytes; others are decoded (see ByteLineCursor).
    for await (const cursor of lines.bytes()) {
      while (cursor.advance()) reader.line(cursor);
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    return reader.finish();
  },
};

/**
 * The reader's state machine, one line at a time. (A method called per line
 * is optimized by V8 after a few thousand lines; one long loop inside an
 * async function waits for on-stack replacement and stays slow for longer.)
 */
class JemallocReader {
  private readonly sampling: Sampling = { model: 'poisson', periodBytes: 0 };
  private readonly builder: ProfileBuilder;
  private readonly maps: MapsReader;
  private readonly stackLines: StackLineReader;
  private readonly counts: CountLine = { thread: '', n1: 0, s1: 0, n2: 0, s2: 0, nameStart: 0, pos: 0 };
  private readonly values = new Float64Array(4);
  private readonly labels = new Float64Array(1);
  private inMaps = false;
  private sawHeader = false;
  /** The current stack, -1 before the first `@` (or after a malformed one). */
  private stack = -1;
  private stackLine = 0;
  /** The current stack's t* row. */
  private total: Row | undefined;
  private threadRows: Row[] = [];
  /** Per thread, the line of the last stack record that had a row of it (see {@link line}). */
  private readonly stackOfThread: number[] = [];

  constructor(
    file: string,
    private readonly ctx: ParseContext,
    sizeBytes: number | undefined,
  ) {
    const name = parseDumpName(file);
    this.builder = new ProfileBuilder({
      sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
      defaultSampleType: INUSE_SPACE.type,
      labels: [{ key: 'bytes', unit: 'bytes' }],
      maxStacks: ctx.options.maxStacks,
      maxSamples: ctx.options.maxSamples,
      expectedStacks: expectedStacksOfDump(sizeBytes),
      meta: {
        format: 'jemalloc',
        variant: 'heap_v2',
        file,
        pid: name.pid,
        dumpSeq: name.seq,
        dumpKind: name.kind,
        sampling: this.sampling,
        sizeKind: 'average-usable',
        returnAddresses: true,
        warnings: [],
      },
    });
    this.maps = new MapsReader(ctx, (text) => HEADER.test(text));
    this.stackLines = new StackLineReader(this.builder);
  }

  line(cursor: ByteLineCursor): void {
    const { lineNo, bytes, start, end } = cursor;
    if (this.inMaps) {
      this.maps.line(cursor.text(), lineNo);
      return;
    }
    if (!this.sawHeader) {
      const line = cursor.text();
      // Blank lines before the header: detection skips them too.
      if (line.trim() === '') return;
      this.sawHeader = true;
      const m = HEADER.exec(line);
      const period = m ? Number(m[1]) : 0;
      if (!(period >= 1)) {
        this.ctx.malformed(lineNo, 'expected "heap_v2/<sampling period>" on the first line', line);
        this.sampling.periodBytes = 1;
      } else if (period > MAX_PERIOD_BYTES) {
        this.ctx.malformed(lineNo, 'the sampling period exceeds 2^53', line);
        this.sampling.periodBytes = 1;
      } else this.sampling.periodBytes = period;
      return;
    }
    if (start < end && bytes[start] === 64 /* @ */) {
      this.flush();
      this.stackLine = lineNo;
      this.stack = this.stackLines.read(bytes, start + 1, end);
      if (this.stack < 0 || this.stackLines.problem.nil > 0) {
        this.ctx.malformed(lineNo, 'expected hexadecimal addresses after "@"', cursor.text());
        this.stack = -1;
      }
      return;
    }
    const counts = this.counts;
    if (scanCounts(bytes, start, end, counts)) {
      // Text after the counts (a thread name) is decoded, which checks it is UTF-8.
      const name = counts.nameStart < end ? cursor.text(counts.nameStart).trim() : '';
      const row = checkRow(counts, this.ctx, lineNo, cursor);
      if (!row) return;
      if (counts.thread === '*') {
        // The header's t* is not checked against the stacks: real dumps
        // (jemalloc ≥ 5.3 unbiases each row separately) do not add up.
        if (this.stack >= 0) {
          if (this.total) this.ctx.malformed(lineNo, 'second "t*:" line for one stack', cursor.text());
          else if (this.unsamplable(row, lineNo, cursor)) this.stack = -1;
          else this.total = row;
        }
        return;
      }
      const header = this.stack < 0 && this.stackLine === 0;
      row.thread = this.builder.thread(`t${counts.thread}`, header ? name : '');
      if (this.stack >= 0) {
        // jemalloc writes each thread once per stack: a repeat (a line
        // written twice) would be summed into that thread and taken from
        // the unattributed rest, with no sign of it.
        if (this.stackOfThread[row.thread] === this.stackLine) {
          this.ctx.malformed(lineNo, `second "t${counts.thread}:" line for one stack`, cursor.text());
          return;
        }
        this.stackOfThread[row.thread] = this.stackLine;
        this.threadRows.push(row);
      }
      return;
    }
    const line = cursor.text();
    if (line.trim() === '') return;
    if (line.startsWith('MAPPED_LIBRARIES:') || line.startsWith('--- Memory map:')) {
      this.flush();
      this.stack = -1;
      this.inMaps = true;
      return;
    }
    this.ctx.malformed(lineNo, 'expected "@ <addresses>", "t<thread>: <count>: <bytes> [<count>: <bytes>]" or "MAPPED_LIBRARIES:"', line);
  }

  /** Whether the stack's t* row cannot be unsampled (reported; the stack is then skipped). */
  private unsamplable(row: Row, lineNo: number, cursor: ByteLineCursor): boolean {
    const problem = unsampleProblem(this.sampling, row.inuseCount, row.inuseBytes) ?? unsampleProblem(this.sampling, row.allocCount, row.allocBytes);
    if (problem !== undefined) this.ctx.malformed(lineNo, problem, cursor.text());
    return problem !== undefined;
  }

  private emit(row: Row, scaleInuse: number, scaleAlloc: number, avg: number): void {
    const values = this.values;
    values[0] = row.allocCount * scaleAlloc;
    values[1] = row.allocBytes * scaleAlloc;
    values[2] = row.inuseCount * scaleInuse;
    values[3] = row.inuseBytes * scaleInuse;
    this.labels[0] = avg;
    this.builder.addSample(this.stack, row.thread, values, this.labels);
  }

  /** Emits the current stack's samples. */
  private flush(): void {
    if (this.stack < 0) return;
    const t = this.total;
    if (!t) {
      this.ctx.malformed(this.stackLine, 'stack has no "t*:" totals line');
      this.threadRows = [];
      return;
    }
    const scaleInuse = scaleFactor(this.sampling, t.inuseCount, t.inuseBytes);
    const scaleAlloc = scaleFactor(this.sampling, t.allocCount, t.allocBytes);
    const avg = t.inuseCount !== 0 ? t.inuseBytes / t.inuseCount : t.allocCount !== 0 ? t.allocBytes / t.allocCount : NaN;
    // What the thread rows do not account for stays unattributed.
    const rest: Row = { ...t, thread: -1 };
    for (const row of this.threadRows) {
      this.emit(row, scaleInuse, scaleAlloc, avg);
      rest.inuseCount -= row.inuseCount;
      rest.inuseBytes -= row.inuseBytes;
      rest.allocCount -= row.allocCount;
      rest.allocBytes -= row.allocBytes;
    }
    if (this.threadRows.length === 0 || rest.inuseCount || rest.inuseBytes || rest.allocCount || rest.allocBytes) {
      this.emit(rest, scaleInuse, scaleAlloc, avg);
    }
    this.total = undefined;
    this.threadRows = [];
  }

  finish() {
    if (this.stack >= 0 && !this.total) {
      this.ctx.warn('the dump ends inside a stack record (truncated dump?); its counts are missing', this.stackLine);
      this.stack = -1;
    }
    this.flush();
    if (!this.sawHeader) this.ctx.malformed(1, 'expected "heap_v2/<sampling period>" on the first line');
    // jemalloc ends every dump with its maps (prof_dump_maps), except where
    // it cannot open /proc/self/maps. A dump cut between lines shows no
    // other sign: its header and stacks read as whole.
    else if (!this.inMaps) {
      this.ctx.warn('the dump has no MAPPED_LIBRARIES section: it was cut short (truncated?), unless jemalloc could not read /proc/self/maps when it wrote it (macOS, jemalloc ≤ 5.3.0)');
    }
    for (const mapping of this.maps.mappings) this.builder.addMapping(mapping);
    this.builder.meta.warnings = this.ctx.warningList();
    return cutFramesOutsideCode(dropEmptyAllocTypes(this.builder.finish()), this.ctx);
  }
}

/** A `t…:` line as scanned. */
interface CountLine extends CountPair {
  /** `*` or the thread uid. */
  thread: string;
  /** Where the thread name starts (header lines), else the line's length. */
  nameStart: number;
}

/**
 * Scans `[WS] "t" ("*" | uid) ":" <count pair> [(SP|TAB) name]` (negative
 * numbers are scanned, then rejected by {@link checkRow} with a clear
 * message).
 */
function scanCounts(bytes: Uint8Array, start: number, end: number, out: CountLine): boolean {
  let i = skipBlanks(bytes, start, end);
  if (i >= end || bytes[i] !== 116 /* t */) return false;
  const idStart = ++i;
  if (i < end && bytes[i] === 42 /* * */) i++;
  else while (i < end && bytes[i] >= 48 && bytes[i] <= 57) i++;
  if (i === idStart || i >= end || bytes[i] !== 58 /* : */) return false;
  out.thread = threadId(bytes, idStart, i);
  out.pos = i + 1;
  if (!scanCountPair(bytes, end, out)) return false;
  // Read only inside the line: a read past the end of the bytes (a line
  // that ends its chunk) deoptimizes the reader V8 has optimized by then.
  if (out.pos < end && bytes[out.pos] !== 32 && bytes[out.pos] !== 9) return false;
  out.nameStart = Math.min(end, out.pos + 1);
  return true;
}

/** The thread id `*` or digits in `bytes[start, end)` as a string (ASCII). */
function threadId(bytes: Uint8Array, start: number, end: number): string {
  if (end - start === 1) return bytes[start] === 42 ? '*' : String(bytes[start] - 48);
  let id = '';
  for (let i = start; i < end; i++) id += String.fromCharCode(bytes[i]);
  return id;
}

const countOk = (v: number) => Number.isSafeInteger(v) && v >= 0;

/** The counts as a row; reports and returns undefined when one is unusable. */
function checkRow(c: CountLine, ctx: ParseContext, lineNo: number, cursor: ByteLineCursor): Row | undefined {
  // Checked one by one, not over an array: this runs for half a dump's lines.
  const bad = !countOk(c.n1) ? c.n1 : !countOk(c.s1) ? c.s1 : !countOk(c.n2) ? c.n2 : !countOk(c.s2) ? c.s2 : undefined;
  if (bad !== undefined) {
    ctx.malformed(lineNo, bad < 0 ? 'negative count' : 'count exceeds 2^53', cursor.text());
    return undefined;
  }
  return { thread: -1, inuseCount: c.n1, inuseBytes: c.s1, allocCount: c.n2, allocBytes: c.s2 };
}
