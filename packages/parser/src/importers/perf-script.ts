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
 *   sample-line = [WS] comm WS ( tid | pid "/" tid ) WS [ "[" cpu "]" WS ] [ misc WS ] [ tod WS ]
 *                 [ secs "." frac ":" WS ] [ period WS ] event ":" [ WS payload ] ;   (perf-sample-line.ts)
 *   tod         = yyyy "-" mm "-" dd SP hh ":" mm ":" ss [ "." frac ] ;   (-F +tod, only before a time)
 *   frame       = [WS] ip WS symbol [ "+0x" hex ] SP "(" dso ")" [ SP "(inlined)" ]   (perf-frames.ts)
 *   payload     = [ "(" ip [ " <- " ip ] ")" ] { SP name "=" value } [ WS frame ]    (perf-payload.ts)
 *
 * How a sample line is read (by content, never by columns) is in
 * perf-sample-line.ts.
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
 * The modules: the sample line's two scanners (perf-sample-line.ts), frame
 * lines (perf-frames.ts), payloads (perf-payload.ts), the reader's state
 * machine (perf-script-reader.ts). What the records mean (allocations,
 * frees, entry/return pairing, the stack each allocation is attributed to)
 * is in perf-events.ts. Events of
 * unknown meaning are counted in a warning, never dropped silently; a file
 * of CPU samples only (cycles, cpu-clock, …) imports its stacks and says
 * that its samples carry no sizes. Threads are keyed by tid and named by
 * comm. Timestamps become ns (numbers: exact up to 2^53 ns, 104 days of
 * uptime; beyond that they are rounded to a few ns).
 */
import type { Head, ParseContext } from './importer.js';
import type { Input } from '../input/source.js';
import type { ProfileBuilder } from '../model/builder.js';
import { NO_TIME, type TraceImporter, type TraceSink } from '../trace/sink.js';
import { PerfScriptReader, type PerfScriptFacts } from './perf-script-reader.js';
import { EVENT_FIRST, newSampleHead, scanSampleHead } from './perf-sample-line.js';

export type { PerfScriptFacts } from './perf-script-reader.js';

/** Whether `head` holds perf script output: a `# ========` header, or a first record that reads as one. */
function sniffPerfScript(head: Head): number {
  if (head.firstLine.startsWith('# ========')) return 0.9;
  const lines = head.text.split('\n', 200);
  const h = newSampleHead();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    // Side-band records (--show-mmap-events, --show-task-events) are perf's too.
    if (/^\s*\S.*\s\d+\.\d+: PERF_RECORD_[A-Z0-9_]+/.test(line)) return 0.8;
    // A uprobe record printed without comm, tid and time (`-F event,trace,…`): perf's, for the importer to refuse by name.
    if (EVENT_FIRST.test(line) && /^\s*\([0-9a-f]+(?: <- [0-9a-f]+)?\)/.test(line.slice(line.indexOf(': ') + 1))) return 0.5;
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
    // Undecoded, checked as UTF-8 first: the reader decodes only the lines it must.
    for await (const cursor of lines.bytes(true)) {
      while (cursor.advance()) reader.line(cursor);
    }
    if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
    if (lines.cutLine > 0) reader.dropCutRecord();
    return reader.finish();
  },
};
