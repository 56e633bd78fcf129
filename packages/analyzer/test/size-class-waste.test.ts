/**
 * Size-class waste, requested versus usable, on the fixture workload
 * (fixtures/src/workload.c lists its sizes): the bytes each allocator's
 * classes would lose to rounding, per site and in all, from exact requested
 * sizes (heaptrack, perf probe records, record_allocs) and from per-stack
 * averages (gperftools dumps). Expected values are worked out here from the
 * workload's sizes and the classes the real allocators give them (checked by
 * size-classes-native.test.ts): glibc chunks of 8240 for 8225 bytes, jemalloc
 * and mimalloc 10240, tcmalloc 9216.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBytes, symbolize } from '@heapscope/parser';
import {
  SizeClassWasteInputError,
  readInput,
  readOpened,
  parseAllocatorList,
  sizeClassWaste,
  sizes,
  top,
  withWasteSampleType,
  type LoadedInput,
} from '@heapscope/analyzer';
import { CORPUS, FIXTURES } from '@heapscope/testkit/paths';
import { RECORD_ALLOCS_TIMED } from '@heapscope/testkit/hand-written';
import { CHURN_PER_PHASE, ODD_PER_PHASE, ODD_SIZE } from '@heapscope/testkit/workload';
import { WORKLOAD } from './fixture-series.js';

const PHASES = 5;

async function loadSymbolized(path: string): Promise<LoadedInput> {
  const loaded = await readInput(path);
  const { profile } = await symbolize(loaded.profile, { symbolPaths: [WORKLOAD], external: 'none' });
  return { ...loaded, profile };
}

/** churn_site's sizes are 16·k for k = 1..16, each an equal share of its allocations. */
const churnSizes = Array.from({ length: 16 }, (_, k) => 16 * (k + 1));
const perChurnSize = (CHURN_PER_PHASE * PHASES) / 16;

describe('size-class waste from exact requested sizes (heaptrack: every allocation of the run)', () => {
  const path = join(FIXTURES, 'heaptrack', 'heaptrack.workload.19839.zst');

  it('per site and per allocator, as the workload and the real classes say', async () => {
    const r = sizeClassWaste([await loadSymbolized(path)]);
    expect(r).toMatchObject({ sizeKind: 'exact', counts: 'allocations', allocators: ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'], rankBy: 'glibc' });
    const site = (name: string) => r.sites.find((s) => s.name === name)!;
    // 8225 bytes: glibc's chunk 8240, jemalloc's and mimalloc's class 10240, tcmalloc's 9216.
    expect(site('odd_size_site').waste).toEqual({
      glibc: ODD_PER_PHASE * PHASES * (8240 - ODD_SIZE),
      jemalloc: ODD_PER_PHASE * PHASES * (10240 - ODD_SIZE),
      tcmalloc: ODD_PER_PHASE * PHASES * (9216 - ODD_SIZE),
      mimalloc: ODD_PER_PHASE * PHASES * (10240 - ODD_SIZE),
    });
    // 16·k bytes: glibc adds its 8-byte header and rounds to 16 (16 more each); jemalloc and mimalloc round
    // 144, 176, 208, 240 up by 16; every multiple of 16 to 256 is a tcmalloc class.
    expect(site('churn_site').waste).toEqual({ glibc: churnSizes.length * perChurnSize * 16, jemalloc: 4 * perChurnSize * 16, tcmalloc: 0, mimalloc: 4 * perChurnSize * 16 });
    // 4096 bytes: a class everywhere but glibc's 4112-byte chunk.
    expect(site('leak_site').waste).toEqual({ glibc: 256 * PHASES * 16, jemalloc: 0, tcmalloc: 0, mimalloc: 0 });
    // Ranked by glibc's waste; totals are the sums, and the share is of the requested bytes.
    expect(r.sites[0].name).toBe('churn_site');
    for (const a of r.allocators) {
      expect(r.sites.reduce((s, x) => s + x.waste[a], 0)).toBeCloseTo(r.total.waste[a], 6);
      expect(r.total.wasteShare[a]).toBeCloseTo(r.total.waste[a] / r.total.requestedBytes, 12);
    }
    const byJemalloc = sizeClassWaste([await loadSymbolized(path)], { rankBy: 'jemalloc', allocators: ['jemalloc', 'glibc'], limit: 2 });
    expect(byJemalloc.sites.map((s) => s.name)).toEqual(['odd_size_site', 'churn_site']);
    expect(Object.keys(byJemalloc.total.waste)).toEqual(['jemalloc', 'glibc']);
    expect(byJemalloc.siteCount).toBe(r.siteCount);
  });

  it("top -t waste_space: a sample type of the same bytes, per site, ranked like the report", async () => {
    const input = await loadSymbolized(path);
    const r = sizeClassWaste([input], { allocators: ['tcmalloc'] });
    const t = top([withWasteSampleType(input, 'tcmalloc')], { sampleType: 'waste_space' });
    expect(t.unit).toBe('bytes');
    expect(t.rows[0].name).toBe('odd_size_site');
    for (const s of r.sites.filter((x) => x.waste.tcmalloc > 0)) expect(t.rows.find((row) => row.name === s.name)!.flat).toBeCloseTo(s.waste.tcmalloc, 6);
    expect(t.total).toBeCloseTo(r.total.waste.tcmalloc, 6);
  });
});

describe('sizes with waste (the `sizes --waste` rows)', () => {
  it('perf probe records: each exact size row carries its waste per allocator; the rows add up to the total', async () => {
    const input = await readInput(join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz'));
    const r = sizes([input], { waste: parseAllocatorList('glibc,jemalloc,tcmalloc'), sites: 3 });
    const odd = r.rows.find((row) => row.size === ODD_SIZE)!;
    expect(odd.waste).toEqual({ glibc: odd.count * (8240 - ODD_SIZE), jemalloc: odd.count * (10240 - ODD_SIZE), tcmalloc: odd.count * (9216 - ODD_SIZE) });
    expect(odd.count).toBe(ODD_PER_PHASE); // one phase recorded
    expect(r.waste!.allocators).toEqual(['glibc', 'jemalloc', 'tcmalloc']);
    for (const a of r.waste!.allocators) {
      expect(r.rows.reduce((s, row) => s + row.waste![a], 0)).toBeCloseTo(r.waste!.total[a], 6);
      expect(r.sites.reduce((s, site) => s + site.waste![a], 0)).toBeLessThanOrEqual(r.waste!.total[a] + 1e-6);
    }
    // Without the option, rows are as before.
    expect(sizes([input]).rows[0].waste).toBeUndefined();
  });

  it('pow2 buckets sum the waste of the sizes in them', async () => {
    const input = await readInput(join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz'));
    const exact = sizes([input], { waste: ['glibc'] });
    const pow2 = sizes([input], { waste: ['glibc'], buckets: 'pow2' });
    expect(pow2.waste!.total.glibc).toBeCloseTo(exact.waste!.total.glibc, 6);
    const bucket16k = pow2.rows.find((row) => row.size === 16384)!; // 8225 falls in (8192, 16384]
    expect(bucket16k.waste!.glibc).toBe(exact.rows.filter((row) => row.size > 8192 && row.size <= 16384).reduce((s, row) => s + row.waste!.glibc, 0));
  });
});

describe('per-stack averages (gperftools dumps) and their limit', () => {
  it('a stack of one size is exact; a stack that mixes sizes counts the waste of its average', async () => {
    const dump = await loadSymbolized(join(FIXTURES, 'gperftools', 'workload.0005.heap'));
    const exact = sizeClassWaste([await loadSymbolized(join(FIXTURES, 'heaptrack', 'heaptrack.workload.19839.zst'))]);
    const r = sizeClassWaste([dump]);
    expect(r).toMatchObject({ sizeKind: 'average', counts: 'allocations' });
    const site = (rep: typeof r, name: string) => rep.sites.find((s) => s.name === name)!;
    expect(site(r, 'odd_size_site').waste).toEqual(site(exact, 'odd_size_site').waste);
    // churn_site mixes 16..256 bytes: its average, 136, takes a 144-byte chunk (8 over), where each size takes 16 more.
    expect(site(r, 'churn_site').waste.glibc).toBe(CHURN_PER_PHASE * PHASES * 8);
    expect(site(exact, 'churn_site').waste.glibc).toBe(CHURN_PER_PHASE * PHASES * 16);
  });

  it('a jemalloc dump records usable sizes: refused, saying why', async () => {
    const jemalloc = await readInput(join(FIXTURES, 'jemalloc', 'all', (await import('node:fs')).readdirSync(join(FIXTURES, 'jemalloc', 'all')).find((f) => f.endsWith('.f.heap'))!));
    expect(() => sizeClassWaste([jemalloc])).toThrow(SizeClassWasteInputError);
    expect(() => sizes([jemalloc], { waste: ['glibc'] })).toThrow(/records usable sizes \(the allocator's classes\), not requested ones/);
    expect(() => withWasteSampleType(jemalloc, 'glibc')).toThrow(SizeClassWasteInputError);
    expect(() => parseAllocatorList('glibc,hoard')).toThrow(/unknown allocator "hoard"; size classes are known for glibc, jemalloc, tcmalloc, mimalloc, scudo, bionic-jemalloc/);
  });
});

describe("Android inputs: bionic's allocators by default", () => {
  it('record_allocs (hand-written in its grammar): scudo blocks hold a 16-byte header; bionic jemalloc rounds to its classes', async () => {
    const input = await readOpened(await openBytes('record_allocs.txt', new TextEncoder().encode(RECORD_ALLOCS_TIMED)));
    const r = sizeClassWaste([input]);
    expect(r.allocators).toEqual(['scudo', 'bionic-jemalloc']);
    // Requests: malloc 100, calloc 4×50 = 200, memalign 1000, realloc to 300, malloc 7 (realloc to 0 frees).
    // scudo: 16-byte rounding plus the header → 112+16 → 144, 216 → 224, 1024 → 1104, 320 → 352, 32 → 32.
    // bionic jemalloc: 112, 224, 1024, 320, 8.
    expect(r.total.requestedBytes).toBe(100 + 200 + 1000 + 300 + 7);
    expect(r.total.waste).toEqual({ scudo: 44 + 24 + 104 + 52 + 25, 'bionic-jemalloc': 12 + 24 + 24 + 20 + 1 });
  });

  const systemui = resolve(CORPUS, 'android-record-allocs', 'systemui.zip');
  if (!existsSync(systemui)) console.warn(`[heapscope tests] ${systemui} not found: the record_allocs waste test on a real trace is skipped`);
  it.skipIf(!existsSync(systemui))("a real record_allocs trace (systemui): every request counted; scudo's waste includes at least each block's 16-byte header", async () => {
    const input = await readInput(systemui);
    const r = sizeClassWaste([input]);
    const s = sizes([input]);
    expect(r.total.count).toBe(s.totalCount);
    expect(r.total.requestedBytes).toBe(s.totalBytes);
    expect(r.total.waste.scudo).toBeGreaterThan(16 * r.total.count); // at least the header of each block
    expect(r.total.waste['bionic-jemalloc']).toBeGreaterThan(0);
  });
});
