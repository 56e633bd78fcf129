/**
 * glibc `malloc_stats()` text.
 *
 * Producer: glibc's `malloc_stats(void)` (malloc/malloc.c,
 * `__malloc_stats`), which prints to stderr; a program calls it itself
 * (redirect fd 2 around the call to keep it apart from other output).
 * Documented in malloc_stats(3). Seen here: glibc 2.36 (Debian
 * 2.36-9+deb12u14), one and two arenas. A real excerpt (one dump):
 *
 *   Arena 0:
 *   system bytes     =    4251648
 *   in use bytes     =    4211168
 *   Arena 1:
 *   system bytes     =   14811136
 *   in use bytes     =    8573488
 *   Total (incl. mmap):
 *   system bytes     =   19062784
 *   in use bytes     =   12784656
 *   max mmap regions =         32
 *   max mmap bytes   =    8519680
 *
 * Quirks handled here:
 * - Dumps have no begin or end marker of their own: one starts at
 *   `Arena 0:` and ends with `max mmap bytes`.
 * - `system bytes` of the total includes mmapped chunks; per arena it does
 *   not. `in use bytes` counts chunk sizes (with their headers).
 * - `max mmap regions` and `max mmap bytes` are high-water marks, not
 *   current values.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { ArenaStats, StatsImporter, StatsSnapshot } from './model.js';
import { GLIBC_ARENA as ARENA } from './dump-starts.js';
import { SeriesBuilder, sniffDumps, eachLine } from './dump-reader.js';

const TOTAL = /^Total \(incl\. mmap\):\s*$/;
const VALUE = /^(system bytes|in use bytes|max mmap regions|max mmap bytes)\s*=\s*(\d+)\s*$/;

export const glibcMallocStatsImporter: StatsImporter = {
  id: 'glibc-malloc-stats',
  kind: 'stats',
  description: 'glibc malloc_stats() text (stderr)',

  sniff(head: Head): number {
    return sniffDumps(head, 'glibc-malloc-stats');
  },

  async parse(input: Input, ctx: ParseContext) {
    const series = new SeriesBuilder(ctx, 'glibc', 'malloc_stats output');
    let snap: StatsSnapshot | undefined;
    let arena: ArenaStats | undefined;
    let inTotal = false;
    const finishDump = () => {
      if (!snap) return;
      const raw = snap.raw;
      if (raw['total.in use bytes'] !== undefined) snap.allocatedBytes = raw['total.in use bytes'];
      if (raw['total.system bytes'] !== undefined) snap.mappedBytes = raw['total.system bytes'];
      series.end();
      snap = undefined;
    };
    const count = await eachLine(input, ctx, (line, lineNo) => {
      const a = ARENA.exec(line);
      if (a) {
        // `Arena 0:` after a finished total starts the next dump.
        if (!snap || inTotal) {
          if (snap) ctx.malformed(lineNo, 'dump not finished: no "max mmap bytes" line', line);
          finishDump();
          snap = series.begin(lineNo);
          inTotal = false;
        }
        arena = { name: a[1] };
        snap.arenas.push(arena);
        return;
      }
      if (!snap) {
        if (!series.marker(line, lineNo) && line.trim() !== '') series.outside(line, lineNo);
        return;
      }
      if (TOTAL.test(line)) {
        inTotal = true;
        arena = undefined;
        return;
      }
      const v = VALUE.exec(line);
      if (!v) {
        ctx.malformed(lineNo, 'not a malloc_stats line', line);
        return;
      }
      const [, key, text] = v;
      const n = series.value(Number(text), lineNo, line, text);
      if (n === undefined) return;
      if (arena) {
        snap.raw[`arena[${arena.name}].${key}`] = n;
        if (key === 'system bytes') arena.mappedBytes = n;
        else if (key === 'in use bytes') arena.allocatedBytes = n;
        else ctx.malformed(lineNo, `"${key}" inside an arena`, line);
      } else if (inTotal) {
        snap.raw[`total.${key}`] = n;
        if (key === 'max mmap bytes') finishDump();
      } else {
        ctx.malformed(lineNo, 'value outside an arena or the total', line);
      }
    });
    if (snap) {
      ctx.malformed(snap.line, 'dump not finished: no "max mmap bytes" line (truncated?)');
      finishDump();
    }
    return series.finish(count);
  },
};
