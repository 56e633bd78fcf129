/**
 * Fragmentation per call site on real dumps: fixtures/src/fragment-sites.c
 * (its header lists the sites and what each leaves in the bins) under
 * jemalloc (a heap_v2 dump and malloc_stats_print text and JSON from one
 * moment) and under gperftools' tcmalloc (a heap profile and GetStats).
 * The known survivor site must rank first, and the pinned bytes of all
 * sites must stay within the allocator's own unused bin bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symbolize, type AllocatorStats, type HeapProfile } from '@heapscope/parser';
import {
  BinStatsError,
  FragmentationInputError,
  jemallocApparentSize,
  jemallocSizeClass,
  readInput,
  rowClass,
  siteFragmentation,
  spreadOverRoom,
  tcmallocSizeClass,
  top,
  twoClassSplit,
  type FragmentationReport,
} from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { agrees, readReferenceText } from '@heapscope/testkit/reference-tools';

const BIN = join(FIXTURES, 'waste', 'bin', 'fragment-sites');
const JE = 'waste/fragment/jemalloc';
const TC = 'waste/fragment/tcmalloc';

async function profileOf(path: string): Promise<HeapProfile> {
  const { profile } = await symbolize((await readInput(path)).profile, { symbolPaths: [BIN], external: 'none' });
  return profile;
}

async function statsOf(path: string): Promise<AllocatorStats> {
  const loaded = await readInput(path);
  if (!loaded.stats) throw new Error(`${path} is not allocator statistics`);
  return loaded.stats;
}

const site = (r: FragmentationReport, name: string) => {
  const s = r.sites.find((x) => x.name === name);
  if (!s) throw new Error(`no site ${name} in ${r.sites.map((x) => x.name).join(', ')}`);
  return s;
};

/** The checks every report must pass, whatever the allocator. */
function checkInvariants(r: FragmentationReport): void {
  // Sum of pinned bytes within the allocator's own unused bin bytes.
  expect(r.totals.pinnedBytes).toBeLessThanOrEqual(r.totals.unusedBinBytes + 1e-6);
  // Each bin's free bytes are shared out whole: its sites' shares plus the unattributed rest.
  for (const bin of r.bins) {
    const shares = r.sites.reduce((sum, s) => sum + (s.bins.find((b) => b.sizeBytes === bin.sizeBytes)?.pinnedBytes ?? 0), 0);
    expect(shares + bin.unattributedBytes).toBeCloseTo(bin.freeBytes, 3);
  }
  // Ranked by pinned bytes.
  for (let i = 1; i < r.sites.length; i++) expect(r.sites[i - 1].pinnedBytes).toBeGreaterThanOrEqual(r.sites[i].pinnedBytes);
}

describe('fragmentation per call site, jemalloc (heap_v2 dump + malloc_stats_print from one moment)', () => {
  const dump = fixtureFile(JE, /^jeprof\..*\.heap$/);
  for (const statsName of ['jemalloc-stats.json', 'jemalloc-stats.txt']) {
    it(`${statsName}: survivor_site pins the most; the sum stays within jemalloc's unused bin bytes`, async () => {
      const stats = await statsOf(join(FIXTURES, JE, statsName));
      const r = siteFragmentation(await profileOf(dump), stats);
      checkInvariants(r);
      expect(r.allocator).toBe('jemalloc');
      expect(r.missing).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(r.sites[0].name).toBe('survivor_site');
      // unusedBinBytes is jemalloc's own: Σ (curslabs × nregs − curregs) × size over its bins.
      const small = stats.snapshots[0].sizeClasses.filter((c) => c.table === 'small');
      expect(r.totals.unusedBinBytes).toBe(small.reduce((s, c) => s + ((c.slabs as number) * (c.regionsPerSlab as number) - (c.liveBlocks as number)) * c.sizeBytes, 0));
      // Almost all of it sits in the 96-byte bin the burst left behind, and the sites account for it.
      expect(r.totals.pinnedBytes).toBeGreaterThan(0.95 * r.totals.unusedBinBytes);

      const survivors = site(r, 'survivor_site');
      expect(survivors.bins.map((b) => b.sizeBytes)).toEqual([96]);
      const bin96 = r.bins.find((b) => b.sizeBytes === 96)!;
      const c96 = small.find((c) => c.sizeBytes === 96)!;
      expect(bin96.utilization).toBeCloseTo((c96.liveBlocks as number) / ((c96.slabs as number) * (c96.regionsPerSlab as number)), 12);
      expect(bin96.utilization).toBeLessThan(0.03);
      // The neighbor shares the bin: the free regions go to both in proportion to their regions (1024 : 256 allocated).
      const neighbor = site(r, 'neighbor_site');
      expect(survivors.pinnedBytes / neighbor.pinnedBytes).toBeCloseTo(survivors.bins[0].regions / neighbor.bins[0].regions, 9);
      expect(survivors.bins[0].regions / neighbor.bins[0].regions).toBeGreaterThan(2.5);
      expect(survivors.bins[0].regions / neighbor.bins[0].regions).toBeLessThan(6.5);
      // The dump is sampled (lg_prof_sample:10): an error bar, and the truth (1024 survivors, 94% of them in the bin) within 3 of them.
      expect(r.sampling).toEqual({ model: 'poisson', periodBytes: 1024 });
      expect(survivors.bins[0].regionsStderr).toBeGreaterThan(0);
      expect(Math.abs(survivors.bins[0].regions - 1024 * Math.exp(-96 / 1024))).toBeLessThan(3 * survivors.bins[0].regionsStderr);
      expect(survivors.pinnedStderr).toBeGreaterThan(0);

      // Full slabs pin (almost) nothing.
      const dense = site(r, 'dense_site');
      expect(dense.bins.map((b) => [b.sizeBytes, b.utilization > 0.98])).toEqual([[224, true]]);
      expect(dense.pinnedBytes).toBeLessThan(0.01 * survivors.pinnedBytes);
      // Large extents have no bin.
      expect(site(r, 'buffer_site')).toMatchObject({ bins: [], unbinnedObjects: 32, unbinnedBytes: 32 * 114688, pinnedBytes: 0 });
    });
  }

  it('a stack that mixes two classes (40 and 700 bytes: 48 and 768) is spread over the right bins with the statistics', async () => {
    const stats = await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json'));
    const r = siteFragmentation(await profileOf(dump), stats);
    const mixed = site(r, 'mixed_site');
    expect(mixed).toMatchObject({ mixedSizes: true, spread: 'bins' });
    expect(mixed.bins.map((b) => b.sizeBytes)).toEqual([48, 768]);
    // 2000 of each allocated; in the bins, those jemalloc did not sample (and so move out).
    const sizes = stats.snapshots[0].sizeClasses;
    for (const b of mixed.bins) {
      const curregs = sizes.find((c) => c.table === 'small' && c.sizeBytes === b.sizeBytes)!.liveBlocks as number;
      expect(Math.abs(b.regions - curregs)).toBeLessThan(Math.max(3 * b.regionsStderr, 0.05 * curregs));
    }
    // The other sites are one class each.
    for (const name of ['survivor_site', 'neighbor_site', 'dense_site', 'buffer_site']) expect(site(r, name).mixedSizes).toBe(false);
  });

  it("the dump's per-site values are jeprof's (objects and bytes)", async () => {
    const profile = await profileOf(dump);
    const r = siteFragmentation(profile, await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json')));
    for (const [type, field] of [['inuse_objects', 'liveObjects'], ['inuse_space', 'liveBytes']] as const) {
      const golden = readReferenceText(readFileSync(join(FIXTURES, JE, 'golden', `${dump.split('/').pop()}.${type}.jeprof.txt`), 'utf8'));
      for (const name of ['survivor_site', 'neighbor_site', 'dense_site', 'mixed_site', 'buffer_site']) {
        const ref = golden.rows.find((row) => row.name === name)!;
        expect(agrees(site(r, name)[field], ref.flat)).toBe(true);
      }
    }
  });

  it('the text and the JSON statistics of the same moment give the same account', async () => {
    const profile = await profileOf(dump);
    const json = siteFragmentation(profile, await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json')));
    const text = siteFragmentation(profile, await statsOf(join(FIXTURES, JE, 'jemalloc-stats.txt')));
    expect(text.sites.map((s) => s.name)).toEqual(json.sites.map((s) => s.name));
    // Printed one after the other: the printing itself allocates a little in between.
    expect(Math.abs(text.totals.pinnedBytes - json.totals.pinnedBytes)).toBeLessThan(0.01 * json.totals.pinnedBytes);
  });
});

describe('fragmentation per call site, tcmalloc (gperftools heap profile + GetStats from one moment)', () => {
  const dump = join(FIXTURES, TC, 'fragment-sites.0001.heap');

  it('survivor_site pins the most; the sum stays within the free bytes of the class table; what the statistics lack is said', async () => {
    const stats = await statsOf(join(FIXTURES, TC, 'tcmalloc-stats.txt'));
    const r = siteFragmentation(await profileOf(dump), stats);
    checkInvariants(r);
    expect(r.allocator).toBe('tcmalloc');
    expect(r.sites[0].name).toBe('survivor_site');
    expect(r.missing.join(' ')).toMatch(/objects in use per class/);
    expect(r.missing.join(' ')).toMatch(/spans per class/);
    // The class table's free objects, × their class size.
    expect(r.totals.unusedBinBytes).toBe(stats.snapshots[0].sizeClasses.reduce((s, c) => s + (c.freeBlocks as number) * c.sizeBytes, 0));
    expect(r.totals.pinnedBytes).toBeGreaterThan(0.95 * r.totals.unusedBinBytes);
    // The heap profiler records every allocation: exact regions, no error bar; requested 96 and 90 bytes are both class 96.
    const survivors = site(r, 'survivor_site');
    expect(survivors.bins).toMatchObject([{ sizeBytes: 96, regions: 1024, regionsStderr: 0 }]);
    expect(site(r, 'neighbor_site').bins).toMatchObject([{ sizeBytes: 96, regions: 256 }]);
    expect(survivors.pinnedBytes / site(r, 'neighbor_site').pinnedBytes).toBeCloseTo(4, 9);
    expect(site(r, 'dense_site').bins).toMatchObject([{ sizeBytes: tcmallocSizeClass(200), regions: 20000 }]);
    // A stack whose sizes average to a whole number cannot be told from one of one size: the limit of requested-size dumps.
    expect(site(r, 'mixed_site')).toMatchObject({ mixedSizes: false, bins: [{ sizeBytes: 384, regions: 4000 }] });
  });

  it("the dump's per-site values are google-pprof's", async () => {
    const profile = await profileOf(dump);
    const r = siteFragmentation(profile, await statsOf(join(FIXTURES, TC, 'tcmalloc-stats.txt')));
    const golden = readReferenceText(readFileSync(join(FIXTURES, TC, 'golden', 'fragment-sites.0001.heap.inuse_space.google-pprof.txt'), 'utf8'));
    // google-pprof resolves inlined frames (addr2line -i): the return address after each site's
    // malloc call lies in the inlined check(), so the site's own value is its cum there.
    for (const name of ['survivor_site', 'neighbor_site', 'dense_site', 'mixed_site', 'buffer_site']) {
      expect(agrees(site(r, name).liveBytes, golden.rows.find((row) => row.name === name)!.cum)).toBe(true);
    }
    expect(golden.total).toBe(Math.round(r.totals.liveBytes));
  });
});

describe('inputs that do not fit together are refused, with the reason', () => {
  it('a jemalloc dump with tcmalloc statistics, and the reverse', async () => {
    const jeDump = await profileOf(fixtureFile(JE, /^jeprof\..*\.heap$/));
    const tcDump = await profileOf(join(FIXTURES, TC, 'fragment-sites.0001.heap'));
    const tcStats = await statsOf(join(FIXTURES, TC, 'tcmalloc-stats.txt'));
    const jeStats = await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json'));
    expect(() => siteFragmentation(jeDump, tcStats)).toThrow(FragmentationInputError);
    expect(() => siteFragmentation(jeDump, tcStats)).toThrow(/is a jemalloc profile, but .*tcmalloc-stats\.txt holds tcmalloc statistics/);
    expect(() => siteFragmentation(tcDump, jeStats)).toThrow(/holds jemalloc statistics: they need a jemalloc heap_v2 dump/);
  });

  it('statistics without per-bin regions (glibc, mimalloc), and a dump number beyond the file', async () => {
    const jeDump = await profileOf(fixtureFile(JE, /^jeprof\..*\.heap$/));
    const glibc = await statsOf(join(FIXTURES, 'stats', 'glibc', 'fragment', 'malloc-info.xml'));
    expect(() => siteFragmentation(jeDump, glibc)).toThrow(BinStatsError);
    expect(() => siteFragmentation(jeDump, glibc)).toThrow(/glibc statistics have no per-bin table/);
    const jeStats = await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json'));
    expect(() => siteFragmentation(jeDump, jeStats, { snapshot: 3 })).toThrow(/no statistics dump number 4 \(the file has 1\)/);
  });
});

describe('the pieces', () => {
  it('a row of jemalloc ≥ 5.3 shows its class at the apparent size its unbiasing writes', () => {
    const sampling = { model: 'poisson' as const, periodBytes: 1024 };
    // The fixture's survivor row: 95 raw objects, 9163 raw bytes.
    const factor = 1 / (1 - Math.exp(-(9163 / 95) / 1024));
    expect(rowClass('jemalloc', sampling, 95 * factor, 9163 * factor, jemallocSizeClass)).toBe(96);
    expect(jemallocApparentSize(96, sampling)).toBeCloseTo((Math.round(96 / (1 - Math.exp(-96 / 1024))) * 8) / 89, 9);
    // The dense row (raw 3898 objects, 866976 bytes): 224 shows as 222.4.
    const dense = 1 / (1 - Math.exp(-(866976 / 3898) / 1024));
    expect(rowClass('jemalloc', sampling, 3898 * dense, 866976 * dense, jemallocSizeClass)).toBe(224);
    expect(jemallocApparentSize(224, sampling)).toBeCloseTo(866976 / 3898, 1);
    // Unsampled rows are one class exactly; 370 on average is two classes.
    const none = { model: 'none' as const, periodBytes: 0 };
    expect(rowClass('jemalloc', none, 100, 9600, jemallocSizeClass)).toBe(96);
    expect(rowClass('jemalloc', none, 100, 37000, jemallocSizeClass)).toBeNull();
    // A single raw object is one size, whatever its average.
    expect(rowClass('jemalloc', sampling, 1.0001, 4101, jemallocSizeClass)).toBe(4096);
    // Requested sizes: a whole-number average is taken as one size; a fractional one mixes.
    expect(rowClass('tcmalloc', none, 3, 300, tcmallocSizeClass)).toBe(tcmallocSizeClass(100));
    expect(rowClass('tcmalloc', none, 3, 301, tcmallocSizeClass)).toBeNull();
  });

  it('two-class splits, and the choice of the pair that fits the room the statistics leave', () => {
    expect(twoClassSplit(4, 2 * 48 + 2 * 768, 48, 768)).toEqual([2, 2]);
    expect(twoClassSplit(4, 4 * 370, 384, 768)).toBeNull();
    const room = new Map([
      [48, 2000],
      [768, 2000],
      [320, 10],
    ]);
    const placed = spreadOverRoom(4000, 2000 * 40 + 2000 * 700, [320, 384], room, (_c, n) => n);
    // Not 40/700 exactly: the dump's average is of usable sizes; the room at 48 and 768 decides.
    expect(placed.map((p) => p.classBytes)).toEqual([48, 768]);
    // With no room anywhere, the adjacent pair.
    expect(spreadOverRoom(4000, 4000 * 370, [320, 384], new Map(), (_c, n) => n).map((p) => p.classBytes)).toEqual([320, 384]);
  });

  it("top's flat values and the report's live values are the same numbers", async () => {
    const profile = await profileOf(fixtureFile(JE, /^jeprof\..*\.heap$/));
    const r = siteFragmentation(profile, await statsOf(join(FIXTURES, JE, 'jemalloc-stats.json')));
    const t = top([profile], { sampleType: 'inuse_space' });
    for (const s of r.sites) expect(s.liveBytes).toBeCloseTo(t.rows.find((row) => row.name === s.name)!.flat, 6);
  });
});
