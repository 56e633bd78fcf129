/**
 * jemalloc threaded heap profiles (`heap_v2`), jemalloc ≥ 4.0.
 *
 * Producer: jemalloc's heap profiler — `prof.dump`, `prof_final`,
 * `lg_prof_interval`, `prof_gdump` (src/prof_data.c `prof_dump_header`,
 * `prof_dump_gctx`, `prof_tctx_dump_iter`; maps from src/prof_sys.c).
 * Format documented in jemalloc's doc/jemalloc.xml.in, "HEAP PROFILE FORMAT";
 * facts in FORMATS.md §3. A real excerpt (jemalloc 5.3.0, Linux x86-64):
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
import { scaleFactor } from './unsample.js';
import { parseDumpName } from './dump-name.js';
import { dropEmptyAllocTypes } from './heap-types.js';

const HEADER = /^heap_v2\/(\d+)\s*$/;
const COUNTS = /^\s*t(\*|\d+):\s*(-?\d+):\s*(-?\d+)\s*\[\s*(-?\d+):\s*(-?\d+)\s*\](?:[ \t](.*))?$/;

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
    const name = parseDumpName(input.name);
    const sampling: Sampling = { model: 'poisson', periodBytes: 0 };
    const builder = new ProfileBuilder({
      sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
      defaultSampleType: INUSE_SPACE.type,
      labels: [{ key: 'bytes', unit: 'bytes' }],
      maxStacks: ctx.options.maxStacks,
      meta: {
        format: 'jemalloc',
        variant: 'heap_v2',
        file: input.name,
        pid: name.pid,
        dumpSeq: name.seq,
        dumpKind: name.kind,
        sampling,
        sizeKind: 'average-usable',
        returnAddresses: true,
        warnings: [],
      },
    });
    const maps = new MapsReader(ctx);
    const frames: number[] = [];
    const values = new Float64Array(4);
    const labels = new Float64Array(1);

    let inMaps = false;
    let stack = -1; // current stack, -1 before the first `@`
    let stackLine = 0;
    let total: Row | undefined; // the current stack's t* row
    let threadRows: Row[] = [];

    const emit = (row: Row, scaleInuse: number, scaleAlloc: number, avg: number) => {
      values[0] = row.allocCount * scaleAlloc;
      values[1] = row.allocBytes * scaleAlloc;
      values[2] = row.inuseCount * scaleInuse;
      values[3] = row.inuseBytes * scaleInuse;
      labels[0] = avg;
      builder.addSample(stack, row.thread, values, labels);
    };

    const flush = () => {
      if (stack < 0) return;
      if (!total) {
        ctx.malformed(stackLine, 'stack has no "t*:" totals line');
        threadRows = [];
        return;
      }
      const t = total;
      const scaleInuse = scaleFactor(sampling, t.inuseCount, t.inuseBytes);
      const scaleAlloc = scaleFactor(sampling, t.allocCount, t.allocBytes);
      const avg = t.inuseCount !== 0 ? t.inuseBytes / t.inuseCount : t.allocCount !== 0 ? t.allocBytes / t.allocCount : NaN;
      // What the thread rows do not account for stays unattributed.
      const rest: Row = { ...t, thread: -1 };
      for (const row of threadRows) {
        emit(row, scaleInuse, scaleAlloc, avg);
        rest.inuseCount -= row.inuseCount;
        rest.inuseBytes -= row.inuseBytes;
        rest.allocCount -= row.allocCount;
        rest.allocBytes -= row.allocBytes;
      }
      if (threadRows.length === 0 || rest.inuseCount || rest.inuseBytes || rest.allocCount || rest.allocBytes) {
        emit(rest, scaleInuse, scaleAlloc, avg);
      }
      total = undefined;
      threadRows = [];
    };

    const lines = input.lines();
    for await (const { lines: batch, firstLine } of lines) {
      for (let i = 0; i < batch.length; i++) {
        const line = batch[i];
        const lineNo = firstLine + i;
        if (inMaps) {
          maps.line(line, lineNo);
          continue;
        }
        if (lineNo === 1) {
          const m = HEADER.exec(line);
          const period = m ? Number(m[1]) : 0;
          if (!(period >= 1)) {
            ctx.malformed(1, 'expected "heap_v2/<sampling period>" on the first line', line);
            sampling.periodBytes = 1;
          } else sampling.periodBytes = period;
          continue;
        }
        const first = line.charCodeAt(0);
        if (first === 64 /* @ */) {
          flush();
          stackLine = lineNo;
          frames.length = 0;
          let ok = true;
          for (const token of line.slice(1).split(' ')) {
            if (token === '') continue;
            const hex = token.startsWith('0x') ? 2 : 0;
            const loc = builder.locationForHex(token, hex);
            if (loc < 0) {
              ok = false;
              break;
            }
            frames.push(loc);
          }
          if (!ok) {
            ctx.malformed(lineNo, 'expected hexadecimal addresses after "@"', line);
            stack = -1;
            continue;
          }
          stack = builder.internStack(frames);
          continue;
        }
        const m = COUNTS.exec(line);
        if (m) {
          const row = readRow(m, ctx, lineNo, line);
          if (!row) continue;
          if (m[1] === '*') {
            // The header's t* is not checked against the stacks: real dumps
            // (jemalloc ≥ 5.3 unbiases each row separately) do not add up.
            if (stack >= 0) {
              if (total) ctx.malformed(lineNo, 'second "t*:" line for one stack', line);
              else total = row;
            }
            continue;
          }
          row.thread = builder.thread(`t${m[1]}`, stack < 0 && stackLine === 0 ? (m[6] ?? '').trim() : '');
          if (stack >= 0) threadRows.push(row);
          continue;
        }
        if (line.trim() === '') continue;
        if (line.startsWith('MAPPED_LIBRARIES:') || line.startsWith('--- Memory map:')) {
          flush();
          stack = -1;
          inMaps = true;
          continue;
        }
        ctx.malformed(lineNo, 'expected "@ <addresses>", "t<thread>: <count>: <bytes> [<count>: <bytes>]" or "MAPPED_LIBRARIES:"', line);
      }
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    if (stack >= 0 && !total) {
      ctx.warn('the dump ends inside a stack record (truncated dump?); its counts are missing', stackLine);
      stack = -1;
    }
    flush();
    for (const mapping of maps.mappings) builder.addMapping(mapping);
    builder.meta.warnings = ctx.warningList();
    return dropEmptyAllocTypes(builder.finish());
  },
};

/** Reads the four counts of a `t…:` line; reports and returns undefined when one is unusable. */
function readRow(m: RegExpExecArray, ctx: ParseContext, lineNo: number, line: string): Row | undefined {
  const row: Row = {
    thread: -1,
    inuseCount: Number(m[2]),
    inuseBytes: Number(m[3]),
    allocCount: Number(m[4]),
    allocBytes: Number(m[5]),
  };
  for (const v of [row.inuseCount, row.inuseBytes, row.allocCount, row.allocBytes]) {
    if (!Number.isSafeInteger(v) || v < 0) {
      ctx.malformed(lineNo, v < 0 ? 'negative count' : 'count exceeds 2^53', line);
      return undefined;
    }
  }
  return row;
}
