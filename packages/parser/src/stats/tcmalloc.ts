/**
 * gperftools tcmalloc `MallocExtension::GetStats` text.
 *
 * Producer: gperftools' tcmalloc (src/tcmalloc.cc, `DumpStats`), through
 * `MallocExtension::instance()->GetStats(buf, len)` or the C
 * `MallocExtension_GetStats(buf, len)` (a program calls it, e.g. found with
 * dlsym), and at exit on stderr with `MALLOCSTATS=1` (summary only) or
 * `MALLOCSTATS=2` (with the size-class and page-heap tables, as GetStats
 * gives them). Defined only by the code. Seen here: gperftools 2.10
 * (Debian libgoogle-perftools4 2.10-1, libtcmalloc.so.4). A real excerpt
 * (one GetStats dump, shortened; `…` marks cuts):
 *
 *   ------------------------------------------------
 *   MALLOC:       13640152 (   13.0 MiB) Bytes in use by application
 *   MALLOC: +      3743744 (    3.6 MiB) Bytes in page heap freelist
 *   MALLOC: +     54125272 (   51.6 MiB) Bytes in central cache freelist
 *   MALLOC: +      1882112 (    1.8 MiB) Bytes in transfer cache freelist
 *   MALLOC: +         9040 (    0.0 MiB) Bytes in thread cache freelists
 *   MALLOC: +      2621440 (    2.5 MiB) Bytes in malloc metadata
 *   MALLOC:   ------------
 *   MALLOC: =     76021760 (   72.5 MiB) Actual memory used (physical + swap)
 *   MALLOC: +            0 (    0.0 MiB) Bytes released to OS (aka unmapped)
 *   MALLOC:   ------------
 *   MALLOC: =     76021760 (   72.5 MiB) Virtual address space used
 *   MALLOC:
 *   MALLOC:           8011              Spans in use
 *   MALLOC:              2              Thread heaps in use
 *   MALLOC:           8192              Tcmalloc page size
 *   ------------------------------------------------
 *   Call ReleaseFreeMemory() to release freelist memory to the OS (via madvise()).
 *   Bytes released to the OS take up virtual address space but no physical memory.
 *   ------------------------------------------------
 *   Total size of freelists for per-thread caches,
 *   transfer cache, and central cache, by size class
 *   ------------------------------------------------
 *   class   5 [       64 bytes ] :    64512 objs;   3.9 MiB;   4.0 cum MiB;    0.000 overhead MiB;    0.000 cum overhead MiB
 *   …
 *   ------------------------------------------------
 *   PageHeap: 4 sizes;    0.9 MiB free;    0.0 MiB unmapped
 *   ------------------------------------------------
 *        1 pages *      2 spans ~    0.0 MiB;    0.0 MiB cum; unmapped:    0.0 MiB;    0.0 MiB cum
 *   …
 *   >128   large *      0 spans ~    0.0 MiB;    0.9 MiB cum; unmapped:    0.0 MiB;    0.0 MiB cum
 *
 * Quirks handled here:
 * - A dump starts at its "Bytes in use by application" line; dashes lines
 *   and the two fixed paragraphs are decoration.
 * - The bytes are exact in the first column; the `( x MiB)` column is
 *   rounded, and so are the MiB columns of the class and page-heap tables:
 *   a class's free bytes are computed as objects × class size instead.
 * - The class table lists *free* objects held in thread caches, transfer
 *   caches and central free lists, per class: memory only that class can
 *   reuse (fragmentation and caching), not live objects.
 * - "Bytes in page heap freelist" are free pages tcmalloc has not returned
 *   yet (its release rate decides when); "released to OS" are unmapped and
 *   no longer resident.
 * - The `overhead MiB` columns of the class table are newer than some
 *   releases; they are optional.
 * - A dump has no end line: one that is whole (its tables' `>128 large`
 *   row, or a summary with every figure) ends at the first line that is
 *   none of its own, which is then the program's (a dump printed on a
 *   signal, and the program's output after it).
 * - Every dump has the five summary amounts of {@link FIGURES}: a dump that
 *   lacks one was cut short (a dump cut after "Bytes in use" has no
 *   resident figure), said in a warning naming the dump and the figure. A
 *   dump with the tables ends with the page heap's `>128 large` line: one
 *   that stops before it lost part of its tables.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { MemoryFigures, StatsImporter, StatsSnapshot } from './model.js';
import { TCMALLOC_AMOUNT as AMOUNT, TCMALLOC_FIRST as FIRST } from './dump-starts.js';
import { SeriesBuilder, sniffDumps, eachLine, parseMarker } from './dump-reader.js';

const COUNT = /^MALLOC:\s+(\d+)\s+(.+?)\s*$/;
const RULE = /^(?:MALLOC:\s*-*|-+)\s*$/;
const CLASS = /^class\s+(\d+)\s+\[\s*(\d+) bytes \]\s*:\s*(\d+) objs;\s*\d+(?:\.\d+)? MiB;\s*\d+(?:\.\d+)? cum MiB(?:;\s*\d+(?:\.\d+)? overhead MiB;\s*\d+(?:\.\d+)? cum overhead MiB)?\s*$/;
const PAGE_HEAP = /^PageHeap:\s*(\d+) sizes;\s*(\d+(?:\.\d+)?) MiB free;\s*(\d+(?:\.\d+)?) MiB unmapped\s*$/;
const SPANS = /^\s*(?:\d+ pages|>\d+\s+large) \*\s*\d+ spans ~\s*\d+(?:\.\d+)? MiB;\s*\d+(?:\.\d+)? MiB cum; unmapped:\s*\d+(?:\.\d+)? MiB;\s*\d+(?:\.\d+)? MiB cum\s*$/;
const PROSE = /^(?:Call ReleaseFreeMemory\(\)|Bytes released to the OS take up|Total size of freelists for per-thread caches,|transfer cache, and central cache, by size class)/;

/** Summary labels and the normalized figure each one is. */
const FIGURES: Record<string, keyof MemoryFigures> = {
  [FIRST]: 'allocatedBytes',
  'Bytes in page heap freelist': 'dirtyBytes',
  'Bytes in malloc metadata': 'metadataBytes',
  'Actual memory used (physical + swap)': 'residentBytes',
  'Bytes released to OS (aka unmapped)': 'retainedBytes',
  'Virtual address space used': 'mappedBytes',
};

export const tcmallocStatsImporter: StatsImporter = {
  id: 'tcmalloc-stats',
  kind: 'stats',
  description: 'gperftools tcmalloc MallocExtension::GetStats text (MALLOCSTATS=1|2 at exit)',

  sniff(head: Head): number {
    return sniffDumps(head, 'tcmalloc-stats');
  },

  async parse(input: Input, ctx: ParseContext) {
    const series = new SeriesBuilder(ctx, 'tcmalloc', 'tcmalloc statistics');
    let snap: StatsSnapshot | undefined;
    /** The open dump printed its tables, and reached their last line. */
    let tables = false;
    let tablesEnd = false;
    const end = () => {
      if (!snap) return;
      for (const [label, figure] of Object.entries(FIGURES)) {
        if (snap[figure] === undefined) ctx.warn(`a tcmalloc dump ends before its "${label}" line (truncated?): its ${figure.replace(/Bytes$/, '')} figure is missing`, snap.line);
      }
      if (tables && !tablesEnd) ctx.warn('a tcmalloc dump ends inside its size-class and page-heap tables (truncated?): their last rows are missing', snap.line);
      tables = false;
      tablesEnd = false;
      series.end();
      snap = undefined;
    };
    const count = await eachLine(input, ctx, (line, lineNo) => {
      // Dumps have no end line: a separator line ends the open one.
      if (snap && parseMarker(line)) end();
      const amount = AMOUNT.exec(line);
      if (amount && amount[3] === FIRST) {
        end();
        snap = series.begin(lineNo);
      }
      if (!snap) {
        // A dump's first line damaged (a sign, a cut number) would make the
        // whole dump the program's lines: it is an error at that line.
        if (line.startsWith('MALLOC:') && line.includes(FIRST)) ctx.malformed(lineNo, 'not a tcmalloc statistics line', line);
        else if (!series.marker(line, lineNo) && line.trim() !== '' && !RULE.test(line)) series.outside(line, lineNo);
        return;
      }
      if (amount) {
        const [, , value, label] = amount;
        const n = series.value(Number(value), lineNo, line, value);
        if (n === undefined) return;
        snap.raw[label] = n;
        const figure = FIGURES[label];
        if (figure) snap[figure] = n;
        return;
      }
      if (PROSE.test(line)) {
        if (line.startsWith('Total size of freelists')) tables = true;
        return;
      }
      if (SPANS.test(line)) {
        if (line.trimStart().startsWith('>')) tablesEnd = true;
        return;
      }
      if (RULE.test(line) || line.trim() === '') return;
      const cls = CLASS.exec(line);
      if (cls) {
        const size = series.value(Number(cls[2]), lineNo, line, cls[2]);
        const objects = series.value(Number(cls[3]), lineNo, line, cls[3]);
        if (size === undefined || objects === undefined) return;
        snap.sizeClasses.push({ sizeBytes: size, minSizeBytes: size, table: 'class', freeBlocks: objects, freeBytes: objects * size });
        return;
      }
      const heap = PAGE_HEAP.exec(line);
      if (heap) {
        const values = heap.slice(1, 4).map((v) => series.value(Number(v), lineNo, line, v));
        if (values.some((v) => v === undefined)) return;
        snap.raw['PageHeap sizes'] = values[0] as number;
        snap.raw['PageHeap MiB free'] = values[1] as number;
        snap.raw['PageHeap MiB unmapped'] = values[2] as number;
        return;
      }
      const c = COUNT.exec(line);
      if (c) {
        const n = series.value(Number(c[1]), lineNo, line, c[1]);
        if (n !== undefined) snap.raw[c[2]] = n;
        return;
      }
      // Dumps have no end line either: a dump that is whole (its tables'
      // last row printed, or a summary without tables that has every
      // figure) ends at the first line that is not its own — the program's
      // output after a dump printed on a signal. Anywhere else such a line
      // is one the dump does not hold.
      if (tablesEnd || (!tables && Object.values(FIGURES).every((f) => snap?.[f] !== undefined))) {
        end();
        series.outside(line, lineNo);
        return;
      }
      ctx.malformed(lineNo, 'not a tcmalloc statistics line', line);
    });
    end();
    return series.finish(count);
  },
};
