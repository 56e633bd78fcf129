/**
 * mimalloc statistics (`mi_stats_print`).
 *
 * Producer: mimalloc's `_mi_stats_print` (src/stats.c), through
 * `mi_stats_print_out(out, arg)` / `mi_stats_print(NULL)` called by a
 * program, and at exit on stderr with `MIMALLOC_SHOW_STATS=1`. Defined only
 * by the code. Seen here: mimalloc 2.0.9, both as Debian ships it
 * (libmimalloc2.0 2.0.9+ds-2, a release build: MI_STAT=0) and built from
 * the same Debian source with `-DMI_STAT=2` (as a debug build would be). A
 * real excerpt of each (one dump; `…` marks cuts):
 *
 *   Debian's release build:
 *   heap stats:    peak      total      freed    current       unit      count
 *     reserved:   32.0 MiB   32.0 MiB      0       32.0 MiB
 *    committed:   32.0 MiB   32.0 MiB      0       32.0 MiB
 *        reset:      0          0          0          0                            ok
 *      touched:   64.2 KiB   64.2 KiB   75.9 KiB  -11.6 KiB                        ok
 *     segments:      1          1          0          1                            not all freed!
 *   …
 *     searches:     0.0 avg
 *   numa nodes:       1
 *      elapsed:       0.010 s
 *      process: user: 0.009 s, system: 0.004 s, faults: 0, rss: 18.2 MiB, commit: 32.0 MiB
 *
 *   MI_STAT=2 build (adds per-bin rows, a repeated header and the totals):
 *   heap stats:    peak      total      freed    current       unit      count
 *   normal   4:     64 B       64 B       64 B        0         32 B        2      ok
 *   …
 *   normal  40:    4.0 MiB    4.0 MiB      0        4.0 MiB   16.0 KiB    256      not all freed!
 *
 *   heap stats:    peak      total      freed    current       unit      count
 *       normal:    4.0 Mi     4.0 Mi     160        4.0 Mi    15.6 KiB    262      not all freed!
 *        large:      0          0          0          0                            ok
 *         huge:      0          0          0          0                            ok
 *        total:    4.0 MiB    4.0 MiB    160 B      4.0 MiB                        not all freed!
 *   malloc req:    4.0 MiB    4.0 MiB    160 B      4.0 MiB                        not all freed!
 *
 *     reserved:   64.0 MiB   64.0 MiB      0       64.0 MiB
 *   …
 *
 * Quirks handled here:
 * - Release builds (MI_STAT=0, what distributions ship) print no
 *   allocation counters at all: no `normal`/`total` rows, so the program's
 *   allocated bytes are unknown; their `touched` and `pages` rows go
 *   negative (decreases are counted, increases are not). Only `reserved`,
 *   `committed` and the process line are meaningful.
 * - A dump ends with its `process:` line; with MI_STAT>1 the `heap stats`
 *   header appears twice inside one dump.
 * - Amounts are rounded down to one decimal in binary units (`32.0 MiB` is
 *   32.0–32.1 MiB); rows with a unit of -1 print binary amounts without
 *   `B` (`4.0 Mi`), counts use decimal `K`/`M`/`G`. A number with a decimal
 *   point always has its unit: one without lost it (a line cut short), and
 *   read as a count it would be a million times too small; it is an error.
 * - Columns follow the header; a row with unit 1 (`reserved`) leaves the
 *   unit and count columns blank, so `current` is found by its header
 *   position. `-abandoned`, `-cached`, `-extended`, `-noretire` belong to
 *   the row above them (segments or pages).
 * - With MI_STAT ≥ 1, `touched` is the committed memory of pages in use
 *   (like jemalloc's `active`): committed memory beyond it sits in free
 *   pages not yet purged, `touched` beyond `total` is free space inside
 *   pages that hold live blocks.
 * - `rss` and `commit` on the `process:` line are *peaks* (getrusage's
 *   ru_maxrss), not current values: kept as raw `process.peak_rss`.
 * - Statistics are per thread and merged into the printed totals only when
 *   a thread exits or calls `mi_stats_merge()`: periodic dumps from one
 *   thread miss what other threads did since their last merge.
 * - `elapsed` is seconds since the process started: the producer-side time.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { MemoryFigures, SizeClassStats, StatsImporter, StatsSnapshot } from './model.js';
import { SeriesBuilder, sniffDumps, eachLine, isFigure } from './dump-reader.js';

const HEADER = /^\s*heap stats:\s+(.*?)\s*$/;
const ROW = /^\s*([a-z-]+(?: [a-z]+)?(?:\s+\d+)?):\s+(.*?)\s*$/;
const AMOUNT_TOKEN = /^-?\d+(?:\.\d+)?$/;
const UNIT: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export const mimallocStatsImporter: StatsImporter = {
  id: 'mimalloc-stats',
  kind: 'stats',
  description: 'mimalloc statistics (MIMALLOC_SHOW_STATS=1, mi_stats_print)',

  sniff(head: Head): number {
    return sniffDumps(head, 'mimalloc-stats');
  },

  async parse(input: Input, ctx: ParseContext) {
    const reader = new MimallocReader(ctx);
    const count = await eachLine(input, ctx, (line, lineNo) => reader.line(line, lineNo));
    return reader.finish(count);
  },
};

/**
 * Splits `  4.0 MiB   160 B  0  ok` into amounts and the trailing text;
 * `unitless` is the first decimal number without its unit (see the top of
 * the file), or undefined.
 */
export function parseAmounts(text: string): { amounts: number[]; rest: string; unitless?: string } {
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  const amounts: number[] = [];
  let unitless: string | undefined;
  let i = 0;
  while (i < tokens.length && AMOUNT_TOKEN.test(tokens[i])) {
    let n = Number(tokens[i]);
    const unit = UNIT[tokens[i + 1] ?? ''];
    if (unit !== undefined) {
      n *= unit;
      i++;
    } else if (tokens[i].includes('.')) unitless ??= tokens[i];
    amounts.push(n);
    i++;
  }
  return unitless === undefined ? { amounts, rest: tokens.slice(i).join(' ') } : { amounts, rest: tokens.slice(i).join(' '), unitless };
}

class MimallocReader {
  private readonly series: SeriesBuilder;
  private snap: StatsSnapshot | undefined;
  private columns: string[] = [];
  private lastMain = '';

  constructor(private readonly ctx: ParseContext) {
    this.series = new SeriesBuilder(ctx, 'mimalloc', 'mimalloc statistics');
  }

  line(text: string, lineNo: number): void {
    const header = HEADER.exec(text);
    if (header) {
      if (!this.snap) this.snap = this.series.begin(lineNo);
      this.columns = header[1].split(/\s+/);
      return;
    }
    if (!this.snap) {
      if (!this.series.marker(text, lineNo) && text.trim() !== '') this.series.outside(text, lineNo);
      return;
    }
    if (text.trim() === '') return;
    const row = ROW.exec(text);
    if (!row) {
      this.ctx.malformed(lineNo, 'not a mimalloc statistics line', text);
      return;
    }
    const label = row[1].replace(/\s+/g, ' ');
    const value = row[2];
    const snap = this.snap;
    if (label === 'process') {
      this.processLine(value, lineNo, text);
      return;
    }
    if (label === 'elapsed' || label === 'numa nodes' || label === 'searches') {
      const m = /^(-?\d+(?:\.\d+)?)(?:\s+(?:s|avg))?$/.exec(value);
      const n = m ? this.series.value(Number(m[1]), lineNo, text, m[1]) : undefined;
      if (!m) this.ctx.malformed(lineNo, `"${label}" needs one number`, text);
      else if (n !== undefined) snap.raw[label] = n;
      return;
    }
    const { amounts, rest, unitless } = parseAmounts(value);
    if (unitless !== undefined) {
      this.ctx.malformed(lineNo, `the amount ${unitless} has no unit`, text);
      return;
    }
    const absurd = amounts.find((n) => !isFigure(n));
    if (absurd !== undefined) {
      this.series.value(absurd, lineNo, text);
      return;
    }
    if (rest !== '' && rest !== 'ok' && rest !== 'not all freed!') {
      this.ctx.malformed(lineNo, `unexpected text after the amounts: "${rest}"`, text);
      return;
    }
    // `-abandoned` etc. qualify the row above them.
    const name = label.startsWith('-') ? `${this.lastMain}${label}` : label;
    if (!label.startsWith('-')) this.lastMain = label;
    if (amounts.length === 1) {
      snap.raw[name] = amounts[0]; // a counter (mmaps, commits, -extended)
      return;
    }
    if (amounts.length < 4) {
      this.ctx.malformed(lineNo, `${amounts.length} amounts; expected peak, total, freed and current`, text);
      return;
    }
    // Amounts are in header order; rows with unit 1 leave the last columns blank.
    amounts.forEach((n, i) => {
      const column = this.columns[i] ?? `column${i + 1}`;
      snap.raw[`${name}.${column}`] = n;
    });
    const bin = /^normal (\d+)$/.exec(label);
    if (bin) {
      const unit = snap.raw[`${name}.unit`];
      const current = snap.raw[`${name}.current`];
      if (unit !== undefined && unit > 0) {
        const row: SizeClassStats = { sizeBytes: unit, minSizeBytes: unit, table: 'bin' };
        if ((current ?? 0) >= 0) row.allocatedBytes = current ?? 0;
        else this.outOfStep(label, lineNo);
        snap.sizeClasses.push(row);
      }
    }
  }

  private processLine(value: string, lineNo: number, text: string): void {
    const snap = this.snap as StatsSnapshot;
    // user: 0.009 s, system: 0.004 s, faults: 0, rss: 18.2 MiB, commit: 32.0 MiB
    for (const part of value.split(/,\s*/)) {
      const m = /^([a-z_ ]+):\s+(.*)$/.exec(part);
      const parsed = m ? parseAmounts(m[2].replace(/ s$/, '')) : undefined;
      if (!m || !parsed || parsed.amounts.length !== 1) {
        this.ctx.malformed(lineNo, 'unexpected "process:" line', text);
        return;
      }
      if (this.series.value(parsed.amounts[0], lineNo, text) === undefined) return;
      const key = m[1] === 'rss' ? 'peak_rss' : m[1] === 'commit' ? 'peak_commit' : m[1];
      snap.raw[`process.${key}`] = parsed.amounts[0];
    }
    this.endDump();
  }

  /**
   * mimalloc's counters can go out of step (a thread's frees counted where
   * its allocations were not, decommits counted twice): a `current` below
   * zero is mimalloc's, not damage, and says nothing of the memory. That
   * figure is left out, with a warning (one per row name, counted).
   */
  private outOfStep(row: string, lineNo: number): void {
    this.ctx.warn(`mimalloc's "${row}" current is below zero (its counters went out of step): that figure is left out`, lineNo);
  }

  private endDump(): void {
    const snap = this.snap as StatsSnapshot;
    const raw = snap.raw;
    const current = (row: string, ...figures: (keyof MemoryFigures)[]): number | undefined => {
      const value = raw[`${row}.current`];
      if (value === undefined || value >= 0) return value;
      this.outOfStep(row, snap.line);
      this.series.leftOut(snap, ...figures);
      return undefined;
    };
    const total = current('total', 'allocatedBytes', 'activeBytes');
    if (total !== undefined) {
      snap.allocatedBytes = total;
      // `touched` is the memory of pages in use; trustworthy only when allocations are counted too.
      const touched = raw['touched.current'];
      if (touched !== undefined && touched >= 0) snap.activeBytes = touched;
    }
    const committed = current('committed', 'mappedBytes', 'retainedBytes');
    const reserved = current('reserved', 'retainedBytes');
    if (committed !== undefined) snap.mappedBytes = committed;
    if (committed !== undefined && reserved !== undefined) snap.retainedBytes = Math.max(0, reserved - committed);
    if (snap.timeSec === undefined && raw.elapsed !== undefined) {
      snap.timeSec = raw.elapsed;
      snap.timeSource = 'producer';
    }
    this.series.end();
    this.snap = undefined;
    this.columns = [];
    this.lastMain = '';
  }

  finish(lineCount: number) {
    if (this.snap) {
      this.ctx.malformed(this.snap.line, 'dump not finished: no "process:" line (truncated?)');
      this.endDump();
    }
    return this.series.finish(lineCount);
  }
}
