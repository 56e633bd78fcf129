/**
 * jemalloc `malloc_stats_print` JSON output (the `J` option).
 *
 * Producer: jemalloc's `malloc_stats_print(write_cb, cbopaque, "J")`
 * (src/stats.c through its JSON emitter), or at exit with
 * `MALLOC_CONF=stats_print:true,stats_print_opts:J`. The names are the
 * `stats.*`, `arenas.*` and `opt.*` mallctls of doc/jemalloc.xml.in. Seen
 * here: jemalloc 5.3.0 (Debian libjemalloc2 5.3.0-1). A real excerpt (one
 * dump, shortened; `…` marks cuts):
 *
 *   {"jemalloc":{"version":"5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c",
 *    "config":{…},"opt":{…,"narenas":8,…,"dirty_decay_ms":10000,"muzzy_decay_ms":0,…},
 *    "arenas":{"narenas":9,…,"page":4096,…,"bin":[{"size":8,"nregs":512,"slab_size":4096,"nshards":1},…],
 *              "nlextents":196,"lextent":[{"size":16384},…]},
 *    "stats":{"allocated":13785984,"active":64458752,"metadata":3493488,"metadata_thp":0,
 *             "resident":72069120,"mapped":74956800,"retained":12075008,…},
 *    "stats.arenas":{"0":{"nthreads":1,"uptime_ns":91999999,…,"pactive":15737,"pdirty":1027,"pmuzzy":0,…,
 *                         "small":{"allocated":1026944,…},"large":{"allocated":12759040,…},
 *                         "bins":[{"nmalloc":65624,…,"curregs":1024,…,"curslabs":1024,"nonfull_slabs":1023,…},…],
 *                         "lextents":[{"curlextents":256},…],…}}}}
 *
 * Quirks handled here:
 * - 5.3 writes each dump as one line with no newline at the end, so
 *   periodic dumps appended to a file run together as `}{"jemalloc":…`.
 *   Documents are split by tracking braces and strings, not by lines (older
 *   versions indent their JSON over many lines; both work). So here, unlike
 *   every other line format, a last line without a newline is read as
 *   whole: a cut document is told by its structure instead (a document left
 *   open at the end is dropped with a truncation warning).
 * - `opt` holds duplicate keys (`stats_print` and `stats_print_opts` twice in
 *   5.3.0); the last one wins, as in JSON.parse.
 * - Bins and large classes are arrays without their size: the sizes are in
 *   `arenas.bin[i]` and `arenas.lextent[i]`, matched by index.
 * - Arenas are keyed by index (`"0"`, `"1"`), with `"merged"` and
 *   `"destroyed"` when more than one arena was used; page counts (`pactive`,
 *   `pdirty`, `pmuzzy`) are converted with `arenas.page`.
 * - Mutex profiling objects are not kept.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { ArenaStats, SizeClassStats, StatsImporter, StatsSnapshot } from './model.js';
import { mergeClasses } from './jemalloc-text.js';
import { SeriesBuilder, sniffDumps, eachLine } from './dump-reader.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const jemallocStatsJsonImporter: StatsImporter = {
  id: 'jemalloc-stats-json',
  kind: 'stats',
  description: 'jemalloc malloc_stats_print JSON (stats_print_opts:J, malloc_stats_print(…, "J"))',

  sniff(head: Head): number {
    return sniffDumps(head, 'jemalloc-stats-json');
  },

  async parse(input: Input, ctx: ParseContext) {
    const series = new SeriesBuilder(ctx, 'jemalloc', 'jemalloc JSON statistics');
    const splitter = new JsonDocuments();
    const count = await eachLine(
      input,
      ctx,
      (line, lineNo) => {
        if (splitter.depth === 0 && series.marker(line, lineNo)) return;
        splitter.feed(
          line,
          lineNo,
          (doc, startLine) => readDocument(doc, startLine, series, ctx),
          (text) => series.outside(text, lineNo),
        );
      },
      'whole',
    );
    // A writer killed mid-dump: the dumps before it are whole.
    if (splitter.depth > 0) ctx.warn('the input ends inside a JSON document (truncated?); that dump was dropped', splitter.startLine);
    return series.finish(count);
  },
};

/** The opening of a JSON document: `{` or `[` before a string, an object, an array or the end of the line (older versions indent their JSON). */
const DOCUMENT_START = /[{[]\s*(?:["{[]|$)/y;

/** Splits a stream of concatenated JSON documents. Strings may contain braces; lines may hold many documents or part of one. */
class JsonDocuments {
  depth = 0;
  startLine = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];

  feed(line: string, lineNo: number, onDocument: (text: string, startLine: number) => void, onOutside: (text: string) => void): void {
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 92 /* \ */) this.escaped = true;
        else if (c === 34 /* " */) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        // Only what opens a JSON document starts one: a program's own
        // output between dumps (`[INFO] done`, `{x}`) is text outside them.
        DOCUMENT_START.lastIndex = i;
        if ((c === 123 /* { */ || c === 91) /* [ */ && DOCUMENT_START.test(line)) {
          start = i;
          this.startLine = lineNo;
          this.depth = 1;
        } else if (c !== 32 && c !== 9) {
          // Text between documents: report the rest of the line once.
          onOutside(line.slice(i));
          return;
        }
        continue;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 /* } */ || c === 93 /* ] */) {
        this.depth--;
        if (this.depth === 0) {
          this.parts.push(line.slice(start, i + 1));
          const text = this.parts.join('');
          this.parts = [];
          start = -1;
          onDocument(text, this.startLine);
        }
      }
    }
    if (this.depth > 0) this.parts.push(`${line.slice(start)}\n`);
  }
}

function readDocument(text: string, startLine: number, series: SeriesBuilder, ctx: ParseContext): void {
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (error) {
    ctx.malformed(startLine, `invalid JSON: ${(error as Error).message}`, text.slice(0, 80));
    return;
  }
  const je = isObject(doc) ? doc.jemalloc : undefined;
  if (!isObject(je)) {
    ctx.malformed(startLine, 'JSON document without a "jemalloc" object', text.slice(0, 80));
    return;
  }
  // JSON.parse reads 1e400 as Infinity; jemalloc never writes an exponent.
  const infinite = nonFinite(je, 'jemalloc');
  if (infinite !== undefined) {
    ctx.malformed(startLine, `${infinite} is not a finite number`, text.slice(0, 80));
    return;
  }
  const snap = series.begin(startLine);
  if (typeof je.version === 'string') {
    snap.settings.version = je.version;
    series.version = je.version;
  }
  const arenasInfo = isObject(je.arenas) ? je.arenas : {};
  const page = num(arenasInfo.page) ?? 4096;
  flatten(je.opt, 'opt', snap);
  flatten(je.arenas, 'arenas', snap, new Set(['bin', 'lextent']));
  const stats = isObject(je.stats) ? je.stats : undefined;
  if (!stats) {
    ctx.malformed(startLine, 'no "stats" object (was the dump made with the "g" or "m" options only?)');
    series.end();
    return;
  }
  flatten(stats, 'stats', snap, new Set(['mutexes']));
  setNum(snap, 'allocatedBytes', stats.allocated);
  setNum(snap, 'activeBytes', stats.active);
  setNum(snap, 'residentBytes', stats.resident);
  setNum(snap, 'mappedBytes', stats.mapped);
  setNum(snap, 'retainedBytes', stats.retained);
  setNum(snap, 'metadataBytes', stats.metadata);

  const binSizes = Array.isArray(arenasInfo.bin) ? arenasInfo.bin.map((b) => (isObject(b) ? b : {})) : [];
  const lextentSizes = Array.isArray(arenasInfo.lextent) ? arenasInfo.lextent.map((b) => (isObject(b) ? num(b.size) : undefined)) : [];
  const perArena = isObject(je['stats.arenas']) ? je['stats.arenas'] : {};
  const classesOf = (a: JsonObject) => classes(a, binSizes, lextentSizes);
  const arenaKeys = Object.keys(perArena).filter((k) => /^\d+$/.test(k));
  for (const key of arenaKeys) {
    const a = perArena[key];
    if (!isObject(a)) continue;
    flatten(a, `stats.arenas.${key}`, snap, new Set(['mutexes', 'bins', 'lextents', 'extents', 'hpa_shard']));
    snap.arenas.push(arenaOf(a, key, page));
  }
  const merged = isObject(perArena.merged) ? perArena.merged : undefined;
  if (merged) flatten(merged, 'stats.arenas.merged', snap, new Set(['mutexes', 'bins', 'lextents', 'extents', 'hpa_shard']));
  const totals = merged ? arenaOf(merged, 'merged', page) : undefined;
  const dirty = totals ? totals.dirtyBytes : sum(snap.arenas.map((a) => a.dirtyBytes));
  const muzzy = totals ? totals.muzzyBytes : sum(snap.arenas.map((a) => a.muzzyBytes));
  if (dirty !== undefined) snap.dirtyBytes = dirty;
  if (muzzy !== undefined) snap.muzzyBytes = muzzy;
  const sources = merged ? [merged] : arenaKeys.map((k) => perArena[k]).filter(isObject);
  const perSource = sources.map(classesOf);
  snap.sizeClasses = [...mergeClasses(perSource.map((c) => c.small)), ...mergeClasses(perSource.map((c) => c.large))];
  const uptime = num((merged ?? (isObject(perArena['0']) ? perArena['0'] : {})).uptime_ns);
  if (snap.timeSec === undefined && uptime !== undefined) {
    snap.timeSec = uptime / 1e9;
    snap.timeSource = 'producer';
  }
  series.end();
}

function arenaOf(a: JsonObject, name: string, page: number): ArenaStats {
  const out: ArenaStats = { name };
  const threads = num(a.nthreads);
  if (threads !== undefined) out.threads = threads;
  const small = isObject(a.small) ? num(a.small.allocated) : undefined;
  const large = isObject(a.large) ? num(a.large.allocated) : undefined;
  if (small !== undefined || large !== undefined) out.allocatedBytes = (small ?? 0) + (large ?? 0);
  const pactive = num(a.pactive);
  if (pactive !== undefined) out.activeBytes = pactive * page;
  setNum(out, 'residentBytes', a.resident);
  setNum(out, 'mappedBytes', a.mapped);
  setNum(out, 'retainedBytes', a.retained);
  const pdirty = num(a.pdirty);
  if (pdirty !== undefined) out.dirtyBytes = pdirty * page;
  const pmuzzy = num(a.pmuzzy);
  if (pmuzzy !== undefined) out.muzzyBytes = pmuzzy * page;
  return out;
}

function classes(a: JsonObject, binInfo: JsonObject[], lextentSizes: (number | undefined)[]): { small: SizeClassStats[]; large: SizeClassStats[] } {
  const small: SizeClassStats[] = [];
  const large: SizeClassStats[] = [];
  if (Array.isArray(a.bins)) {
    a.bins.forEach((b, i) => {
      const info = binInfo[i];
      const size = info ? num(info.size) : undefined;
      if (!isObject(b) || size === undefined) return;
      const live = num(b.curregs) ?? 0;
      const slabs = num(b.curslabs) ?? 0;
      const regs = num(info.nregs) ?? 0;
      if (live === 0 && slabs === 0) return; // nothing in this class, as the text output's `---`
      const sc: SizeClassStats = { sizeBytes: size, minSizeBytes: size, table: 'small', liveBlocks: live, allocatedBytes: live * size };
      sc.freeBlocks = slabs * regs - live;
      sc.freeBytes = sc.freeBlocks * size;
      if (slabs * regs > 0) sc.utilization = live / (slabs * regs);
      sc.slabs = slabs;
      const nonfull = num(b.nonfull_slabs);
      if (nonfull !== undefined) sc.nonfullSlabs = nonfull;
      if (regs > 0) sc.regionsPerSlab = regs;
      const slabBytes = num(info.slab_size);
      if (slabBytes !== undefined) sc.slabBytes = slabBytes;
      small.push(sc);
    });
  }
  if (Array.isArray(a.lextents)) {
    a.lextents.forEach((l, i) => {
      const size = lextentSizes[i];
      const live = isObject(l) ? num(l.curlextents) : undefined;
      if (size === undefined || !live) return;
      large.push({ sizeBytes: size, minSizeBytes: size, table: 'large', liveBlocks: live, allocatedBytes: live * size });
    });
  }
  return { small, large };
}

/** The path of the first number in `v` that is not finite, or undefined. */
function nonFinite(v: Json, path: string): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = nonFinite(v[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
  } else if (isObject(v)) {
    for (const [k, value] of Object.entries(v)) {
      const bad = nonFinite(value, `${path}.${k}`);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: Json | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function setNum<T extends object>(target: T, key: keyof T, v: Json | undefined): void {
  const n = num(v);
  if (n !== undefined) (target as Record<keyof T, unknown>)[key] = n;
}

function sum(values: (number | undefined)[]): number | undefined {
  let total: number | undefined;
  for (const v of values) if (v !== undefined) total = (total ?? 0) + v;
  return total;
}

/** Scalar numbers into `raw` and strings/booleans into `settings`, as `prefix.a.b`; arrays and `skip` keys left out. */
function flatten(v: Json | undefined, prefix: string, snap: StatsSnapshot, skip = new Set<string>()): void {
  if (!isObject(v)) return;
  for (const [k, value] of Object.entries(v)) {
    if (skip.has(k)) continue;
    const key = `${prefix}.${k}`;
    if (typeof value === 'number') snap.raw[key] = value;
    else if (typeof value === 'string' || typeof value === 'boolean') snap.settings[key] = String(value);
    else if (isObject(value)) flatten(value, key, snap, skip);
  }
}
