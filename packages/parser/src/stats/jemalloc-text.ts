/**
 * jemalloc `malloc_stats_print` text output.
 *
 * Producer: jemalloc's `malloc_stats_print(write_cb, cbopaque, opts)`
 * (src/stats.c), also printed to stderr at exit with
 * `MALLOC_CONF=stats_print:true`, and every N allocated bytes with
 * `stats_interval:N` (5.3). Defined only by the code; the fields are the
 * `stats.*` mallctls documented in doc/jemalloc.xml.in. Seen here: jemalloc
 * 5.3.0 (Debian libjemalloc2 5.3.0-1), periodic and at-exit dumps, one and
 * two arenas. A real excerpt (one dump, shortened; `…` marks cuts):
 *
 *   ___ Begin jemalloc statistics ___
 *   Version: "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c"
 *   Build-time option settings
 *     config.cache_oblivious: true
 *   …
 *     opt.dirty_decay_ms: 10000 (arenas.dirty_decay_ms: 10000)
 *   …
 *   Page size: 4096
 *   …
 *   Allocated: 13777792, active: 64450560, metadata: 3493488 (n_thp 0), resident: 72069120, mapped: 74956800, retained: 12075008
 *   …
 *   Merged arenas stats:
 *   assigned threads: 2
 *   uptime: 87999999
 *   dss allocation precedence: "secondary"
 *   decaying:  time       npages       sweeps     madvises       purged
 *      dirty:   N/A         1100            0            0            0
 *      muzzy:   N/A            0            0            0            0
 *                               allocated         nmalloc   (#/sec) …
 *   small:                        1018752          525841    525841 …
 *   large:                       12759040             531       531 …
 *   total:                       13777792          526372    526372 …
 *
 *   active:                      64450560
 *   …
 *   bins:           size ind    allocated      nmalloc (#/sec) … curregs     curslabs  nonfull_slabs regs pgs   util …
 *                        ---
 *                     64   4        65536        65624   65624 …    1024         1024           1023   64   1  0.015 …
 *   …
 *   arenas[0]:
 *   …
 *   --- End jemalloc statistics ---
 *
 * Quirks handled here:
 * - Several dumps simply follow one another; each is framed by the Begin
 *   and End lines. Text outside them (a program's own stderr) is counted
 *   and reported as a warning.
 * - Tables (`decaying:`, the small/large/total table, `bins:`, `large:`,
 *   `extents:`, mutex tables, the HPA table) are read by their header row,
 *   so columns added or removed between versions (5.2 added `(#/sec)` rate
 *   columns, 5.3 `nshards` and `nonfull_slabs`) are found by name. A
 *   `(#/sec)` column is the rate of the column before it. Rows whose value
 *   count does not match their header are malformed. `---` lines stand for
 *   runs of size classes with nothing in them.
 * - `large:` is both a row of the small/large/total table and a table
 *   header; the header is the one whose fields are column names.
 * - Per-arena sections are `arenas[<i>]:`; with more than one arena in use
 *   a `Merged arenas stats:` section comes first (its decay `time` is `N/A`),
 *   and `Destroyed arenas stats:` may follow. Totals over arenas come from
 *   the merged section when there is one.
 * - Dirty and muzzy memory is given in pages (`npages` of `decaying:`),
 *   converted with `Page size:`.
 * - `uptime:` is nanoseconds since the arena was created: the dump's
 *   producer-side time.
 * - Mutex profiling rows are checked but not kept.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { ArenaStats, SizeClassStats, StatsImporter, StatsSnapshot } from './model.js';
import { JEMALLOC_BEGIN as BEGIN } from './dump-starts.js';
import { SeriesBuilder, sniffDumps, decimal, eachLine, isFigure } from './dump-reader.js';

const END = '--- End jemalloc statistics ---';

/** A table being read: its name and columns. */
interface Table {
  name: string;
  columns: string[];
}

/** One section's numbers: the top level, `merged`, `destroyed` or an arena index. */
interface Section {
  name: string;
  bins: SizeClassStats[];
  large: SizeClassStats[];
}

const COLUMN = /^(?:[a-z_][a-z0-9_]*|\(#\/sec\))$/;
const ROW_VALUE = /^(?:-?\d+(?:\.\d+)?|N\/A|-)$/;
const ROW_NUMBER = /^-?\d+(?:\.\d+)?$/;
const KEY_VALUE = /^\s*([^:\s][^:]*?):\s+(.*?)\s*$/;
const TITLE = /^[A-Za-z][\w\- ]*(?:\[\d+\])?:?$/;
/** `Allocated: 1, active: 2, …`: a comma followed by another `name: `. */
const PAIR_SPLIT = /,\s+(?=[A-Za-z_][\w ]*:\s)/;

export const jemallocStatsTextImporter: StatsImporter = {
  id: 'jemalloc-stats',
  kind: 'stats',
  description: 'jemalloc malloc_stats_print text (stats_print:true, stats_interval, malloc_stats_print())',

  sniff(head: Head): number {
    return sniffDumps(head, 'jemalloc-stats');
  },

  async parse(input: Input, ctx: ParseContext) {
    const reader = new JemallocTextReader(ctx);
    const count = await eachLine(input, ctx, (line, lineNo) => reader.line(line, lineNo));
    return reader.finish(count);
  },
};

class JemallocTextReader {
  private readonly series: SeriesBuilder;
  private snap: StatsSnapshot | undefined;
  private section: Section = { name: '', bins: [], large: [] };
  private sections: Section[] = [];
  private table: Table | undefined;

  constructor(private readonly ctx: ParseContext) {
    this.series = new SeriesBuilder(ctx, 'jemalloc', 'jemalloc statistics');
  }

  line(text: string, lineNo: number): void {
    const trimmed = text.trim();
    if (!this.snap) {
      if (trimmed === BEGIN) this.begin(lineNo);
      else if (!this.series.marker(text, lineNo) && trimmed !== '') this.series.outside(text, lineNo);
      return;
    }
    if (trimmed === END) {
      this.end();
      return;
    }
    if (trimmed === BEGIN) {
      this.ctx.malformed(lineNo, `a dump begins before the previous one's "${END}"`, text);
      this.end();
      this.begin(lineNo);
      return;
    }
    if (trimmed === '' || trimmed === '---') return;
    const arena = /^arenas\[(\d+)\]:$/.exec(trimmed);
    if (arena || trimmed === 'Merged arenas stats:' || trimmed === 'Destroyed arenas stats:') {
      this.enterSection(arena ? arena[1] : trimmed.startsWith('Merged') ? 'merged' : 'destroyed');
      return;
    }
    const tokens = trimmed.split(/\s+/);
    if (this.header(tokens)) return;
    if (this.row(tokens, text, lineNo)) return;
    if (this.keyValue(text, lineNo)) return;
    if (TITLE.test(trimmed)) {
      this.table = undefined;
      return;
    }
    this.ctx.malformed(lineNo, 'not a jemalloc statistics line', text);
  }

  finish(lineCount: number) {
    if (this.snap) {
      this.ctx.malformed(this.snap.line, `dump not finished: no "${END}" line (truncated?)`);
      this.end();
    }
    return this.series.finish(lineCount);
  }

  private begin(lineNo: number): void {
    this.snap = this.series.begin(lineNo);
    this.section = { name: '', bins: [], large: [] };
    this.sections = [];
    this.table = undefined;
  }

  private enterSection(name: string): void {
    this.section = { name, bins: [], large: [] };
    this.sections.push(this.section);
    this.table = undefined;
  }

  /** The raw-name prefix of the current section. */
  private get prefix(): string {
    const n = this.section.name;
    return n === '' ? '' : n === 'merged' || n === 'destroyed' ? `${n}.` : `arenas[${n}].`;
  }

  /** A table header: an optional `label:` and then only column names. */
  private header(tokens: string[]): boolean {
    const labelled = tokens[0].endsWith(':');
    const columns = labelled ? tokens.slice(1) : tokens;
    if (columns.length < 2 || !columns.every((c) => COLUMN.test(c))) return false;
    // Rates are named after the column before them.
    const named = columns.map((c, i) => (c === '(#/sec)' ? `${columns[i - 1]}_per_sec` : c));
    const label = labelled ? tokens[0].slice(0, -1) : named[0] === 'n_lock_ops' ? 'mutex' : named[0] === 'allocated' ? 'totals' : `table:${named[0]}`;
    this.table = { name: label, columns: named };
    return true;
  }

  /** A row of the open table: an optional label and then only numbers. */
  private row(tokens: string[], text: string, lineNo: number): boolean {
    const table = this.table;
    if (!table) return false;
    const hasLabel = !ROW_VALUE.test(tokens[0]);
    const values = hasLabel ? tokens.slice(1) : tokens;
    if (values.length === 0 || !values.every((v) => ROW_VALUE.test(v))) return false;
    if (values.length !== table.columns.length) {
      // `active:   64450560` after the small/large/total table is a key-value line, not a short row.
      if (hasLabel && values.length === 1 && tokens[0].endsWith(':')) return false;
      this.ctx.malformed(lineNo, `${values.length} values where the "${table.name}" table has ${table.columns.length} columns`, text);
      return true;
    }
    const absurd = values.find((v) => !isFigure(decimal(v)) && ROW_NUMBER.test(v));
    if (absurd !== undefined) {
      this.series.value(decimal(absurd), lineNo, text, absurd);
      return true;
    }
    const label = hasLabel ? tokens[0].replace(/:$/, '') : '';
    const row = new Map<string, number>();
    table.columns.forEach((c, i) => row.set(c, decimal(values[i])));
    this.tableRow(table, label, row);
    return true;
  }

  private tableRow(table: Table, label: string, row: Map<string, number>): void {
    const snap = this.snap as StatsSnapshot;
    const keep = (name: string) => {
      for (const [c, v] of row) if (!Number.isNaN(v)) snap.raw[`${this.prefix}${name}.${c}`] = v;
    };
    if (table.name === 'decaying') keep(`decaying.${label}`);
    else if (table.name === 'totals') keep(label);
    else if (table.name === 'bins') {
      const size = row.get('size') ?? Number.NaN;
      const live = row.get('curregs');
      const slabs = row.get('curslabs');
      const regs = row.get('regs');
      const sc: SizeClassStats = { sizeBytes: size, minSizeBytes: size, table: 'small' };
      if (live !== undefined) sc.liveBlocks = live;
      const allocated = row.get('allocated');
      if (allocated !== undefined) sc.allocatedBytes = allocated;
      if (live !== undefined && slabs !== undefined && regs !== undefined) {
        sc.freeBlocks = slabs * regs - live;
        sc.freeBytes = sc.freeBlocks * size;
      }
      if (slabs !== undefined) sc.slabs = slabs;
      const nonfull = row.get('nonfull_slabs');
      if (nonfull !== undefined) sc.nonfullSlabs = nonfull;
      if (regs !== undefined && regs > 0) sc.regionsPerSlab = regs;
      // `pgs` is the slab's size in pages; "Page size:" comes before the tables.
      const pgs = row.get('pgs');
      if (pgs !== undefined) sc.slabBytes = pgs * (snap.raw['Page size'] ?? 4096);
      const util = row.get('util');
      if (util !== undefined && !Number.isNaN(util)) sc.utilization = util;
      // A class that was used but holds nothing now: not worth a row (the JSON reader drops them too).
      if (sc.liveBlocks !== 0 || (sc.freeBlocks ?? 0) !== 0) this.section.bins.push(sc);
    } else if (table.name === 'large') {
      const size = row.get('size') ?? Number.NaN;
      const sc: SizeClassStats = { sizeBytes: size, minSizeBytes: size, table: 'large' };
      const live = row.get('curlextents');
      if (live !== undefined) sc.liveBlocks = live;
      const allocated = row.get('allocated');
      if (allocated !== undefined) sc.allocatedBytes = allocated;
      if (sc.liveBlocks !== 0) this.section.large.push(sc);
    }
    // extents, mutex and HPA tables: checked above, not kept.
  }

  /** `name: value`, or several such pairs separated by commas. */
  private keyValue(text: string, lineNo: number): boolean {
    const m = KEY_VALUE.exec(text);
    if (!m) return false;
    this.table = undefined;
    const snap = this.snap as StatsSnapshot;
    const pairs = `${m[1]}: ${m[2]}`.split(PAIR_SPLIT);
    for (const pair of pairs) {
      const colon = pair.indexOf(': ');
      const key = `${this.prefix}${pair.slice(0, colon).trim()}`;
      const value = pair.slice(colon + 2).trim();
      // `10000 (arenas.dirty_decay_ms: 10000)`, `3493488 (n_thp 0)`, `0 ns`: the number first.
      const num = /^(-?\d+(?:\.\d+)?)(?:\s+(?:ns|\(.*\)))?$/.exec(value);
      if (num) {
        const n = this.series.value(Number(num[1]), lineNo, text, num[1]);
        if (n !== undefined) snap.raw[key] = n;
      }
      else snap.settings[key] = value.replace(/\s+\(.*\)$/, '').replace(/^"(.*)"$/, '$1');
    }
    return true;
  }

  private end(): void {
    const snap = this.snap as StatsSnapshot;
    this.snap = undefined;
    const raw = snap.raw;
    const page = raw['Page size'] ?? 4096;
    setIf(snap, 'allocatedBytes', raw['Allocated']);
    setIf(snap, 'activeBytes', raw['active']);
    setIf(snap, 'residentBytes', raw['resident']);
    setIf(snap, 'mappedBytes', raw['mapped']);
    setIf(snap, 'retainedBytes', raw['retained']);
    setIf(snap, 'metadataBytes', raw['metadata']);
    const version = snap.settings['Version'];
    if (version !== undefined) this.series.version = version;

    const arenaSections = this.sections.filter((s) => /^\d+$/.test(s.name));
    for (const s of arenaSections) snap.arenas.push(arenaOf(raw, `arenas[${s.name}].`, s.name, page));
    const merged = this.sections.find((s) => s.name === 'merged');
    // Totals over arenas: the merged section, or the only arena (no merged section is printed then).
    const totals = merged ? arenaOf(raw, 'merged.', 'merged', page) : sumArenas(snap.arenas);
    setIf(snap, 'dirtyBytes', totals.dirtyBytes);
    setIf(snap, 'muzzyBytes', totals.muzzyBytes);
    const classSections = merged ? [merged] : arenaSections;
    snap.sizeClasses = [...mergeClasses(classSections.map((s) => s.bins)), ...mergeClasses(classSections.map((s) => s.large))];

    const uptime = raw['merged.uptime'] ?? raw['arenas[0].uptime'];
    if (snap.timeSec === undefined && uptime !== undefined) {
      snap.timeSec = uptime / 1e9;
      snap.timeSource = 'producer';
    }
    this.series.end();
  }
}

function setIf<K extends keyof StatsSnapshot>(snap: StatsSnapshot, key: K, value: StatsSnapshot[K] | undefined): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isNaN(value))) snap[key] = value;
}

/** An arena's figures from its raw numbers (`prefix` = `arenas[0].` or `merged.`). */
function arenaOf(raw: Record<string, number>, prefix: string, name: string, page: number): ArenaStats {
  const a: ArenaStats = { name };
  const get = (k: string) => raw[`${prefix}${k}`];
  const threads = get('assigned threads');
  if (threads !== undefined) a.threads = threads;
  const fields: [keyof ArenaStats, number | undefined][] = [
    ['allocatedBytes', get('total.allocated')],
    ['activeBytes', get('active')],
    ['residentBytes', get('resident')],
    ['mappedBytes', get('mapped')],
    ['retainedBytes', get('retained')],
    ['dirtyBytes', pages(get('decaying.dirty.npages'), page)],
    ['muzzyBytes', pages(get('decaying.muzzy.npages'), page)],
  ];
  for (const [k, v] of fields) if (v !== undefined) (a as unknown as Record<string, number>)[k] = v;
  return a;
}

function pages(n: number | undefined, page: number): number | undefined {
  return n === undefined ? undefined : n * page;
}

function sumArenas(arenas: ArenaStats[]): ArenaStats {
  const out: ArenaStats = { name: 'all' };
  for (const a of arenas) {
    for (const k of ['dirtyBytes', 'muzzyBytes'] as const) {
      const v = a[k];
      if (v !== undefined) out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

/** Sums the per-section tables of the same size class. */
export function mergeClasses(tables: SizeClassStats[][]): SizeClassStats[] {
  if (tables.length === 1) return tables[0];
  const bySize = new Map<number, SizeClassStats>();
  for (const table of tables) {
    for (const sc of table) {
      const have = bySize.get(sc.sizeBytes);
      if (!have) {
        bySize.set(sc.sizeBytes, { ...sc });
        continue;
      }
      for (const k of ['liveBlocks', 'allocatedBytes', 'freeBlocks', 'freeBytes', 'slabs', 'nonfullSlabs'] as const) {
        const v = sc[k];
        if (v !== undefined) have[k] = (have[k] ?? 0) + v;
      }
    }
  }
  const merged = [...bySize.values()].sort((a, b) => a.sizeBytes - b.sizeBytes);
  // Utilization is not additive: recompute it from the summed counts.
  for (const sc of merged) {
    delete sc.utilization;
    if (sc.liveBlocks !== undefined && sc.freeBlocks !== undefined && sc.liveBlocks + sc.freeBlocks > 0) {
      sc.utilization = sc.liveBlocks / (sc.liveBlocks + sc.freeBlocks);
    }
  }
  return merged;
}
