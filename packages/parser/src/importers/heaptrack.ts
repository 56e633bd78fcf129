/**
 * heaptrack recordings: every malloc/free of a process with its call stack,
 * as KDE's heaptrack writes them — raw (what `heaptrack --raw` leaves, the
 * output of libheaptrack before heaptrack_interpret) and interpreted (what
 * `heaptrack` leaves by default: symbolized by heaptrack_interpret,
 * compressed with zstd or, in older builds, gzip). An event trace.
 *
 * Producer: heaptrack ≥ 1.0 (src/track/libheaptrack.cpp writes the raw
 * records, src/interpret/heaptrack_interpret.cpp rewrites them, and
 * src/analyze/accumulatedtracedata.cpp is the reader of reference, used by
 * heaptrack_print and heaptrack_gui). There is no written specification;
 * facts, versions and the reference tool's numbers are in docs/formats.md.
 * A real excerpt, from the middle of an interpreted recording of the fixture
 * workload (heaptrack 1.4.0, file format 3; fixtures/heaptrack):
 *
 *   s 9 leak_site
 *   i 555555555499 1 3a 19 a4
 *   t 1e 28
 *   a 1000 29
 *   + c
 *   + c
 *   …
 *   - e
 *
 * (a string, the instruction pointer in leak_site with its module, function,
 * file and line, a stack node, the allocation info "4096 bytes on that
 * stack", two allocations of it, and later a free of another info.)
 *
 * The grammar: one record per line (every line ends with a newline), a
 * mode character, a space, then fields separated by single spaces. Numbers
 * are lowercase hexadecimal. A sized string is its length in bytes (hex), a
 * space and that many bytes (it may hold spaces); file format 3 (heaptrack 1.4 writes it; 1.2 wrote 2) sizes `s`, `x` and `m`
 * strings, older formats end them at the line's end (`s`) or the next
 * space (`x`, `m`). Indices are 1-based (0 = none) except allocation
 * infos, which count from 0. An empty line or one starting with `#` is a
 * comment.
 *
 *   v <heaptrack version> [<file format version>]   0x010400 = 1.4.0
 *   X <command line>                    the debuggee and its arguments
 *   I <page size> <physical pages>      system information
 *   S <suppression>                     a leak suppression embedded by the program
 *   A                                   heaptrack attached to a running process
 *   c <ms since start>                  a timestamp (every 10 ms, and at exit)
 *   R <resident pages>                  RSS after each timestamp
 *   raw only:
 *   x <exe path>                        the executable (replaces module name "x")
 *   m - | m <file> <load bias> { <p_vaddr> <p_memsz> }
 *                                       module list reset, then one module per
 *                                       line with its PT_LOAD segments
 *   t <ip> <parent trace>               a stack node: return address − 1 and
 *                                       the caller's node (0: the root)
 *   + <size> <trace> <pointer>          an allocation; `- <pointer>` a free
 *   interpreted only (file format ≥ 1):
 *   s <string>                          string table entry (1-based)
 *   i <ip> <module> [ <function> [ <file> <line> { <function> <file> <line> } ] ]
 *                                       an instruction pointer (1-based), its
 *                                       module (a string) and its frames,
 *                                       innermost first: the first is where
 *                                       the address is, the others are the
 *                                       functions it was inlined into
 *   t <ip index> <parent trace>         a stack node
 *   a <size> <trace>                    allocation info (0-based): one (size,
 *                                       stack) pair
 *   + <info>                            an allocation; `- <info>` frees one
 *                                       block of that info
 *   file format 0 (heaptrack < 1.0): interpreted stack records with raw
 *   events (`+ <size> <trace> <pointer>`, `- <pointer>`).
 *
 * What it means here:
 * - Stacks are trees of nodes from the outermost frame down: a node is
 *   (ip, caller node), so each becomes a stack of the builder. Their ips
 *   are already return addresses − 1 (libheaptrack subtracts 1), so frames
 *   are looked up as they are. The leaf is malloc's caller, or operator
 *   new; heapscope's analyses strip allocator frames themselves.
 * - Interpreted: each `i` line is a location with its module as mapping
 *   (the module's address range is no longer known: start = limit = 0) and
 *   heaptrack's frames as lines; an `i` without a function has none. Raw:
 *   a location per address, in mappings built from the `m` lines with
 *   their load bias, which heapscope's symbolizer translates addresses
 *   with (symbolize/address-translation.ts).
 * - Events have no thread (heaptrack records none) and no allocation
 *   function: every allocation is `other`. realloc is a free of the old
 *   block followed by an allocation of the new one, as libheaptrack writes.
 * - Interpreted files name no pointers: `- <info>` says which (size,
 *   stack) pair lost a block, not which block. Blocks get pointers made
 *   here, and a free takes the most recent live block of its info (last in,
 *   first out). Sizes, sites, live bytes and the peak do not depend on that
 *   choice; lifetimes do, and with it heapscope counts a block freed right
 *   after its info's last allocation as temporary — heaptrack_print's rule
 *   (see docs/formats.md, "Temporary allocations"). Raw recordings keep the
 *   pointers, and give heaptrack's own (per-pointer) count.
 * - Events are reported at the time of the last `c` line before them (0,
 *   the recording's start, before the first one, as heaptrack_print does).
 *   A `c` earlier than one before it is counted in a warning (TimeOrder).
 * - Damage: libheaptrack and heaptrack_interpret end every line with a
 *   newline, so a last line without one was cut short (a recording stopped
 *   mid-write): it is dropped with a warning, never read as whole (`+ 1`
 *   of `+ 1e` is another allocation info), and a recording cut before its
 *   first allocation or free is an error. A cut between lines leaves a
 *   shorter, whole-looking recording: nothing in the format ends a file.
 * - RSS, page size, the command line, embedded suppressions and attaching
 *   are reported in the facts ({@link HeaptrackFacts}); suppressions are
 *   not applied (heapscope shows every block still live).
 *
 * The reader's state machine is in heaptrack-reader.ts.
 */
import type { Head, ParseContext } from './importer.js';
import type { Input } from '../input/source.js';
import type { ProfileBuilder } from '../model/builder.js';
import type { TraceImporter, TraceSink } from '../trace/sink.js';
import { HeaptrackReader, type HeaptrackFacts } from './heaptrack-reader.js';

export type { HeaptrackFacts } from './heaptrack-reader.js';

const VERSION_LINE = /^v [0-9a-f]{1,8}( [0-9a-f]{1,8})?$/;
const RECORD_LINE = /^([XIsitaxmc+\-R#ASv]( |$)|$)/;

/** Whether the first lines are heaptrack records: a `v` line, then known modes. */
function sniffHeaptrack(head: Head): number {
  if (!VERSION_LINE.test(head.firstLine)) return 0;
  // The lines after the first that is not blank (detection skips blank lines before it).
  const lines = head.text.slice(head.text.indexOf(head.firstLine)).split('\n', 8);
  // The head may end inside its last line.
  const whole = head.text.length < head.bytes.length || lines.length < 8 ? lines.slice(0, -1) : lines;
  return whole.slice(1).every((l) => RECORD_LINE.test(l)) ? 1 : 0.6;
}

/** The `heaptrack` importer: heaptrack recordings, raw or interpreted (an event trace). */
export const heaptrackImporter: TraceImporter = {
  id: 'heaptrack',
  kind: 'trace',
  description: 'heaptrack recording, raw or interpreted (heaptrack.<app>.<pid>.zst/.gz, .raw.zst)',

  sniff: sniffHeaptrack,

  async parse(input: Input, ctx: ParseContext, builder: ProfileBuilder, sink: TraceSink): Promise<HeaptrackFacts> {
    const reader = new HeaptrackReader(ctx, builder, sink);
    const lines = ctx.lines(input);
    for await (const cursor of lines.bytes()) reader.batch(cursor);
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    return reader.finish();
  },
};
