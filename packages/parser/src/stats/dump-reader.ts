/**
 * What every statistics importer shares: reading lines in batches, the
 * `### <seconds> [label]` separator line, and collecting snapshots into an
 * {@link AllocatorStats}.
 *
 * The separator is heapscope's own convention, not any allocator's: a
 * collector that dumps statistics periodically may write
 * `### <seconds> [label]` before each dump (for example
 * `echo "### $(date +%s.%N)"`), and the dump gets that time. Allocator dumps
 * have their own begin/end lines and need no separator; /proc snapshots have
 * none, so there the separator (or the repetition of the first line of a
 * status file) is what splits them.
 */
import { ParseError, excerpt } from '../errors.js';
import type { Head, ParseContext } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { AllocatorStats, MemoryFigures, StatsAllocator, StatsSnapshot } from './model.js';
import { counted } from '../plural.js';
import { DUMP_STARTS, DumpStartFinder, dumpStartOf, type DumpStart } from './dump-starts.js';

/** `### <seconds> [label]`. */
const MARKER = /^###[ \t]+(-?\d+(?:\.\d+)?)(?:[ \t]+(.*?))?[ \t]*$/;

/** A parsed separator line. */
export interface Marker {
  timeSec: number;
  label?: string;
}

/** The separator line's time and label, or undefined when `line` is not one. */
export function parseMarker(line: string): Marker | undefined {
  if (line.charCodeAt(0) !== 35 /* # */) return undefined;
  const m = MARKER.exec(line);
  if (!m) return undefined;
  return m[2] ? { timeSec: Number(m[1]), label: m[2] } : { timeSec: Number(m[1]) };
}

/** The first `max` lines of the head that are neither blank nor separator lines. */
export function contentLines(head: Head, max = 8): string[] {
  const out: string[] = [];
  let start = 0;
  const text = head.text;
  while (start < text.length && out.length < max) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() !== '' && !parseMarker(line)) out.push(line);
    start = end + 1;
  }
  return out;
}

/** Every content line of a head, split once for all the statistics sniffers. */
const allContentLines = new WeakMap<Head, string[]>();

/**
 * A statistics sniffer's confidence that the head holds dumps of `format`
 * (dump-starts.ts says where they start): 1 when the first content line
 * starts one, less when a later one does — a dump printed on stderr (at
 * exit, or periodically) follows whatever the program itself wrote there,
 * and the importers count those lines in a warning. Why the later the less
 * (0.8 down to 0.7): of a log holding dumps of two formats, the one whose
 * dump comes first is read, as past the head (past-head.ts); below 0.8, as
 * before, so that no other format's 0.8 loses to it.
 */
export function sniffDumps(head: Head, format: string): number {
  let lines = allContentLines.get(head);
  if (!lines) {
    lines = contentLines(head, Number.POSITIVE_INFINITY);
    allContentLines.set(head, lines);
  }
  const { starts } = dumpStartOf(format);
  for (let i = 0; i < lines.length; i++) {
    if (starts(lines[i], lines[i + 1])) return i === 0 ? 1 : 0.8 - (0.1 * i) / lines.length;
  }
  return 0;
}

/**
 * Feeds every line of `input` to `each` (1-based line numbers), in batches.
 * Returns the number of lines read; an empty input is malformed. A last
 * line without a newline is dropped as cut short, unless the format allows
 * it (`finalLine: 'whole'`, see ParseContext.lines).
 */
export async function eachLine(
  input: Input,
  ctx: ParseContext,
  each: (line: string, lineNo: number) => void,
  finalLine: 'cut' | 'whole' = 'cut',
): Promise<number> {
  const lines = ctx.lines(input, finalLine);
  for await (const { lines: batch, firstLine } of lines) {
    for (let i = 0; i < batch.length; i++) each(batch[i], firstLine + i);
  }
  if (lines.linesRead === 0) ctx.malformed(1, 'input is empty');
  return lines.linesRead;
}

/**
 * The largest figure accepted: beyond 2^53 no integer is exact, and no
 * machine has that many bytes; such a value is a number cut short or
 * corrupted (`size="99999999999999999999999"`), never data.
 */
export const MAX_FIGURE = 2 ** 53;

/** Whether `n` is a usable figure: finite, of magnitude at most 2^53. */
export function isFigure(n: number): boolean {
  return Math.abs(n) <= MAX_FIGURE;
}

/** The figures a snapshot may have, with the names messages give them. */
const FIGURE_NAMES: readonly [keyof MemoryFigures | 'rssBytes', string][] = [
  ['allocatedBytes', 'allocated'],
  ['activeBytes', 'active'],
  ['residentBytes', 'resident'],
  ['mappedBytes', 'mapped'],
  ['retainedBytes', 'retained'],
  ['dirtyBytes', 'dirty'],
  ['muzzyBytes', 'muzzy'],
  ['rssBytes', 'RSS'],
];

/** A decimal number, strictly (no hex, no exponent, no trailing text); NaN otherwise. */
export function decimal(text: string): number {
  return /^-?\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
}

/**
 * Collects the snapshots of one input. Importers call `begin` where a dump
 * starts and `end` where it ends; text outside any dump (a program's own
 * output around an at-exit dump on stderr) is counted and reported as one
 * warning, never dropped silently.
 */
export class SeriesBuilder {
  private readonly snapshots: StatsSnapshot[] = [];
  private pending: (Marker & { line: number }) | undefined;
  private open: StatsSnapshot | undefined;
  private outsideCount = 0;
  private outsideFirst = 0;
  private outsideText = '';
  /** Finds other formats' dumps among the lines outside this one's. */
  private readonly others: DumpStartFinder;
  /** The first of them, once found. */
  private other: { start: DumpStart; line: number } | undefined;
  /** Figures an importer left out of a dump on purpose, having said why (see {@link leftOut}). */
  private readonly omitted = new WeakMap<StatsSnapshot, Set<string>>();
  version: string | undefined;

  constructor(
    private readonly ctx: ParseContext,
    private readonly allocator: StatsAllocator,
    /** What the producer's dumps are called in messages (`jemalloc statistics`). */
    private readonly what: string,
  ) {
    this.others = new DumpStartFinder(DUMP_STARTS.filter((d) => d.format !== ctx.format));
  }

  /** The dump being read, if any. */
  get current(): StatsSnapshot | undefined {
    return this.open;
  }

  /** Handles a separator line: its time and label go to the next dump. True when `line` was one. */
  marker(line: string, lineNo: number): boolean {
    const m = parseMarker(line);
    if (!m) return false;
    if (this.pending) this.ctx.warn('a "###" separator line with no dump after it', this.pending.line);
    this.pending = { ...m, line: lineNo };
    return true;
  }

  /** Starts a dump at `lineNo` (ending the open one, if any). */
  begin(lineNo: number): StatsSnapshot {
    if (this.open) this.end();
    const snap: StatsSnapshot = { index: this.snapshots.length, line: lineNo, arenas: [], sizeClasses: [], raw: {}, settings: {} };
    if (this.pending) {
      snap.timeSec = this.pending.timeSec;
      snap.timeSource = 'marker';
      if (this.pending.label !== undefined) snap.label = this.pending.label;
      this.pending = undefined;
    }
    this.open = snap;
    return snap;
  }

  /** Ends the open dump. */
  end(): StatsSnapshot | undefined {
    const snap = this.open;
    if (snap) {
      this.checkFigures(snap);
      this.snapshots.push(snap);
    }
    this.open = undefined;
    return snap;
  }

  /**
   * `value` (read as `text` at `lineNo`), or undefined after reporting the
   * line when it is no usable figure (see {@link MAX_FIGURE}).
   */
  value(value: number, lineNo: number, line: string, text = String(value)): number | undefined {
    if (isFigure(value)) return value;
    this.ctx.malformed(lineNo, `the value ${excerpt(text)} is beyond 2^53`, line);
    return undefined;
  }

  /**
   * Figures computed from others (pages × page size, objects × class size,
   * an arena's bytes less its free ones) can still be absurd when each part
   * was not, and a damaged dump can print a byte count below zero, which no
   * allocator does: each is checked, reported at the dump's line, and left
   * out.
   */
  private checkFigures(snap: StatsSnapshot): void {
    const check = (where: string, figures: object) => {
      for (const [key, value] of Object.entries(figures)) {
        if (typeof value !== 'number' || !/Bytes$|Blocks$/.test(key) || (isFigure(value) && value >= 0)) continue;
        this.ctx.malformed(snap.line, `${where}${key} is ${value}, ${value < 0 ? 'below zero' : 'beyond 2^53'}`);
        delete (figures as Record<string, unknown>)[key];
      }
    };
    check('the dump\'s ', snap);
    for (const a of snap.arenas) check(`arena ${a.name}'s `, a);
    for (const c of snap.sizeClasses) check(`size class ${c.sizeBytes}'s `, c);
  }

  /**
   * Says that `snap` lacks `figures` on purpose (the importer warned why):
   * its lacking them is then no sign of a dump cut short.
   */
  leftOut(snap: StatsSnapshot, ...figures: (keyof MemoryFigures)[]): void {
    const set = this.omitted.get(snap) ?? new Set<string>();
    for (const f of figures) set.add(f);
    this.omitted.set(snap, set);
  }

  /** A non-blank line outside any dump. */
  outside(line: string, lineNo: number): void {
    if (this.outsideCount === 0) {
      this.outsideFirst = lineNo;
      this.outsideText = line;
    }
    this.outsideCount++;
    this.other ??= this.others.next(line, lineNo);
  }

  /**
   * The series; throws when the input held no dump at all. `complete` sets
   * what an importer derives from a whole dump (the proc importer's RSS)
   * before the dumps are compared: a dump without a figure the file's other
   * dumps have lost it (a dump cut short, whose next one began) — said in a
   * warning that names the dump.
   */
  finish(lineCount: number, complete?: (snap: StatsSnapshot) => void): AllocatorStats {
    if (this.open) this.end();
    if (complete) this.snapshots.forEach(complete);
    for (const [key, name] of FIGURE_NAMES) {
      const without = this.snapshots.filter((s) => s[key] === undefined && !this.omitted.get(s)?.has(key));
      if (without.length === 0 || without.length === this.snapshots.length) continue;
      for (const s of without) this.ctx.warn(`a dump lacks the ${name} figure the file's other dumps have (truncated dump?)`, s.line);
    }
    if (this.snapshots.length === 0) {
      const where = this.outsideCount > 0 ? this.outsideFirst : 1;
      const text = this.outsideCount > 0 ? excerpt(this.outsideText) : undefined;
      throw new ParseError(this.ctx.file, where, `no ${this.what} found`, this.ctx.format, text);
    }
    if (this.outsideCount > 0) {
      this.ctx.warn(`${counted(this.outsideCount, 'line')} outside the ${this.what} ignored (first: "${excerpt(this.outsideText)}")`, this.outsideFirst);
    }
    // Another format's dumps (a program that printed jemalloc's text at exit
    // and its JSON on a signal) are among those lines: say so, by name.
    this.other ??= this.others.end();
    if (this.other) {
      this.ctx.warn(`${this.other.start.what} from this line on not read: a file is read as one format, here ${this.what} (give the other dumps in a file of their own)`, this.other.line);
    }
    if (this.pending) this.ctx.warn('a "###" separator line with no dump after it', Math.min(this.pending.line, lineCount));
    const stats: AllocatorStats = {
      format: this.ctx.format,
      allocator: this.allocator,
      file: this.ctx.file,
      snapshots: this.snapshots,
      warnings: this.ctx.warningList(),
    };
    if (this.version !== undefined) stats.version = this.version;
    return stats;
  }
}
