/**
 * memray's CSV export (`memray transform csv capture.bin`): Python's memory
 * profiler's allocations at the capture's high-water mark (or, with
 * `--leaks`, at its end), one row per (stack, thread, allocator). A
 * snapshot.
 *
 * Producer: memray ≥ 1.2 (src/memray/reporters/transform.py,
 * `render_as_csv`; the thread name from reporters/common.py
 * `format_thread_name`). The writer is Python's `csv.writer` with its
 * default dialect: commas, fields quoted only when they hold a comma, a
 * quote or a line break (quotes doubled inside), rows ending in CR LF.
 * There is no other specification; facts are in docs/formats.md.
 *
 *   allocator,num_allocations,size,tid,thread_name,stack_trace
 *   MALLOC,3,98304,1,0x1 (MainThread),grow;/tmp/app.py;7|main;/tmp/app.py;12|<module>;/tmp/app.py;15
 *   PYMALLOC_MALLOC,12,4096,2,0x2 (worker),"std::map<int, int>::insert;/usr/include/c++/12/bits/stl_map.h;805|…"
 *
 * (memray could not be installed where this importer was written, so the
 * lines above follow the writer's code rather than a captured file; see
 * docs/formats.md.)
 *
 * The grammar, after the header line:
 *
 *   row     = allocator "," count "," bytes "," tid "," thread-name "," stack ;
 *   stack   = [ frame { "|" frame } ] ;            (* leaf first *)
 *   frame   = function ";" file ";" line ;         (* line: decimal, 0 when unknown *)
 *
 * What it means here:
 * - `num_allocations` and `size` are the live blocks and bytes of the row
 *   at that moment: `inuse_objects` and `inuse_space`. Rows with equal
 *   stack, thread and allocator are summed as they are read (memory
 *   follows distinct rows, never the file's length).
 * - The allocator (MALLOC, CALLOC, REALLOC, PYMALLOC_MALLOC, MMAP, …) is
 *   kept as the numeric label `allocator`: the index of its name in
 *   {@link MEMRAY_ALLOCATORS}.
 * - `tid` is memray's own thread number (1 for the main thread; -1 for
 *   "merged thread" when threads were merged); the thread's name is the
 *   part of `thread_name` in parentheses.
 * - Frames are Python frames, or with `memray run --native` Python and
 *   native frames interleaved (native ones name C/C++ functions and their
 *   source files). Each distinct (function, file, line) is a location with
 *   one line and no address: there is nothing to symbolize. A frame is
 *   split at its last two `;`, and frames at a `|` that follows `;<line>`,
 *   so function names may contain `;` and `|` (C++ `operator|`).
 * - Damage: every row ends with CR LF, so a last line without its newline
 *   was cut short: it is dropped with a warning (ParseContext.lines), and
 *   an export cut before its first whole row is an error. Blank lines
 *   before the header are skipped, as detection skips them. A cut between
 *   rows leaves fewer, whole rows: nothing in the format ends a file.
 */
import type { Head, ParseContext, SnapshotImporter } from './importer.js';
import type { Input } from '../input/source.js';
import { ProfileBuilder } from '../model/builder.js';
import { PairIndex } from '../model/pair-index.js';
import { int32Column } from '../model/columns.js';
import { INUSE_OBJECTS, INUSE_SPACE, type HeapProfile } from '../model/profile.js';

/** memray's allocator names (its `AllocatorType`), in the order of the `allocator` label's values. */
export const MEMRAY_ALLOCATORS = [
  'MALLOC',
  'FREE',
  'CALLOC',
  'REALLOC',
  'POSIX_MEMALIGN',
  'ALIGNED_ALLOC',
  'MEMALIGN',
  'VALLOC',
  'PVALLOC',
  'MMAP',
  'MUNMAP',
  'PYMALLOC_MALLOC',
  'PYMALLOC_CALLOC',
  'PYMALLOC_REALLOC',
  'PYMALLOC_FREE',
] as const;

const HEADER = 'allocator,num_allocations,size,tid,thread_name,stack_trace';
const ALLOCATOR_INDEX = new Map<string, number>(MEMRAY_ALLOCATORS.map((name, i) => [name, i]));
/** `0x1 (MainThread)`: memray's thread number in hex and the thread's name. */
const THREAD_NAME = /^0x[0-9a-f]+ \((.*)\)$/;
const DECIMAL = /^-?\d+$/;

/** The `memray` importer: `memray transform csv` output (a snapshot at the high-water mark). */
export const memrayImporter: SnapshotImporter = {
  id: 'memray',
  kind: 'snapshot',
  description: 'memray transform csv (Python memory profiler: allocations at the high-water mark, native frames with --native)',

  sniff(head: Head): number {
    return head.firstLine === HEADER ? 1 : 0;
  },

  async parse(input: Input, ctx: ParseContext): Promise<HeapProfile> {
    const reader = new MemrayReader(input.name, ctx);
    const lines = ctx.lines(input);
    for await (const { lines: batch, firstLine } of lines) {
      for (let i = 0; i < batch.length; i++) reader.line(batch[i], firstLine + i);
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    return reader.finish();
  },
};

/** Splits a CSV line as Python's csv module writes it; null when a quoted field is not closed. */
export function splitCsv(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return null;
        value += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line.charCodeAt(i) !== 44 /* , */) return null;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        return fields;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Reads rows one at a time into a builder. */
class MemrayReader {
  private readonly builder: ProfileBuilder;
  private readonly locationOfFrame = new Map<string, number>();
  private readonly functionOf = new Map<string, number>();
  /**
   * (stack, thread and allocator) → row, and per row its sample: rows of one
   * stack, thread and allocator are summed into one sample, however far
   * apart (ProfileBuilder.addSample sums only a sample's first and latest
   * equals).
   */
  private readonly rowIndex = new PairIndex(1024);
  private readonly sampleOfRow = int32Column(1024);
  private readonly values = new Float64Array(2);
  private readonly labels = new Float64Array(1);
  private readonly locations: number[] = [];
  private sawHeader = false;

  constructor(
    file: string,
    private readonly ctx: ParseContext,
  ) {
    this.builder = new ProfileBuilder({
      sampleTypes: [INUSE_OBJECTS, INUSE_SPACE],
      defaultSampleType: INUSE_SPACE.type,
      labels: [{ key: 'allocator', unit: '' }],
      maxStacks: ctx.options.maxStacks,
      maxSamples: ctx.options.maxSamples,
      meta: {
        format: 'memray',
        variant: 'memray transform csv',
        file,
        sampling: { model: 'none', periodBytes: 0 },
        sizeKind: 'average-requested',
        returnAddresses: false,
        warnings: [],
      },
    });
  }

  line(text: string, lineNo: number): void {
    if (!this.sawHeader) {
      // Blank lines before the header: detection skips them too.
      if (text.trim() === '') return;
      if (text !== HEADER) {
        this.ctx.malformed(lineNo, `expected the header "${HEADER}"`, text);
        return;
      }
      this.sawHeader = true;
      return;
    }
    if (text === '') return; // the end of the file
    const fields = splitCsv(text);
    if (fields === null || fields.length !== 6) {
      this.ctx.malformed(lineNo, 'expected 6 comma-separated fields: allocator,num_allocations,size,tid,thread_name,stack_trace', text);
      return;
    }
    const [allocatorName, countText, sizeText, tidText, threadName, stackText] = fields;
    const allocator = ALLOCATOR_INDEX.get(allocatorName);
    if (allocator === undefined) {
      this.ctx.malformed(lineNo, `unknown allocator "${allocatorName}" (expected ${MEMRAY_ALLOCATORS.join(', ')})`, text);
      return;
    }
    if (!DECIMAL.test(countText) || !DECIMAL.test(sizeText) || !DECIMAL.test(tidText) || countText.startsWith('-') || sizeText.startsWith('-')) {
      this.ctx.malformed(lineNo, 'num_allocations and size must be non-negative integers, tid an integer', text);
      return;
    }
    const count = Number(countText);
    const bytes = Number(sizeText);
    if (!Number.isSafeInteger(count) || !Number.isSafeInteger(bytes)) {
      this.ctx.malformed(lineNo, 'count exceeds 2^53', text);
      return;
    }
    const stack = this.stack(stackText, lineNo, text);
    if (stack < 0) return;
    const tid = Number(tidText);
    const named = THREAD_NAME.exec(threadName);
    const thread = this.builder.thread(tid === -1 ? 'merged' : tidText, named ? named[1] : '');
    // Rows of one stack and thread are kept apart by allocator: the key mixes it into the thread.
    const before = this.rowIndex.size;
    const row = this.rowIndex.intern(stack, thread * MEMRAY_ALLOCATORS.length + allocator);
    const values = this.values;
    values[0] = count;
    values[1] = bytes;
    if (row === before) {
      this.labels[0] = allocator;
      this.sampleOfRow.push(this.builder.addSample(stack, thread, values, this.labels));
    } else this.builder.addToSample(this.sampleOfRow.data[row], values);
  }

  /** The stack of a `stack_trace` field (leaf first), or -1 after reporting it. */
  private stack(field: string, lineNo: number, text: string): number {
    const locations = this.locations;
    locations.length = 0;
    let start = 0;
    while (start < field.length) {
      // The frame ends at the first "|" that follows ";<digits>".
      let end = field.length;
      for (let bar = field.indexOf('|', start); bar >= 0; bar = field.indexOf('|', bar + 1)) {
        let d = bar;
        while (d > start && field.charCodeAt(d - 1) >= 48 && field.charCodeAt(d - 1) <= 57) d--;
        if (d < bar && field.charCodeAt(d - 1) === 59 /* ; */) {
          end = bar;
          break;
        }
      }
      const location = this.location(field.slice(start, end));
      if (location < 0) {
        this.ctx.malformed(lineNo, `expected frames "<function>;<file>;<line>" joined by "|": "${field.slice(start, end)}"`, text);
        return -1;
      }
      locations.push(location);
      start = end + 1;
    }
    return this.builder.internStack(locations);
  }

  /** The location of one `function;file;line` frame, or -1 when it is not one. */
  private location(frame: string): number {
    let location = this.locationOfFrame.get(frame);
    if (location !== undefined) return location;
    const lineAt = frame.lastIndexOf(';');
    const fileAt = lineAt > 0 ? frame.lastIndexOf(';', lineAt - 1) : -1;
    if (fileAt < 0 || !/^\d+$/.test(frame.slice(lineAt + 1))) return -1;
    const name = frame.slice(0, fileAt);
    const file = frame.slice(fileAt + 1, lineAt);
    const key = `${name}\n${file}`;
    let fn = this.functionOf.get(key);
    if (fn === undefined) {
      fn = this.builder.internFunction(name, file);
      this.functionOf.set(key, fn);
    }
    location = this.builder.addLocation(0, 0, -1, [[fn, Number(frame.slice(lineAt + 1))]]);
    this.locationOfFrame.set(frame, location);
    return location;
  }

  finish(): HeapProfile {
    if (!this.sawHeader) this.ctx.malformed(1, `expected the header "${HEADER}"`);
    if (this.rowIndex.size === 0) this.ctx.warn('the export has no allocations');
    this.builder.meta.warnings = this.ctx.warningList();
    return this.builder.finish();
  }
}
