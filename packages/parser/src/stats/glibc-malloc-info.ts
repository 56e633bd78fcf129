/**
 * glibc `malloc_info` XML.
 *
 * Producer: glibc's `malloc_info(0, FILE *)` (malloc/malloc.c,
 * `__malloc_info`), which a program calls itself (there is no environment
 * switch). The element set is fixed by that function and documented in
 * malloc_info(3). Seen here: glibc 2.36 (Debian 2.36-9+deb12u14), one and
 * two arenas. A real excerpt (a second arena, shortened; `…` marks cuts):
 *
 *   <malloc version="1">
 *   <heap nr="0">
 *   <sizes>
 *   </sizes>
 *   <total type="fast" count="0" size="0"/>
 *   <total type="rest" count="1" size="36368"/>
 *   <system type="current" size="4251648"/>
 *   <system type="max" size="4251648"/>
 *   <aspace type="total" size="4251648"/>
 *   <aspace type="mprotect" size="4251648"/>
 *   </heap>
 *   <heap nr="1">
 *   <sizes>
 *     <size from="33" to="33" total="1386" count="42"/>
 *   …
 *     <size from="10753" to="12097" total="1494941" count="125"/>
 *     <unsorted from="1761" to="1761" total="1761" count="1"/>
 *   </sizes>
 *   <total type="fast" count="0" size="0"/>
 *   <total type="rest" count="7625" size="12982872"/>
 *   <system type="current" size="22491136"/>
 *   …
 *   <aspace type="subheaps" size="1"/>
 *   </heap>
 *   <total type="fast" count="0" size="0"/>
 *   <total type="rest" count="7626" size="13019240"/>
 *   <total type="mmap" count="0" size="0"/>
 *   <system type="current" size="26742784"/>
 *   …
 *   </malloc>
 *
 * Quirks handled here:
 * - One element per line; a tiny reader of exactly this element set (no
 *   XML library): `malloc`, `heap`, `sizes`, `size`, `unsorted`, `total`,
 *   `system`, `aspace`. An element outside that set is skipped with a
 *   warning (later glibc versions may add some); a line that is not one
 *   element is malformed.
 * - `<sizes>` is a histogram of *free* chunks (fast bins first, then the
 *   regular bins, then `<unsorted>`), not of allocations.
 * - `total type="rest"` counts the top chunk too (its `count` starts at 1),
 *   so in-use bytes of an arena are `system current − fast − rest`, as
 *   mallinfo computes them.
 * - Chunks served by mmap are only in the last `total type="mmap"`; they
 *   are in use by definition.
 * - Non-main arenas add `aspace type="subheaps"`.
 */
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { ArenaStats, SizeClassStats, StatsImporter, StatsSnapshot } from './model.js';
import { SeriesBuilder, sniffDumps, eachLine } from './dump-reader.js';

const ELEMENT = /^\s*<(\/?)([a-z]+)((?:\s+[a-z]+="[^"]*")*)\s*(\/?)>\s*$/;
const ATTRIBUTE = /([a-z]+)="([^"]*)"/g;

/** One `<heap>` (arena) being read. */
interface Heap {
  nr: string;
  values: Record<string, number>;
}

export const glibcMallocInfoImporter: StatsImporter = {
  id: 'glibc-malloc-info',
  kind: 'stats',
  description: 'glibc malloc_info() XML',

  sniff(head: Head): number {
    return sniffDumps(head, 'glibc-malloc-info');
  },

  async parse(input: Input, ctx: ParseContext) {
    const reader = new MallocInfoReader(ctx);
    const count = await eachLine(input, ctx, (line, lineNo) => reader.line(line, lineNo));
    return reader.finish(count);
  },
};

class MallocInfoReader {
  private readonly series: SeriesBuilder;
  private snap: StatsSnapshot | undefined;
  private heap: Heap | undefined;
  private inSizes = false;
  private heaps: Heap[] = [];
  private free = new Map<string, SizeClassStats>();

  constructor(private readonly ctx: ParseContext) {
    this.series = new SeriesBuilder(ctx, 'glibc', 'malloc_info output');
  }

  line(text: string, lineNo: number): void {
    if (!this.snap && this.series.marker(text, lineNo)) return;
    if (text.trim() === '') return;
    const m = ELEMENT.exec(text);
    if (!m) {
      if (this.snap) this.ctx.malformed(lineNo, 'not a malloc_info element', text);
      else this.series.outside(text, lineNo);
      return;
    }
    const [, closing, name, attrText, selfClosing] = m;
    const attrs: Record<string, string> = {};
    for (const a of attrText.matchAll(ATTRIBUTE)) attrs[a[1]] = a[2];
    if (name === 'malloc') {
      if (closing) this.end(lineNo);
      else this.begin(lineNo, attrs);
      return;
    }
    if (!this.snap) {
      this.series.outside(text, lineNo);
      return;
    }
    switch (name) {
      case 'heap':
        if (closing) {
          if (this.heap) this.heaps.push(this.heap);
          this.heap = undefined;
        } else {
          if (this.heap) this.ctx.malformed(lineNo, '<heap> inside <heap>', text);
          this.heap = { nr: attrs.nr ?? String(this.heaps.length), values: {} };
        }
        return;
      case 'sizes':
        this.inSizes = !closing && !selfClosing;
        return;
      case 'size':
      case 'unsorted':
        if (!this.inSizes) this.ctx.malformed(lineNo, `<${name}> outside <sizes>`, text);
        else this.bucket(name, attrs, lineNo, text);
        return;
      case 'total':
      case 'system':
      case 'aspace': {
        if (!attrs.type || !/^\d+$/.test(attrs.size ?? '') || (attrs.count !== undefined && !/^\d+$/.test(attrs.count))) {
          this.ctx.malformed(lineNo, `<${name}> needs a type and a numeric size (and count)`, text);
          return;
        }
        const size = this.series.value(Number(attrs.size), lineNo, text, attrs.size);
        const count = attrs.count === undefined ? undefined : this.series.value(Number(attrs.count), lineNo, text, attrs.count);
        if (size === undefined || (attrs.count !== undefined && count === undefined)) return;
        const target = this.heap ? this.heap.values : (this.snap.raw as Record<string, number>);
        const prefix = this.heap ? '' : 'malloc.';
        target[`${prefix}${name}.${attrs.type}.size`] = size;
        if (count !== undefined) target[`${prefix}${name}.${attrs.type}.count`] = count;
        return;
      }
      default:
        this.ctx.warn(`malloc_info element <${name}> not understood, skipped`, lineNo);
    }
  }

  finish(lineCount: number) {
    if (this.snap) {
      this.ctx.malformed(this.snap.line, 'no closing </malloc> (truncated?)');
      this.end(lineCount);
    }
    return this.series.finish(lineCount);
  }

  private begin(lineNo: number, attrs: Record<string, string>): void {
    if (this.snap) {
      this.ctx.malformed(lineNo, '<malloc> inside <malloc>');
      this.end(lineNo);
    }
    this.snap = this.series.begin(lineNo);
    // The format's version, not glibc's (glibc does not print its own).
    if (attrs.version !== undefined) this.snap.settings['malloc.version'] = attrs.version;
    this.heap = undefined;
    this.heaps = [];
    this.free = new Map();
    this.inSizes = false;
  }

  private bucket(kind: string, attrs: Record<string, string>, lineNo: number, text: string): void {
    const texts = ['from', 'to', 'total', 'count'].map((k) => attrs[k] ?? '');
    if (!texts.every((t) => /^\d+$/.test(t))) {
      this.ctx.malformed(lineNo, `<${kind}> needs numeric from, to, total and count`, text);
      return;
    }
    const nums = texts.map((t) => this.series.value(Number(t), lineNo, text, t));
    if (nums.some((n) => n === undefined)) return;
    const [from, to, total, count] = nums as number[];
    // Buckets are merged over arenas; the unsorted bin stays its own row.
    const key = `${kind}:${from}:${to}`;
    const have = this.free.get(key);
    if (have) {
      have.freeBytes = (have.freeBytes ?? 0) + total;
      have.freeBlocks = (have.freeBlocks ?? 0) + count;
    } else {
      this.free.set(key, { sizeBytes: to, minSizeBytes: from, table: 'free-chunks', freeBytes: total, freeBlocks: count });
    }
  }

  private end(lineNo: number): void {
    const snap = this.snap;
    if (!snap) {
      this.ctx.malformed(lineNo, '</malloc> without <malloc>');
      return;
    }
    if (this.heap) {
      this.ctx.malformed(lineNo, '</malloc> inside an open <heap>');
      this.heaps.push(this.heap);
      this.heap = undefined;
    }
    let inUse = 0;
    for (const h of this.heaps) {
      const v = h.values;
      const system = v['system.current.size'];
      const free = (v['total.fast.size'] ?? 0) + (v['total.rest.size'] ?? 0);
      const arena: ArenaStats = { name: h.nr, freeBytes: free };
      if (system !== undefined) {
        arena.mappedBytes = system;
        arena.allocatedBytes = system - free;
        inUse += system - free;
      }
      snap.arenas.push(arena);
      for (const [k, n] of Object.entries(v)) snap.raw[`heap[${h.nr}].${k}`] = n;
    }
    const mmap = snap.raw['malloc.total.mmap.size'] ?? 0;
    const system = snap.raw['malloc.system.current.size'];
    if (this.heaps.length > 0) snap.allocatedBytes = inUse + mmap;
    if (system !== undefined) snap.mappedBytes = system + mmap;
    snap.sizeClasses = [...this.free.values()].sort((a, b) => a.sizeBytes - b.sizeBytes || a.minSizeBytes - b.minSizeBytes);
    this.series.end();
    this.snap = undefined;
  }
}
