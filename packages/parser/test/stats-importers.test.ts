/**
 * The allocator-statistics importers, on the real dumps in fixtures/stats
 * (see fixtures/README.md, "Allocator statistics"), and on a corpus of
 * broken inputs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ParseError,
  detectImporter,
  importerById,
  openBytes,
  openInput,
  parseStats,
  type AllocatorStats,
  type StatsImporter,
} from '@heapscope/parser';
import { FIXTURES, displayName, findFiles } from '@heapscope/testkit/paths';

const STATS = join(FIXTURES, 'stats');
const MODES = ['leak', 'fragment', 'steady', 'retain'];
/** The baseline and one dump per step (fixtures/scripts/stats.sh). */
const POINTS = 7;

/** Which importer each fixture file name is, and which allocator wrote it. */
const BY_NAME: Record<string, { id: string; allocator: string }> = {
  'jemalloc-stats.txt.gz': { id: 'jemalloc-stats', allocator: 'jemalloc' },
  'jemalloc-stats.json.gz': { id: 'jemalloc-stats-json', allocator: 'jemalloc' },
  'malloc-info.xml': { id: 'glibc-malloc-info', allocator: 'glibc' },
  'malloc-stats.txt': { id: 'glibc-malloc-stats', allocator: 'glibc' },
  'tcmalloc-stats.txt': { id: 'tcmalloc-stats', allocator: 'tcmalloc' },
  'mimalloc-stats.txt': { id: 'mimalloc-stats', allocator: 'mimalloc' },
  'proc.txt': { id: 'proc', allocator: 'proc' },
};

const files = findFiles(STATS, /^(jemalloc-stats\.(txt|json)\.gz|malloc-info\.xml|malloc-stats\.txt|tcmalloc-stats\.txt|mimalloc-stats\.txt|proc\.txt)$/);

async function load(path: string, chunkBytes?: number): Promise<AllocatorStats> {
  const input = await openInput(path, { chunkBytes });
  const importer = detectImporter(input);
  if (importer.kind !== 'stats') throw new Error(`${path}: detected as ${importer.id}`);
  return parseStats(input, importer);
}

async function parse(text: string, id: string, options: { lenient?: boolean; chunkBytes?: number } = {}): Promise<AllocatorStats> {
  const input = await openBytes('bad.txt', new TextEncoder().encode(text), { chunkBytes: options.chunkBytes });
  return parseStats(input, importerById(id) as StatsImporter, { lenient: options.lenient });
}

function text(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** The numbers of every line matching `re` (its first group), in file order. */
function grepNumbers(path: string, re: RegExp): number[] {
  return [...text(path).matchAll(new RegExp(re, 'gm'))].map((m) => Number(m[1]));
}

describe('statistics fixtures', () => {
  it('are all there', () => {
    // 5 allocators × 4 modes, proc.txt in each, plus the at-exit dumps.
    expect(files.length).toBeGreaterThanOrEqual(5 * 4 * 2 + 5);
  });

  for (const path of files) {
    const name = path.replace(/.*\//, '');
    const expected = BY_NAME[name];
    // At-exit dumps, and the one after malloc_trim(0) in glibc/pinned/trimmed/.
    const atExit = /\/(exit|trimmed|small)\//.test(path);
    it(`${displayName(path)}: detected from content, ${atExit ? 'one dump' : `${POINTS} dumps`}, the same in 7-byte chunks`, async () => {
      const stats = await load(path);
      expect(stats.format).toBe(expected.id);
      expect(stats.allocator).toBe(expected.allocator);
      expect(stats.warnings).toEqual([]);
      expect(stats.snapshots).toHaveLength(atExit ? 1 : POINTS);
      stats.snapshots.forEach((s, i) => expect(s.index).toBe(i));
      const chunked = await load(path, 7);
      expect(chunked).toEqual(stats);
    });
  }
});

describe('statistics importers read the numbers the allocators printed', () => {
  const dir = (allocator: string, mode: string) => join(STATS, allocator, mode);

  it('jemalloc text: the "Allocated:" line, dirty pages, arenas and bins', async () => {
    const path = join(dir('jemalloc', 'fragment'), 'jemalloc-stats.txt.gz');
    const stats = await load(path);
    expect(stats.version).toMatch(/^5\.3\.0-/);
    const allocated = grepNumbers(path, /^Allocated: (\d+),/);
    const resident = grepNumbers(path, /^Allocated: .*, resident: (\d+),/);
    expect(stats.snapshots.map((s) => s.allocatedBytes)).toEqual(allocated);
    expect(stats.snapshots.map((s) => s.residentBytes)).toEqual(resident);
    const last = stats.snapshots[POINTS - 1];
    // Two arenas in use: a merged section and arenas[0], arenas[1].
    expect(last.arenas.map((a) => a.name)).toEqual(['0', '1']);
    expect(last.raw['merged.assigned threads']).toBe(2);
    expect(last.dirtyBytes).toBe(last.raw['merged.decaying.dirty.npages'] * 4096);
    expect(last.settings['opt.dirty_decay_ms']).toBeUndefined(); // a number: in raw
    expect(last.raw['opt.dirty_decay_ms']).toBe(10000);
    expect(last.settings['opt.background_thread']).toBe('false');
    // The burst's size classes: one survivor per 64 blocks, so about 1/64 of their slabs is used.
    const small = last.sizeClasses.filter((c) => c.table === 'small' && c.sizeBytes >= 64 && c.sizeBytes <= 160);
    expect(small.length).toBeGreaterThan(4);
    for (const c of small) {
      expect(c.freeBytes).toBe((c.freeBlocks as number) * c.sizeBytes);
      expect(c.utilization).toBeLessThan(0.05);
    }
    expect(last.timeSource).toBe('producer');
  });

  it('jemalloc JSON agrees with the text output of the same run', async () => {
    const d = dir('jemalloc', 'leak');
    const json = await load(join(d, 'jemalloc-stats.json.gz'));
    const txt = await load(join(d, 'jemalloc-stats.txt.gz'));
    expect(json.version).toBe(txt.version);
    json.snapshots.forEach((s, i) => {
      const t = txt.snapshots[i];
      // Two separate calls right after each other: the printing itself allocates a little.
      expect(Math.abs((s.allocatedBytes as number) - (t.allocatedBytes as number))).toBeLessThan(64 * 1024);
      expect(Math.abs((s.residentBytes as number) - (t.residentBytes as number))).toBeLessThan(256 * 1024);
      expect(s.mappedBytes).toBeDefined();
      expect(s.arenas.map((a) => a.name)).toEqual(t.arenas.map((a) => a.name));
    });
    const allocated = grepNumbers(join(d, 'jemalloc-stats.json.gz'), /"stats":\{"allocated":(\d+)/);
    expect(json.snapshots.map((s) => s.allocatedBytes)).toEqual(allocated);
  });

  it("jemalloc bins' slab figures: text and JSON give the same slabs, regions per slab and slab size per class", async () => {
    const d = dir('jemalloc', 'fragment');
    const json = (await load(join(d, 'jemalloc-stats.json.gz'))).snapshots[POINTS - 1];
    const txt = (await load(join(d, 'jemalloc-stats.txt.gz'))).snapshots[POINTS - 1];
    const slabFields = (s: typeof json) =>
      s.sizeClasses.filter((c) => c.table === 'small').map((c) => [c.sizeBytes, c.slabs, c.nonfullSlabs, c.regionsPerSlab, c.slabBytes]);
    const fromJson = slabFields(json);
    expect(fromJson.length).toBeGreaterThan(4);
    // The two dumps are separate calls a moment apart: the classes the printing touches may differ by a slab.
    const fromText = new Map(slabFields(txt).map((row) => [row[0], row]));
    let same = 0;
    for (const row of fromJson) {
      const t = fromText.get(row[0]);
      if (t && t[1] === row[1]) same++;
      if (t) expect([t[3], t[4]]).toEqual([row[3], row[4]]);
    }
    expect(same).toBeGreaterThanOrEqual(fromJson.length - 2);
    // 96-byte regions: 128 to a 3-page (12 KiB) slab in jemalloc 5.3; free regions = slabs × regions − live.
    const c96 = json.sizeClasses.find((c) => c.table === 'small' && c.sizeBytes === 96)!;
    expect([c96.regionsPerSlab, c96.slabBytes]).toEqual([128, 12288]);
    expect(c96.freeBlocks).toBe((c96.slabs as number) * 128 - (c96.liveBlocks as number));
    expect(c96.nonfullSlabs).toBeLessThanOrEqual(c96.slabs as number);
  });

  it('jemalloc at exit (stats_print:true, text and JSON)', async () => {
    const txt = await load(join(STATS, 'jemalloc', 'exit', 'jemalloc-stats.txt.gz'));
    const json = await load(join(STATS, 'jemalloc', 'exit', 'jemalloc-stats.json.gz'));
    expect(txt.snapshots[0].allocatedBytes).toBeGreaterThan(4 * 1048576);
    expect(json.snapshots[0].allocatedBytes).toBeGreaterThan(4 * 1048576);
  });

  it('glibc malloc_info: in use = system − fast − rest per heap, plus mmapped chunks; the free-chunk histogram', async () => {
    const path = join(dir('glibc', 'fragment'), 'malloc-info.xml');
    const stats = await load(path);
    const last = stats.snapshots[POINTS - 1];
    expect(last.arenas.map((a) => a.name)).toEqual(['0', '1']);
    for (const a of last.arenas) {
      const raw = (k: string) => last.raw[`heap[${a.name}].${k}`];
      expect(a.allocatedBytes).toBe(raw('system.current.size') - raw('total.fast.size') - raw('total.rest.size'));
    }
    expect(last.allocatedBytes).toBe(last.arenas.reduce((s, a) => s + (a.allocatedBytes as number), 0) + last.raw['malloc.total.mmap.size']);
    const histogram = last.sizeClasses.filter((c) => c.table === 'free-chunks');
    expect(histogram.length).toBeGreaterThan(50);
    const listed = grepNumbers(path, /^\s*<(?:size|unsorted) from="\d+" to="\d+" total="(\d+)"/);
    const lastDump = text(path).split('<malloc version').pop() as string;
    const lastListed = [...lastDump.matchAll(/<(?:size|unsorted) from="\d+" to="\d+" total="(\d+)"/g)].reduce((s, m) => s + Number(m[1]), 0);
    expect(histogram.reduce((s, c) => s + (c.freeBytes as number), 0)).toBe(lastListed);
    expect(listed.length).toBeGreaterThan(histogram.length);
  });

  it('glibc malloc_stats agrees with malloc_info of the same run', async () => {
    for (const mode of MODES) {
      const info = await load(join(dir('glibc', mode), 'malloc-info.xml'));
      const text = await load(join(dir('glibc', mode), 'malloc-stats.txt'));
      const totals = grepNumbers(join(dir('glibc', mode), 'malloc-stats.txt'), /^Total \(incl\. mmap\):\nsystem bytes\s*=\s*\d+\nin use bytes\s*=\s*(\d+)$/);
      expect(text.snapshots.map((s) => s.allocatedBytes)).toEqual(totals);
      info.snapshots.forEach((s, i) => {
        expect(Math.abs((s.allocatedBytes as number) - (text.snapshots[i].allocatedBytes as number))).toBeLessThan(16 * 1024);
      });
    }
  });

  it('tcmalloc: the summary lines, exact bytes; the class table as objects × size', async () => {
    const path = join(dir('tcmalloc', 'fragment'), 'tcmalloc-stats.txt');
    const stats = await load(path);
    expect(stats.snapshots.map((s) => s.allocatedBytes)).toEqual(grepNumbers(path, /^MALLOC:\s+(\d+) \(.*\) Bytes in use by application$/));
    expect(stats.snapshots.map((s) => s.residentBytes)).toEqual(grepNumbers(path, /^MALLOC: =\s+(\d+) \(.*\) Actual memory used/));
    expect(stats.snapshots.map((s) => s.dirtyBytes)).toEqual(grepNumbers(path, /^MALLOC: \+\s+(\d+) \(.*\) Bytes in page heap freelist$/));
    const last = stats.snapshots[POINTS - 1];
    const c64 = last.sizeClasses.find((c) => c.sizeBytes === 64);
    expect(c64).toMatchObject({ table: 'class', freeBytes: (c64?.freeBlocks as number) * 64 });
    expect(last.raw['Tcmalloc page size']).toBe(8192);
    const exit = await load(join(STATS, 'tcmalloc', 'exit', 'tcmalloc-stats.txt'));
    expect(exit.snapshots[0].sizeClasses.length).toBeGreaterThan(0); // MALLOCSTATS=2 prints the class table
  });

  it('mimalloc release build: no allocation counters; MI_STAT=2 build: totals, bins and touched', async () => {
    const release = await load(join(dir('mimalloc', 'leak'), 'mimalloc-stats.txt'));
    for (const s of release.snapshots) {
      expect(s.allocatedBytes).toBeUndefined();
      expect(s.activeBytes).toBeUndefined();
      expect(s.mappedBytes).toBe(s.raw['committed.current']);
      expect(s.raw['process.peak_rss']).toBeGreaterThan(0);
    }
    const stat = await load(join(dir('mimalloc-stat', 'leak'), 'mimalloc-stats.txt'));
    // 4 MiB working set + 2 MiB leaked per step, printed to 0.1 MiB.
    expect(stat.snapshots.map((s) => Math.round((s.allocatedBytes as number) / 1048576))).toEqual([4, 6, 8, 10, 12, 14, 16]);
    const last = stat.snapshots[POINTS - 1];
    expect(last.activeBytes).toBe(last.raw['touched.current']);
    expect(last.sizeClasses.find((c) => c.sizeBytes === 4096)?.allocatedBytes).toBe(12 * 1048576);
    expect(last.raw['segments-abandoned.current']).toBeDefined();
    expect(last.raw['pages-abandoned.current']).toBeDefined();
    expect(last.timeSource).toBe('producer');
  });

  it('proc: VmRSS per snapshot, times from the "###" lines, smaps_rollup too', async () => {
    const path = join(dir('glibc', 'leak'), 'proc.txt');
    const stats = await load(path);
    expect(stats.snapshots.map((s) => s.rssBytes)).toEqual(grepNumbers(path, /^VmRSS:\s+(\d+) kB$/).map((k) => k * 1024));
    expect(stats.snapshots.map((s) => s.label)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `step ${i}`));
    expect(stats.snapshots.every((s) => s.timeSource === 'marker')).toBe(true);
    const rollup = grepNumbers(path, /^Rss:\s+(\d+) kB$/).map((k) => k * 1024);
    expect(stats.snapshots.map((s) => s.raw['smaps_rollup.Rss'])).toEqual(rollup);
    expect(stats.snapshots[0].pid).toBeGreaterThan(0);
    expect(stats.snapshots[0].settings['status.Name']).toBe('stats-workload');
  });
});

describe('statistics importers: separators, text around dumps', () => {
  const dump = text(join(STATS, 'tcmalloc', 'steady', 'tcmalloc-stats.txt')).split(/(?=^-+\nMALLOC:\s+\d+ \(.*\) Bytes in use by application)/m);

  it('"### <seconds> [label]" lines give dumps their time', async () => {
    const withMarkers = `### 100.5 first\n${dump[0]}### 101.5\n${dump[1]}`;
    const stats = await parse(withMarkers, 'tcmalloc-stats');
    expect(stats.snapshots.map((s) => [s.timeSec, s.timeSource, s.label])).toEqual([
      [100.5, 'marker', 'first'],
      [101.5, 'marker', undefined],
    ]);
  });

  it('jemalloc JSON split by braces, not lines: indented documents (older versions) and one-line ones read alike', async () => {
    const path = join(STATS, 'jemalloc', 'exit', 'jemalloc-stats.json.gz');
    const doc = JSON.parse(text(path));
    const indented = `${JSON.stringify(doc, null, 2)}\n### 5 second\n${JSON.stringify(doc, null, '\t')}`;
    const stats = await parse(indented, 'jemalloc-stats-json', { chunkBytes: 64 });
    const one = await load(path);
    expect(stats.snapshots).toHaveLength(2);
    expect(stats.snapshots[1]).toMatchObject({ timeSec: 5, timeSource: 'marker', label: 'second', allocatedBytes: one.snapshots[0].allocatedBytes });
    expect(stats.snapshots[0].sizeClasses).toEqual(one.snapshots[0].sizeClasses);
  });

  it('the same in 1-byte chunks (a small dump)', async () => {
    const path = join(STATS, 'mimalloc-stat', 'exit', 'mimalloc-stats.txt');
    expect(await load(path, 1)).toEqual(await load(path));
  });

  it('text outside the dumps is one counted warning', async () => {
    const stats = await parse(`program output\nmore output\n${dump[0]}`, 'tcmalloc-stats');
    expect(stats.snapshots).toHaveLength(1);
    expect(stats.warnings).toHaveLength(1);
    expect(stats.warnings[0].message).toMatch(/^2 lines outside the tcmalloc statistics ignored/);
    expect(stats.warnings[0].locations[0].line).toBe(1);
  });

  // An at-exit dump on stderr follows what the program wrote there: it is
  // detected, read whole, and the program's lines are one warning. The
  // program's lines look like JSON openings and like the dumps' own words.
  const programOutput = '[INFO] starting\n{x} done\nheap usage: fine\nArena of tests: 3\nMALLOC: none\ndone: kept 150000\n';
  for (const file of ['jemalloc/leak/jemalloc-stats.txt.gz', 'jemalloc/leak/jemalloc-stats.json.gz', 'glibc/leak/malloc-info.xml', 'glibc/leak/malloc-stats.txt', 'tcmalloc/exit/tcmalloc-stats.txt', 'mimalloc/exit/mimalloc-stats.txt', 'mimalloc-stat/leak/mimalloc-stats.txt']) {
    it(`after the program's own output, detected and read whole: ${file}`, async () => {
      const path = join(STATS, file);
      const whole = await load(path);
      const input = await openBytes('stderr.txt', new TextEncoder().encode(programOutput + text(path)));
      const importer = detectImporter(input);
      expect(importer.id).toBe(BY_NAME[file.split('/').pop() as string].id);
      const stats = await parseStats(input, importer as StatsImporter);
      expect(stats.snapshots.map((s) => ({ ...s, line: s.line - 6 }))).toEqual(whole.snapshots);
      expect(stats.warnings.map((w) => [w.message, w.locations[0].line])).toEqual([[expect.stringMatching(/^6 lines outside the .* ignored \(first: "\[INFO\] starting"\)$/), 1], ...whole.warnings.map((w) => [w.message, w.locations[0].line + 6])]);
    });
  }

  // tcmalloc's dumps have no end line: a whole one (its tables' last row,
  // or with MALLOCSTATS=1 a summary with every figure) ends at the
  // program's next line; a dump cut short before that still fails there.
  const tcmallocLib = '/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4';
  const summary = existsSync(tcmallocLib)
    ? (() => {
        const out = mkdtempSync(join(tmpdir(), 'heapscope-tcmalloc-'));
        try {
          return spawnSync(join(STATS, 'bin', 'stats-workload'), ['steady', '1', out], { env: { MALLOCSTATS: '1', LD_PRELOAD: tcmallocLib }, encoding: 'utf8' }).stderr;
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      })()
    : '';
  const after = 'program: caught SIGTERM\nprogram: shutting down\n';
  for (const [name, dump] of [['with its tables (MALLOCSTATS=2)', () => text(join(STATS, 'tcmalloc', 'exit', 'tcmalloc-stats.txt'))], ['a summary (MALLOCSTATS=1, made here)', () => summary]] as const) {
    it.skipIf(dump() === '')(`a whole tcmalloc dump ${name} ends at the program's next line, which is counted outside${dump() === '' ? ' (skipped: no libtcmalloc.so.4)' : ''}`, async () => {
      expect(dump()).toMatch(/Bytes in use by application/);
      const lines = dump().split('\n').length - 1;
      const stats = await parse(`${dump()}${after}`, 'tcmalloc-stats');
      expect(stats.snapshots).toHaveLength(1);
      expect(stats.snapshots[0].allocatedBytes).toBeGreaterThan(0);
      expect(stats.warnings.map((w) => [w.message, w.locations[0].line])).toEqual([[expect.stringMatching(/^2 lines outside the tcmalloc statistics ignored \(first: "program: caught SIGTERM"\)$/), lines + 1]]);
    });
  }
  it('a tcmalloc dump cut inside its tables, then program output: an error at that line', async () => {
    const dump = text(join(STATS, 'tcmalloc', 'exit', 'tcmalloc-stats.txt'));
    const cut = dump.slice(0, dump.indexOf('PageHeap:'));
    const line = cut.split('\n').length;
    await expect(parse(`${cut}${after}`, 'tcmalloc-stats')).rejects.toThrow(`bad.txt:${line}: not a tcmalloc statistics line`);
    const summaryCut = dump.slice(0, dump.indexOf('MALLOC: +            0 (    0.0 MiB) Bytes released'));
    expect(summaryCut.length).toBeGreaterThan(0);
    await expect(parse(`${summaryCut}${after}`, 'tcmalloc-stats')).rejects.toThrow(`bad.txt:${summaryCut.split('\n').length}: not a tcmalloc statistics line`);
  });

  // A byte count below zero: no jemalloc or glibc figure can be one (a
  // damaged dump), but mimalloc's counters do go out of step and print one.
  it('a byte count below zero in a damaged dump is an error at that dump (jemalloc text and JSON, malloc_info)', async () => {
    const damaged = async (file: string, from: string, to: string) => {
      const whole = text(join(STATS, file));
      expect(whole).toContain(from);
      const input = await openBytes('bad.txt', new TextEncoder().encode(whole.replace(from, to)));
      return parseStats(input, detectImporter(input) as StatsImporter);
    };
    await expect(damaged('jemalloc/leak/jemalloc-stats.txt.gz', 'Allocated: ', 'Allocated: -')).rejects.toThrow(/^bad\.txt:1: the dump's allocatedBytes is -\d+, below zero$/);
    await expect(damaged('jemalloc/leak/jemalloc-stats.json.gz', '"allocated":', '"allocated":-')).rejects.toThrow(/^bad\.txt:1: the dump's allocatedBytes is -\d+, below zero$/);
    // An arena whose free chunks outweigh its system bytes.
    await expect(damaged('glibc/leak/malloc-info.xml', '<total type="rest" count="1" size="47504"/>', '<total type="rest" count="1" size="9947504"/>')).rejects.toThrow(/^bad\.txt:1: the dump's allocatedBytes is -\d+, below zero$/);
  });

  it("mimalloc's counters out of step (a current below zero, as mimalloc prints them): a warning, that figure left out, the rest read", async () => {
    const path = join(STATS, 'mimalloc-stat', 'leak', 'mimalloc-stats.txt');
    const whole = await load(path);
    const row = ' committed:   32.0 MiB   32.0 MiB      0       32.0 MiB';
    expect(text(path)).toContain(row);
    const stats = await parse(text(path).replace(row, ' committed:   32.0 MiB   32.0 MiB      0     -906.8 MiB'), 'mimalloc-stats');
    expect(stats.snapshots).toHaveLength(whole.snapshots.length);
    expect(stats.snapshots[0].mappedBytes).toBeUndefined();
    expect(stats.snapshots[0].allocatedBytes).toBe(whole.snapshots[0].allocatedBytes);
    expect(stats.snapshots.slice(1)).toEqual(whole.snapshots.slice(1));
    expect(stats.warnings.map((w) => [w.message, w.locations[0].line])).toEqual([
      ['mimalloc\'s "committed" current is below zero (its counters went out of step): that figure is left out', 1],
    ]);
  });

  it('/proc status files without separators split at their "Name:" line', async () => {
    const status = 'Name:\tx\nPid:\t7\nVmRSS:\t    100 kB\n';
    const stats = await parse(`${status}${status.replace('100', '200')}`, 'proc');
    expect(stats.snapshots.map((s) => s.rssBytes)).toEqual([102400, 204800]);
  });
});

/** Broken inputs: each is an error at the line that is wrong (or a counted warning with --lenient). */
const BAD: { name: string; id: string; text: string; line: number; message: RegExp }[] = [
  {
    name: 'jemalloc text: a bins row with a missing column',
    id: 'jemalloc-stats',
    text: '___ Begin jemalloc statistics ___\nPage size: 4096\nbins:           size ind    allocated      nmalloc\n                  16   1            0\n--- End jemalloc statistics ---\n',
    line: 4,
    message: /3 values where the "bins" table has 4 columns/,
  },
  {
    name: 'jemalloc text: no End line',
    id: 'jemalloc-stats',
    text: '___ Begin jemalloc statistics ___\nAllocated: 1, active: 2, metadata: 3 (n_thp 0), resident: 4, mapped: 5, retained: 6\n',
    line: 1,
    message: /no "--- End jemalloc statistics ---" line/,
  },
  {
    name: 'jemalloc text: a line of nothing it knows',
    id: 'jemalloc-stats',
    text: '___ Begin jemalloc statistics ___\n%%% 12 &&\n--- End jemalloc statistics ---\n',
    line: 2,
    message: /not a jemalloc statistics line/,
  },
  {
    name: 'jemalloc JSON: not JSON',
    id: 'jemalloc-stats-json',
    text: '{"jemalloc":{"version":5.3.0}}\n',
    line: 1,
    message: /invalid JSON/,
  },
  {
    name: 'malloc_info: a non-numeric size',
    id: 'glibc-malloc-info',
    text: '<malloc version="1">\n<heap nr="0">\n<system type="current" size="lots"/>\n</heap>\n</malloc>\n',
    line: 3,
    message: /needs a type and a numeric size/,
  },
  {
    name: 'malloc_info: no </malloc>',
    id: 'glibc-malloc-info',
    text: '<malloc version="1">\n<heap nr="0">\n</heap>\n',
    line: 1,
    message: /no closing <\/malloc>/,
  },
  {
    name: 'malloc_stats: a garbled value',
    id: 'glibc-malloc-stats',
    text: 'Arena 0:\nsystem bytes     =    135168\nin use bytes     =    12x\nTotal (incl. mmap):\n',
    line: 3,
    message: /not a malloc_stats line/,
  },
  {
    name: "tcmalloc: a dump's first line damaged (a sign), where it would otherwise be taken for the program's",
    id: 'tcmalloc-stats',
    text: '------------------------------------------------\nMALLOC:       -4268552 (    4.1 MiB) Bytes in use by application\nMALLOC: +       778240 (    0.7 MiB) Bytes in page heap freelist\n',
    line: 2,
    message: /not a tcmalloc statistics line/,
  },
  {
    name: 'tcmalloc: a garbled line inside a dump',
    id: 'tcmalloc-stats',
    text: 'MALLOC:        4268504 (    4.1 MiB) Bytes in use by application\nMALLOC: + lots\n',
    line: 2,
    message: /not a tcmalloc statistics line/,
  },
  {
    name: 'mimalloc: text after the amounts',
    id: 'mimalloc-stats',
    text: 'heap stats:    peak      total      freed    current       unit      count\n  reserved:   32.0 MiB   32.0 MiB      0       32.0 MiB   bogus\n',
    line: 2,
    message: /unexpected text after the amounts: "bogus"/,
  },
  {
    name: 'mimalloc: no process line (truncated)',
    id: 'mimalloc-stats',
    text: 'heap stats:    peak      total      freed    current       unit      count\n  reserved:   32.0 MiB   32.0 MiB      0       32.0 MiB\n',
    line: 1,
    message: /no "process:" line/,
  },
  {
    name: 'proc: an smaps_rollup value that is not kB',
    id: 'proc',
    text: '559d74bcf000-7fffe6e4b000 ---p 00000000 00:00 0                          [rollup]\nRss:                5572 MB\n',
    line: 2,
    message: /Rss is a size: its value is "<n> kB"/,
  },
];

describe('statistics importers: broken inputs', () => {
  for (const bad of BAD) {
    it(`${bad.name}: error at line ${bad.line}; --lenient makes it a counted warning`, async () => {
      const error = await parse(bad.text, bad.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).line).toBe(bad.line);
      expect((error as ParseError).reason).toMatch(bad.message);
      expect((error as ParseError).format).toBe(bad.id);
      const lenient = await parse(bad.text, bad.id, { lenient: true }).then(
        (s) => s,
        (e: unknown) => e,
      );
      if (lenient instanceof ParseError) {
        // Nothing left to read after skipping: still an error, never a silent empty result.
        expect(lenient.reason).toMatch(/no .* found|malformed/);
      } else {
        const w = (lenient as AllocatorStats).warnings.find((x) => x.locations.some((l) => l.line === bad.line));
        expect(w?.message).toMatch(/^skipped malformed record: /);
      }
    });
  }

  it('jemalloc JSON: a last line without a newline is whole (5.3 writes them so); a document cut in it is dropped with a truncation warning', async () => {
    // 5.3 writes a dump as one line with no newline: a writer killed mid-dump leaves a document cut short.
    const whole = '{"jemalloc":{"version":"5.3.0","stats":{"allocated":1}}}{"jemalloc":{"version":"5.3.0","stats":{"allocated":2}}}';
    const read = await parse(whole, 'jemalloc-stats-json');
    expect(read.snapshots.map((s) => s.allocatedBytes)).toEqual([1, 2]);
    expect(read.warnings).toEqual([]);
    const cut = '{"jemalloc":{"version":"5.3.0","stats":{"allocated":1}}}\n{"jemalloc":{"version":"5.3.0","stats":{"alloc';
    const stats = await parse(cut, 'jemalloc-stats-json');
    expect(stats.snapshots.map((s) => s.allocatedBytes)).toEqual([1]);
    const w = stats.warnings.find((x) => x.locations.some((l) => l.line === 2));
    expect(w?.message).toBe('the input ends inside a JSON document (truncated?); that dump was dropped');
    // Older versions indent a document over many lines: one left open at the end was cut between lines.
    const open = await parse('{"jemalloc":{"version":"5.3.0","stats":{"allocated":1}}}\n{"jemalloc":{"version":"5.3.0",\n"stats":{"allocated":2}\n', 'jemalloc-stats-json');
    expect(open.snapshots.map((s) => s.allocatedBytes)).toEqual([1]);
    expect(open.warnings.map((x) => [x.message, x.locations[0].line])).toEqual([['the input ends inside a JSON document (truncated?); that dump was dropped', 2]]);
    // Alone, the cut dump leaves nothing to report: an error, never an empty series.
    await expect(parse(cut.slice(cut.indexOf('\n') + 1), 'jemalloc-stats-json')).rejects.toThrow(/no .* found/);
  });

  it('an input with no dump at all is an error, not an empty series', async () => {
    for (const id of ['jemalloc-stats', 'glibc-malloc-info', 'tcmalloc-stats', 'mimalloc-stats', 'proc']) {
      await expect(parse('just some text\n', id)).rejects.toThrow(/no .* found/);
    }
  });

  it('invalid UTF-8 is an error at its line', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('Name:\tx\nVmRSS:\t 1 kB\n'), 0xff, 0xfe, 10]);
    const input = await openBytes('bad', bytes);
    await expect(parseStats(input, importerById('proc') as StatsImporter)).rejects.toMatchObject({ line: 3 });
  });
});
