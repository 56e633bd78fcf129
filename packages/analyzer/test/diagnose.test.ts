/**
 * `diagnose` on the real runs in fixtures/stats (one workload that leaks,
 * one that fragments, one steady control and one that frees bursts, under
 * glibc, jemalloc, tcmalloc and mimalloc), and on small made-up series for
 * the edges of the method.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symbolize, type AllocatorStats } from '@heapscope/parser';
import { DiagnoseError, diagnose, readInput, type DiagnoseReport, type Verdict } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { MiB, series } from './made-up-stats.js';

const STATS = join(FIXTURES, 'stats');
const BINARY = join(STATS, 'bin', 'stats-workload');

/** The statistics files of each allocator's runs. */
const FILES: Record<string, string[]> = {
  glibc: ['malloc-info.xml', 'malloc-stats.txt'],
  jemalloc: ['jemalloc-stats.txt.gz', 'jemalloc-stats.json.gz'],
  tcmalloc: ['tcmalloc-stats.txt'],
  mimalloc: ['mimalloc-stats.txt'],
  'mimalloc-stat': ['mimalloc-stats.txt'],
};

/**
 * What each run is: the leak and fragment workloads are told apart on every
 * allocator that counts its allocations. `retain` frees bursts: jemalloc,
 * tcmalloc and mimalloc keep the pages (decay, release rate, purge delay),
 * glibc trims them at once. Debian's mimalloc counts no allocations
 * (MI_STAT=0), so when its footprint grows nothing can tell why. `pinned`
 * (glibc only, fixtures/src/pinned-heap.c) grows nothing: its heap is 94%
 * free chunks from the first dump on, pinned by survivors.
 */
const EXPECTED: Record<string, Record<string, Verdict | 'cannot tell'>> = {
  glibc: { leak: 'leak', fragment: 'fragmentation', steady: 'healthy', retain: 'healthy', pinned: 'fragmentation' },
  jemalloc: { leak: 'leak', fragment: 'fragmentation', steady: 'healthy', retain: 'retained' },
  tcmalloc: { leak: 'leak', fragment: 'fragmentation', steady: 'healthy', retain: 'retained' },
  mimalloc: { leak: 'cannot tell', fragment: 'cannot tell', steady: 'healthy', retain: 'cannot tell' },
  'mimalloc-stat': { leak: 'leak', fragment: 'fragmentation', steady: 'healthy', retain: 'retained' },
};

async function statsOf(...paths: string[]): Promise<AllocatorStats[]> {
  return Promise.all(paths.map(async (p) => (await readInput(p)).stats as AllocatorStats));
}

async function run(paths: string[]): Promise<DiagnoseReport | DiagnoseError> {
  try {
    return diagnose({ stats: await statsOf(...paths), profiles: [] });
  } catch (error) {
    if (error instanceof DiagnoseError) return error;
    throw error;
  }
}

describe('diagnose on the fixture runs', () => {
  for (const [allocator, byMode] of Object.entries(EXPECTED)) {
    for (const [mode, expected] of Object.entries(byMode)) {
      for (const file of FILES[allocator]) {
        const dir = join(STATS, allocator, mode);
        it(`${allocator}/${mode} (${file} + proc.txt): ${expected}`, async () => {
          const result = await run([join(dir, file), join(dir, 'proc.txt')]);
          if (expected === 'cannot tell') {
            expect(result).toBeInstanceOf(DiagnoseError);
            expect((result as DiagnoseError).message).toMatch(/cannot be told from fragmentation; mimalloc release builds count no allocations \(MI_STAT=0\)/);
            return;
          }
          const r = result as DiagnoseReport;
          expect(r.verdict).toBe(expected);
          expect(r.summary.startsWith(`${expected}:`)).toBe(true);
          expect(r.allocator).toBe(allocator === 'mimalloc-stat' ? 'mimalloc' : allocator);
          expect(r.points).toBe(7);
          expect(r.warnings).toEqual([]);
          for (const p of r.series) {
            if (allocator === 'mimalloc') expect(p.allocated).toBeNull(); // MI_STAT=0: not counted
            else expect(p.allocated).toBeGreaterThan(0);
            expect(p.rss).toBeGreaterThan(0);
          }
        });
      }
    }
  }

  it('the verdicts hold without the /proc samples, from the allocator figures alone', async () => {
    for (const [allocator, byMode] of Object.entries(EXPECTED)) {
      for (const [mode, expected] of Object.entries(byMode)) {
        const result = await run([join(STATS, allocator, mode, FILES[allocator][0])]);
        const verdict = result instanceof DiagnoseError ? 'cannot tell' : result.verdict;
        expect(`${allocator}/${mode}: ${verdict}`).toBe(`${allocator}/${mode}: ${expected}`);
      }
    }
  });

  it('leak: the numbers behind it (jemalloc)', async () => {
    const dir = join(STATS, 'jemalloc', 'leak');
    const r = (await run([join(dir, 'jemalloc-stats.txt.gz'), join(dir, 'proc.txt')])) as DiagnoseReport;
    // 2 MiB leaked per step, 6 steps (and the profiler's own bookkeeping).
    expect(r.trends.allocated?.slope).toBeGreaterThan(1.9 * MiB);
    expect(r.trends.allocated?.slope).toBeLessThan(2.4 * MiB);
    expect(r.trends.allocated?.r2).toBeGreaterThan(0.99);
    expect(r.sources).toMatchObject({ footprintKind: 'resident', profiles: 0 });
    expect(r.evidence.join('\n')).toMatch(/allocated accounts for \d+% of the resident growth/);
    expect(r.knobs.map((k) => k.name)).toEqual(['MALLOC_CONF=prof:true,prof_final:true,lg_prof_interval:30']);
  });

  it('fragmentation: where the waste sits (jemalloc: the worker\'s arena, the burst\'s size classes)', async () => {
    const dir = join(STATS, 'jemalloc', 'fragment');
    const r = (await run([join(dir, 'jemalloc-stats.txt.gz'), join(dir, 'proc.txt')])) as DiagnoseReport;
    expect(r.waste.arenas[0].name).toBe('1');
    expect(r.waste.arenas[0].lastBytes).toBeGreaterThan(30 * MiB);
    // The burst sizes 48 + 16·s requested, s = 1..6: classes 64 … 160 (jemalloc rounds 144 up to 160).
    const top = r.waste.sizeClasses.slice(0, 5).map((c) => c.name);
    for (const name of top) expect(['64 B', '80 B', '96 B', '112 B', '128 B', '160 B']).toContain(name);
    for (const c of r.waste.sizeClasses.slice(0, 5)) expect(c.utilization).toBeLessThan(0.05);
    const evidence = r.evidence.join('\n');
    expect(evidence).toMatch(/arena 1 holds/);
    expect(evidence).toMatch(/free space by size class: /);
    expect(r.knobs.map((k) => k.name)).toContain('MALLOC_CONF=narenas:<n>');
    expect(r.knobs.find((k) => k.name === 'MALLOC_CONF=narenas:<n>')?.current).toBe('8');
  });

  it('retained: the dirty pages explain the growth (jemalloc), the page heap free list (tcmalloc)', async () => {
    const je = (await run([join(STATS, 'jemalloc', 'retain', 'jemalloc-stats.txt.gz')])) as DiagnoseReport;
    expect(je.trends.unpurged!.rise).toBeGreaterThan(0.9 * je.trends.waste!.rise);
    expect(je.knobs.map((k) => k.name)).toContain('MALLOC_CONF=background_thread:true');
    const tc = (await run([join(STATS, 'tcmalloc', 'retain', 'tcmalloc-stats.txt')])) as DiagnoseReport;
    expect(tc.evidence.join('\n')).toMatch(/page heap free list/);
    expect(tc.knobs.map((k) => k.name)).toContain('TCMALLOC_RELEASE_RATE=<0..10>');
  });

  it('glibc fragmentation names the free-chunk sizes and MALLOC_ARENA_MAX / malloc_trim', async () => {
    const dir = join(STATS, 'glibc', 'fragment');
    const r = (await run([join(dir, 'malloc-info.xml'), join(dir, 'proc.txt')])) as DiagnoseReport;
    expect(r.sources.footprintKind).toBe('rss');
    expect(r.evidence.join('\n')).toMatch(/free chunks by size: /);
    expect(r.knobs.map((k) => k.name)).toEqual(expect.arrayContaining(['malloc_trim(0)', 'MALLOC_ARENA_MAX=<n>']));
  });

  describe('a glibc heap pinned by survivors: judged by its level, not only by its trend', () => {
    const dir = join(STATS, 'glibc', 'pinned');
    const KiB = 1024;
    /** VmRSS of each sample in a proc.txt, in bytes. */
    const rssOf = (path: string) => [...readFileSync(path, 'utf8').matchAll(/^VmRSS:\s+(\d+) kB$/gm)].map((m) => Number(m[1]) * KiB);

    it('nothing rises, yet the heap holds 17 times what the program uses: fragmentation, with the utilization in the evidence', async () => {
      const r = (await run([join(dir, 'malloc-info.xml'), join(dir, 'proc.txt')])) as DiagnoseReport;
      expect(r.verdict).toBe('fragmentation');
      expect(r.summary).toMatch(/^fragmentation: the allocator holds 4\d\.\d MiB \(9\d% of mapped\) that the program does not use, without growing$/);
      // Flat: neither series rises past the threshold, so no trend rule can decide.
      expect(r.trends.allocated!.rise).toBeLessThan(r.thresholdBytes);
      expect(r.trends.footprint!.rise).toBeLessThan(r.thresholdBytes);
      // The heap is glibc's mapped bytes here (below RSS, which holds the binary and libraries too).
      const last = r.series[r.series.length - 1];
      expect(last.heap).toBe(last.mapped);
      expect(last.mapped!).toBeLessThan(last.rss!);
      expect(last.allocated! / last.heap!).toBeLessThan(0.1);
      expect(r.evidence).toContainEqual(expect.stringMatching(/^utilization: allocated is \d\.\d% of mapped \(the smaller of glibc's mapped bytes and RSS\) at the last point, the same at all 7 points: the heap holds 1\d\.\d× what the program uses$/));
      expect(r.evidence).toContainEqual(expect.stringMatching(/^fast bins: 2\d\.\d MiB in \d+ free chunks, which glibc merges/));
    });

    it('the malloc_stats view of the same run, without the histogram, says the same', async () => {
      const r = (await run([join(dir, 'malloc-stats.txt'), join(dir, 'proc.txt')])) as DiagnoseReport;
      expect(r.verdict).toBe('fragmentation');
      expect(r.evidence).toContain("glibc's statistics do not say how much of the waste is free pages not yet returned");
    });

    it('the unsorted bin\'s 9 KB chunks count in the unpurged estimate; the fast bins\' chunks do not', async () => {
      const r = (await run([join(dir, 'malloc-info.xml')])) as DiagnoseReport;
      const last = r.series[r.series.length - 1];
      // The last dump's unsorted bin, as glibc printed it: 2499 runs of 63 freed 144-byte chunks (9072 bytes).
      const xml = readFileSync(join(dir, 'malloc-info.xml'), 'utf8');
      const [, total, count] = [...xml.matchAll(/<unsorted from="\d+" to="\d+" total="(\d+)" count="(\d+)"\/>/g)].pop()!.map(Number);
      expect(count).toBeGreaterThan(2000);
      expect(total / count).toBeGreaterThan(8 * KiB);
      // Each holds one or two whole pages past its 48-byte head: about 9072 − 48 − 4096 bytes on average.
      expect(last.unpurged).toBe(total - count * (4096 + 48));
    });

    it('the estimate agrees with what malloc_trim(0) really returned (RSS before and after, within 15%)', async () => {
      // trimmed/ is the same process right after malloc_trim(0): the fast bins merged, every free page returned.
      const returned = rssOf(join(dir, 'proc.txt')).pop()! - rssOf(join(dir, 'trimmed', 'proc.txt'))[0];
      expect(returned).toBeGreaterThan(10 * MiB);
      // The estimate from the histogram malloc_trim left (its chunks are where they were, their pages gone).
      const estimate = ((await run([join(dir, 'trimmed', 'malloc-info.xml')])) as DiagnoseReport).series[0].unpurged!;
      expect(estimate / returned).toBeGreaterThan(0.85);
      expect(estimate / returned).toBeLessThan(1.15);
      // With the RSS after the trim, those pages count as returned (mapped beyond RSS), and what stays is pinned.
      const after = (await run([join(dir, 'trimmed', 'malloc-info.xml'), join(dir, 'trimmed', 'proc.txt')])) as DiagnoseReport;
      expect(after.series[0].unpurged!).toBeLessThan(0.25 * estimate);
      expect(after.verdict).toBe('fragmentation');
      expect(after.summary).toMatch(/\(one dump: no trend\)$/);
    });
  });

  it('one at-exit dump is inconclusive on every allocator (a single dump shows no trend)', async () => {
    const cases: [string, string][] = [
      ['jemalloc', 'jemalloc-stats.txt.gz'],
      ['jemalloc', 'jemalloc-stats.json.gz'],
      ['tcmalloc', 'tcmalloc-stats.txt'],
      ['mimalloc', 'mimalloc-stats.txt'],
      ['mimalloc-stat', 'mimalloc-stats.txt'],
    ];
    for (const [allocator, file] of cases) {
      const r = (await run([join(STATS, allocator, 'exit', file)])) as DiagnoseReport;
      expect(`${allocator}/exit/${file}: ${r.verdict}`).toBe(`${allocator}/exit/${file}: inconclusive`);
      expect(r.points).toBe(1);
      expect(r.summary).toMatch(/^inconclusive: one dump shows no trend/);
      expect(r.evidence).toContain('one dump: no trend to judge');
    }
  });

  it('the first dump of every run, alone, is never healthy: inconclusive, or decisive and saying there is no trend', async () => {
    for (const [allocator, byMode] of Object.entries(EXPECTED)) {
      for (const mode of Object.keys(byMode)) {
        for (const file of FILES[allocator]) {
          const [whole] = await statsOf(join(STATS, allocator, mode, file));
          const first: AllocatorStats = { ...whole, snapshots: whole.snapshots.slice(0, 1) };
          const r = diagnose({ stats: [first], profiles: [] });
          expect(r.points).toBe(1);
          if (r.verdict === 'fragmentation' || r.verdict === 'retained') expect(r.summary).toMatch(/\(one dump: no trend\)$/);
          else expect(`${allocator}/${mode}/${file}#1: ${r.verdict}`).toBe(`${allocator}/${mode}/${file}#1: inconclusive`);
        }
      }
    }
  });

  it('Debian mimalloc (MI_STAT=0): the series and its first dump alone give the same reason', async () => {
    const path = join(STATS, 'mimalloc', 'fragment', 'mimalloc-stats.txt');
    const series = await run([path]);
    expect(series).toBeInstanceOf(DiagnoseError);
    const reason = 'mimalloc release builds count no allocations (MI_STAT=0)';
    expect((series as DiagnoseError).message).toContain(reason);
    const [whole] = await statsOf(path);
    const one = diagnose({ stats: [{ ...whole, snapshots: whole.snapshots.slice(0, 1) }], profiles: [] });
    expect(one.verdict).toBe('inconclusive');
    expect(one.summary).toBe(`inconclusive: one dump shows no trend, and ${reason}: committed 41.0 MiB`);
    expect(one.evidence[0]).toBe(`allocated: not known; ${reason}`);
    expect(one.evidence.join('\n')).toMatch(/use a build with MI_STAT=1 or give heap profiles/);
    expect(one.knobs.map((k) => k.name)).toEqual(['a mimalloc built with MI_STAT=1 (or a debug build)']);
  });

  describe('with heap profiles of the same run', () => {
    const profilesOf = async (mode: string) => {
      const dir = join(STATS, 'jemalloc', mode, 'heap');
      const paths = readdirSync(dir)
        .filter((n) => n.endsWith('.heap'))
        .sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]))
        .map((n) => join(dir, n));
      return Promise.all(
        paths.map(async (p) => (await symbolize((await readInput(p)).profile, { symbolPaths: [BINARY], external: 'none' })).profile),
      );
    };

    it('leak: names leak_site', async () => {
      const dir = join(STATS, 'jemalloc', 'leak');
      const r = diagnose({ stats: await statsOf(join(dir, 'jemalloc-stats.txt.gz')), profiles: await profilesOf('leak') });
      expect(r.verdict).toBe('leak');
      expect(r.sites[0].name).toBe('leak_site');
      // Sampled every 128 KiB on average: 12 MiB leaked, give or take the sampling.
      expect(r.sites[0].delta).toBeGreaterThan(8 * MiB);
      expect(r.sites[0].delta).toBeLessThan(16 * MiB);
      expect(r.evidence.join('\n')).toMatch(/growing call sites: leak_site \+/);
      expect(r.knobs).toEqual([]); // profiles given: nothing more to collect
    });

    it('heap profiles and RSS alone tell the two apart too (allocated from the profiles)', async () => {
      for (const [mode, expected] of [
        ['leak', 'leak'],
        ['fragment', 'fragmentation'],
      ] as const) {
        const r = diagnose({ stats: await statsOf(join(STATS, 'jemalloc', mode, 'proc.txt')), profiles: await profilesOf(mode) });
        expect(r.verdict).toBe(expected);
        expect(r.sources.allocated).toBe('7 heap profiles (in-use bytes)');
        expect(r.sources.footprintKind).toBe('rss');
      }
    });
  });
});

describe('diagnose: the edges of the method', () => {
  it('a one-off step (warm-up) is not a leak: growth must be steady', () => {
    const a = [4, 6, 6, 6, 6, 6, 6].map((m) => m * MiB);
    const r = diagnose({ stats: [series('jemalloc', a.map((x) => ({ allocatedBytes: x, residentBytes: x + 2 * MiB })))], profiles: [] });
    expect(r.verdict).toBe('healthy');
    expect(r.trends.allocated!.r2).toBeLessThan(0.5);
    expect(r.summary).toMatch(/as a step rather than steady growth/);
  });

  it('growth below the threshold is flat; --min-growth moves the threshold', () => {
    const a = [100, 101, 102, 103].map((m) => m * MiB);
    const stats = [series('tcmalloc', a.map((x) => ({ allocatedBytes: x, residentBytes: x + MiB })))];
    expect(diagnose({ stats, profiles: [] }).verdict).toBe('healthy'); // 3 MiB < 10% of 101 MiB
    expect(diagnose({ stats, profiles: [] }, { minGrowthShare: 0, minGrowthBytes: MiB }).verdict).toBe('leak');
  });

  it('one dump: no trend; judged on the waste share of the allocator\'s resident bytes', () => {
    const frag = diagnose({ stats: [series('jemalloc', [{ allocatedBytes: 10 * MiB, residentBytes: 50 * MiB, dirtyBytes: MiB, muzzyBytes: 0 }])], profiles: [] });
    expect(frag.verdict).toBe('fragmentation');
    expect(frag.summary).toMatch(/one dump: no trend/);
    const retained = diagnose({ stats: [series('jemalloc', [{ allocatedBytes: 10 * MiB, residentBytes: 50 * MiB, dirtyBytes: 35 * MiB, muzzyBytes: 0 }])], profiles: [] });
    expect(retained.verdict).toBe('retained');
    expect(retained.summary).toMatch(/^retained: .*35\.0 MiB of it free pages not yet returned \(one dump: no trend\)$/);
    // Nothing decisive in it: not healthy (one point shows no trend), inconclusive.
    const fine = diagnose({ stats: [series('jemalloc', [{ allocatedBytes: 40 * MiB, residentBytes: 50 * MiB, dirtyBytes: MiB, muzzyBytes: 0 }])], profiles: [] });
    expect(fine.verdict).toBe('inconclusive');
    expect(fine.summary).toBe('inconclusive: one dump shows no trend (allocated 40.0 MiB of 50.0 MiB resident, 80%)');
    expect(fine.evidence).toContain('one dump: no trend to judge');
    expect(fine.evidence).toContain('allocated/resident: 80%'); // not "80% → 80%"
    expect(fine.evidence.join('\n')).toMatch(/the waste \(resident − allocated\) is 10\.0 MiB, 20% of resident: a single dump is judged only when it is over 50%/);
    expect(fine.evidence.join('\n')).toMatch(/dirty \+ muzzy pages \(freed, not yet purged\): 1\.00 MiB/);
    expect(fine.knobs.map((k) => k.name)).toEqual(['MALLOC_CONF=stats_interval:<bytes>']);
  });

  it('one dump with no figure that bounds the heap (mimalloc committed, RSS alone) is not judged: inconclusive', () => {
    const mimalloc = diagnose({ stats: [series('mimalloc', [{ allocatedBytes: 10 * MiB, mappedBytes: 80 * MiB }], 'mimalloc-stats')], profiles: [] });
    expect(mimalloc.verdict).toBe('inconclusive');
    expect(mimalloc.evidence).toContain("a single dump is judged on what the allocator's heap holds (its resident bytes; glibc: its mapped bytes) only: committed memory need not be resident");
    expect(mimalloc.knobs).toEqual([]); // no purge advice for a verdict that is not fragmentation or retained
    const proc = diagnose({ stats: [series('proc', [{ rssBytes: 30 * MiB }], 'proc', 'proc.txt')], profiles: [] });
    expect(proc.verdict).toBe('inconclusive');
    expect(proc.summary).toBe('inconclusive: one dump shows no trend, and these inputs do not say how much the program holds: RSS 30.0 MiB');
  });

  it('nothing to judge at all is inconclusive, not healthy', () => {
    const r = diagnose({ stats: [series('tcmalloc', [{}, {}, {}])], profiles: [] });
    expect(r.verdict).toBe('inconclusive');
    expect(r.summary).toMatch(/^inconclusive: nothing to judge/);
  });

  it('a flat series of a release mimalloc (no allocated bytes) is healthy, and says what it cannot tell', () => {
    const r = diagnose({ stats: [series('mimalloc', [1, 2, 3].map(() => ({ mappedBytes: 35 * MiB })), 'mimalloc-stats')], profiles: [] });
    expect(r.verdict).toBe('healthy');
    expect(r.evidence[0]).toBe('allocated: not known; mimalloc release builds count no allocations (MI_STAT=0)');
    expect(r.evidence).toContain('committed does not grow; without allocated bytes that is all these inputs tell (a growing committed could not be told apart)');
  });

  it('no allocated bytes: a flat footprint is still healthy; a growing one cannot be judged', () => {
    const proc = (rss: number[]) => series('proc', rss.map((m) => ({ rssBytes: m * MiB })), 'proc', 'proc.txt');
    expect(diagnose({ stats: [proc([10, 10, 10, 10])], profiles: [] }).verdict).toBe('healthy');
    expect(() => diagnose({ stats: [proc([10, 20, 30, 40])], profiles: [] })).toThrow(DiagnoseError);
  });

  it('statistics of two allocators are refused; two formats of one are two views of the same dumps', () => {
    const je = series('jemalloc', [{ allocatedBytes: MiB, residentBytes: 2 * MiB }]);
    const tc = series('tcmalloc', [{ allocatedBytes: MiB, residentBytes: 2 * MiB }]);
    expect(() => diagnose({ stats: [je, tc], profiles: [] })).toThrow(/different allocators \(jemalloc, tcmalloc\)/);
    const info = series('glibc', [{ allocatedBytes: MiB, mappedBytes: 2 * MiB }], 'glibc-malloc-info', 'malloc-info.xml');
    const text = series('glibc', [{ allocatedBytes: MiB, mappedBytes: 2 * MiB }], 'glibc-malloc-stats', 'malloc-stats.txt');
    const r = diagnose({ stats: [text, info], profiles: [] });
    expect(r.points).toBe(1);
    expect(r.warnings).toEqual(['glibc-malloc-stats and glibc-malloc-info are two views of the same dumps; using glibc-malloc-info (malloc-info.xml)']);
  });

  it('series of different lengths are aligned (by time when both have "###" times), with a warning', () => {
    const stats = series('tcmalloc', [0, 1, 2, 3].map((i) => ({ allocatedBytes: MiB, residentBytes: 2 * MiB, timeSec: 10 * i, timeSource: 'marker' as const })));
    const proc = series('proc', [0, 1, 2, 3, 4, 5, 6].map((i) => ({ rssBytes: (i + 1) * MiB, timeSec: 5 * i, timeSource: 'marker' as const })), 'proc', 'proc.txt');
    const r = diagnose({ stats: [stats, proc], profiles: [] });
    expect(r.series.map((p) => p.rss)).toEqual([1, 3, 5, 7].map((m) => m * MiB));
    expect(r.warnings).toEqual(['the /proc series has 7 points and the allocator statistics 4: aligned by time']);
  });

  it('JSON contract: verdict, evidence, series of {allocated, resident, rss} (null when unknown)', () => {
    const r = diagnose({ stats: [series('glibc', [{ allocatedBytes: MiB, mappedBytes: 2 * MiB }], 'glibc-malloc-stats')], profiles: [] });
    const json = JSON.parse(JSON.stringify(r));
    expect(json.verdict).toBe('inconclusive'); // one dump
    expect(typeof json.summary).toBe('string');
    expect(Array.isArray(json.evidence)).toBe(true);
    expect(json.series[0]).toMatchObject({ allocated: MiB, resident: null, rss: null });
  });
});
