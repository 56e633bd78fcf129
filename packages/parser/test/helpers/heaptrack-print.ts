/**
 * heaptrack_print's numbers, to check heapscope against: its flamegraph
 * output (`-F FILE --flamegraph-cost-type allocations|temporary|leaked|peak`,
 * one "frame;frame;…; value" line per allocation stack, root first; recorded
 * in fixtures/heaptrack/golden/ or made by running heaptrack_print), the
 * totals and the top sites of its report, and heapscope's stacks written
 * the way heaptrack_print writes them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HeapProfile } from '@heapscope/parser';
import { installed } from '@heapscope/testkit/reference-tools';

/** The cost types of heaptrack_print's flamegraph output. */
export const HEAPTRACK_COSTS = ['allocations', 'temporary', 'leaked', 'peak'] as const;
export type HeaptrackCost = (typeof HEAPTRACK_COSTS)[number];

/** Whether heaptrack_print (Debian package heaptrack, installed by scripts/setup.sh) is on the PATH. */
export const HAVE_HEAPTRACK_PRINT = installed('heaptrack_print', ['--version']);

/**
 * Reads flamegraph output into stack → summed value. heaptrack_print writes
 * a frame without a function as its address followed by its file; heapscope
 * keeps no file for such a frame, so the file is dropped here.
 */
export function readCollapsed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const space = line.lastIndexOf(' ');
    const key = line
      .slice(0, space)
      .split(';')
      .map((f) => (/^0x[0-9a-f]+ \(/.test(f) ? f.slice(0, f.indexOf(' ')) : f))
      .join(';');
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(space + 1)));
  }
  return out;
}

/** heaptrack_print's flamegraph of `file` for one cost type, every leak counted (no suppressions). */
export async function runHeaptrackPrint(file: string, cost: HeaptrackCost): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'heapscope-heaptrack-print-'));
  try {
    const out = join(dir, 'stacks.txt');
    await promisify(execFile)(
      'heaptrack_print',
      ['-f', file, '--disable-builtin-suppressions', '--disable-embedded-suppressions', '-p', '0', '-a', '0', '-T', '0', '-F', out, '--flamegraph-cost-type', cost],
      { maxBuffer: 1 << 28 },
    );
    return readCollapsed(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sum of a flamegraph's values. */
export function total(stacks: Map<string, number>): number {
  let sum = 0;
  for (const v of stacks.values()) sum += v;
  return sum;
}

/** The functions heaptrack_print ends a backtrace at (its "stop indices"). */
const STOP_FUNCTIONS = new Set(['main', '__libc_start_main', '__static_initialization_and_destruction_0']);

/**
 * A heapscope stack as heaptrack_print's flamegraph writes it: root first,
 * starting at the stop function nearest the leaf (main) when there is one;
 * each location's lines innermost first, as `function (file basename);`, a
 * location without lines as `0x<address>;`.
 */
export function heaptrackStackKey(p: HeapProfile, stack: number): string {
  const locations = p.stackLocations(stack); // leaf first
  const { lineStart, lineFunction } = p.locations;
  const nameOf = (line: number) => p.strings[p.functions.name[lineFunction[line]]];
  let end = locations.length;
  for (let k = 0; k < locations.length; k++) {
    const l = locations[k];
    if (lineStart[l + 1] > lineStart[l] && STOP_FUNCTIONS.has(nameOf(lineStart[l]))) {
      end = k + 1;
      break;
    }
  }
  let key = '';
  for (let k = end - 1; k >= 0; k--) {
    const l = locations[k];
    if (lineStart[l + 1] === lineStart[l]) {
      key += `${p.addressHex(l)};`;
      continue;
    }
    for (let i = lineStart[l]; i < lineStart[l + 1]; i++) {
      const file = p.strings[p.functions.fileName[lineFunction[i]]];
      key += file === '' ? `${nameOf(i)};` : `${nameOf(i)} (${file.slice(file.lastIndexOf('/') + 1)});`;
    }
  }
  return key;
}

/** Per-stack values (indexed by sample) summed by heaptrack key; zero sums are left out, as heaptrack's zero rows are. */
export function byHeaptrackKey(p: HeapProfile, stacks: ArrayLike<number>, values: ArrayLike<number>): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < stacks.length; i++) {
    const key = heaptrackStackKey(p, stacks[i]);
    out.set(key, (out.get(key) ?? 0) + values[i]);
  }
  return withoutZeros(out);
}

/** The map without zero values. */
export function withoutZeros(m: Map<string, number>): Map<string, number> {
  return new Map([...m].filter(([, v]) => v !== 0));
}

/** Bytes as heaptrack_print prints them: 1000-based K/M/G/T with two decimals, plain B below 1000. */
export function heaptrackBytes(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = bytes;
  let i = 0;
  while (i < units.length - 1 && Math.abs(v) > 1000) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[i]}`;
}

/** A C++ name with its template arguments left out, as heaptrack_print shortens them (`QFlags<QArrayData::AllocationOption>` → `QFlags<>`). */
export function shortenTemplates(name: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if ((c === '<' || c === '>') && /operator[<>]?$/.test(out)) {
      out += c;
      continue;
    }
    if (c === '<' && depth++ === 0) out += c;
    else if (c === '>') depth--;
    if (depth === 0) out += c;
  }
  return out;
}

/** heaptrack_print's default report on `file` (every leak counted). */
export function runHeaptrackPrintReport(file: string): string {
  return execFileSync('heaptrack_print', ['-f', file, '--disable-builtin-suppressions', '--disable-embedded-suppressions'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}

/** The totals at the end of a heaptrack_print report, as printed (bytes rounded to 2 decimals of K/M/G, 1000-based). */
export interface PrintTotals {
  calls: number;
  temporary: number;
  peakBytes: number;
  leakedBytes: number;
}

const UNITS: Record<string, number> = { B: 1, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

function bytesOf(text: string): number {
  const m = /^(-?[\d.]+)([BKMGT])$/.exec(text.trim());
  if (!m) throw new Error(`not a heaptrack size: ${text}`);
  return Number(m[1]) * UNITS[m[2]];
}

/** Reads the totals of a heaptrack_print report. */
export function readPrintTotals(report: string): PrintTotals {
  const field = (label: string) => {
    const m = new RegExp(`^${label}: (\\S+)`, 'm').exec(report);
    if (!m) throw new Error(`no "${label}" in the report`);
    return m[1];
  };
  return {
    calls: Number(field('calls to allocation functions')),
    temporary: Number(field('temporary memory allocations')),
    peakBytes: bytesOf(field('peak heap memory consumption')),
    leakedBytes: bytesOf(field('total memory leaked')),
  };
}

/** The sites (first function line) and counts of one section of a heaptrack_print report, in its order. */
export function readPrintSection(report: string, title: string): { value: string; site: string }[] {
  const start = report.indexOf(`${title}\n`);
  if (start < 0) throw new Error(`no section "${title}"`);
  const lines = report.slice(start + title.length + 1).split('\n');
  const out: { value: string; site: string }[] = [];
  for (let i = 0; i < lines.length && !/^[A-Z ]+$/.test(lines[i]); i++) {
    // An entry: "<value> <words> from" then the site's function on the next line.
    const m = /^(\S+) (calls to allocation functions|peak memory consumed|temporary allocations of) .* from$/.exec(lines[i]);
    if (m) out.push({ value: m[1], site: lines[i + 1] });
  }
  return out;
}

/** The "heaptrack stats:" block heaptrack_interpret prints: its own counts. */
export function readHeaptrackStats(text: string): { allocations: number; leaked: number; temporary: number } {
  const value = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  return { allocations: value('allocations'), leaked: value('leaked allocations'), temporary: value('temporary allocations') };
}
