/**
 * The analyses on the fixture workload (fixtures/src/workload.c documents
 * its sites): the leak ranks first in growth with the slope it leaks per
 * phase, the churning and odd-size sites lead churn, size classes are right.
 */
import { describe, expect, it } from 'vitest';
import { churn, glibcChunkSize, growth, growthOfPoints, growthPoint, jemallocSizeClass, linearFit, pow2Bucket, seriesOrder, seriesWarnings, sizes } from '@heapscope/analyzer';
import { fixtureDumps, loadSymbolized } from './fixture-series.js';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { ODD_PER_PHASE, ODD_SIZE, ODD_SIZE_CLASS } from '@heapscope/testkit/workload';

const MiB = 1048576;

describe('growth on the fixture series', () => {
  const cases = [
    { dir: 'jemalloc/all', pattern: /\.m\d+\.heap$/, odd: 512000 }, // 50 × 10240 (size class) per phase
    { dir: 'gperftools', pattern: /^workload\.000[1-5]\.heap$/, odd: 411250 }, // 50 × 8225 (requested) per phase
  ];
  for (const { dir, pattern, odd } of cases) {
    it(`${dir}: leak_site first, 1 MiB per dump, r² = 1; odd_size_site next`, async () => {
      const loaded = await loadSymbolized(fixtureDumps(dir, pattern));
      const r = growth(loaded.map((l) => l.profile));
      expect(r.points).toBe(5);
      expect(r.rows[0]).toMatchObject({ name: 'leak_site', trend: 'growing', withinNoise: false });
      expect(r.rows[0].slope).toBeCloseTo(MiB, 3);
      expect(r.rows[0].delta).toBeCloseTo(4 * MiB, 3);
      expect(r.rows[0].r2).toBeCloseTo(1, 9);
      expect(r.rows[1].name).toBe('odd_size_site');
      expect(r.rows[1].slope).toBeCloseTo(odd, 3);
      const steady = r.rows.find((row) => row.name === 'steady_site')!;
      expect(steady.trend).toBe('flat');
      expect(steady.score).toBe(0);
      expect(r.verdict).toBe('leak_site grew 1.00 MiB per point over 5 points (4.00 MiB in all), r²=1.00');
    });
  }

  it('a constant series fits its flat line exactly, whatever floating-point sums leave behind', () => {
    expect(linearFit(new Array(100).fill(81920.1))).toEqual({ slope: 0, r2: 1 });
    expect(linearFit([1, 2, 3, 4]).r2).toBeCloseTo(1, 12);
  });

  it('point by point (as the CLI reads a long series) gives the same report as from the profiles', async () => {
    const loaded = await loadSymbolized(fixtureDumps('jemalloc/all', /\.m\d+\.heap$/));
    const profiles = loaded.map((l) => l.profile);
    const points = profiles.map((p) => growthPoint(p));
    expect(growthOfPoints(points)).toEqual(growth(profiles));
    expect(() => growthOfPoints([points[0], growthPoint(profiles[1], { sampleType: 'alloc_space' })])).toThrow(/its values are alloc_space, the series' are inuse_space/);
  });

  it('a site that grew and stopped is a plateau: it ranks after a smaller steady leak', () => {
    // 12 points: cache_site jumps by 10,000 for 4 points and then holds; leak_site gains 1,000 every point.
    const series = Array.from({ length: 12 }, (_, i) =>
      buildProfile([
        { stack: ['cache_site', 'main'], bytes: 1 + 10_000 * Math.min(i, 4) },
        { stack: ['leak_site', 'main'], bytes: 1 + 1_000 * i },
        { stack: ['flat_site', 'main'], bytes: 500 },
      ]),
    );
    const r = growth(series);
    expect(r.rows.map((row) => [row.name, row.trend])).toEqual([
      ['leak_site', 'growing'],
      ['cache_site', 'plateau'],
      ['flat_site', 'flat'],
    ]);
    expect(r.rows[1].score).toBe(0);
    expect(r.verdict).toMatch(/^leak_site grew/);
    // Alone, the plateau is not called a leak.
    const alone = growth(series.map((p, i) => buildProfile([{ stack: ['cache_site', 'main'], bytes: 1 + 10_000 * Math.min(i, 4) }])));
    expect(alone.verdict).toBe('no steady growth; cache_site grew 39.1 KiB, then stopped');
    // Flat for too short a tail (one step of 11) is still growing.
    const late = growth(series.map((p, i) => buildProfile([{ stack: ['late_site', 'main'], bytes: 1 + 100 * Math.min(i, 10) }])));
    expect(late.rows[0].trend).toBe('growing');
  });

  it('sampled jemalloc dumps: the leak still ranks first; flat sites are within noise', async () => {
    const loaded = await loadSymbolized(fixtureDumps('jemalloc/sampled', /\.m\d+\.heap$/));
    const r = growth(loaded.map((l) => l.profile));
    expect(r.rows[0].name).toBe('leak_site');
    expect(Math.abs(r.rows[0].slope - MiB)).toBeLessThan(0.25 * MiB);
    const steady = r.rows.find((row) => row.name === 'steady_site')!;
    expect(steady.noise).toBeGreaterThan(0);
    expect(steady.withinNoise).toBe(true);
    expect(r.rows[0].noise).toBeLessThan(r.rows[0].delta / 2);
  });

  it('orders by dump sequence number, whatever the order given, and warns about series that are not one', async () => {
    const files = fixtureDumps('jemalloc/all', /\.m\d+\.heap$/).reverse();
    const loaded = await loadSymbolized(files);
    const profiles = loaded.map((l) => l.profile);
    const order = seriesOrder(profiles);
    expect(order.by).toBe('sequence');
    expect(order.indexes).toEqual([4, 3, 2, 1, 0]);
    expect(seriesWarnings(order.indexes.map((i) => profiles[i]))).toEqual([]);
    // As given (reversed), the cumulative counters go backwards.
    expect(seriesWarnings(profiles).join('\n')).toMatch(/cumulative alloc_objects goes backwards/);
    const gperf = await loadSymbolized(fixtureDumps('gperftools', /0001\.heap$/));
    const mixed = seriesWarnings([profiles[0], gperf[0].profile]).join('\n');
    expect(mixed).toMatch(/different formats \(jemalloc heap_v2, gperftools heapprofile\)/);
    expect(mixed).toMatch(/record sizes differently \(average-usable, average-requested\)/);
    // Both record every allocation (jemalloc with lg_prof_sample:0 says Poisson with a 1-byte period): not sampled differently.
    expect(mixed).not.toMatch(/sampled differently/);
    const sampled = await loadSymbolized(fixtureDumps('jemalloc/sampled', /\.f\.heap$/));
    expect(seriesWarnings([profiles[0], sampled[0].profile]).join('\n')).toMatch(/sampled differently \(none, poisson\/16384\)/);
  });
});

describe('churn on the fixtures', () => {
  it('a gperftools series: churn_site leads, allocating 20,000 blocks per phase and keeping none', async () => {
    const loaded = await loadSymbolized(fixtureDumps('gperftools', /^workload\.000[1-5]\.heap$/));
    const r = churn(loaded);
    expect(r.source).toBe('series');
    expect(r.rows[0]).toMatchObject({ name: 'churn_site', allocObjects: 100000, liveObjects: 0, churnShare: 1, temporary: null });
    expect(r.rows[0].allocBytes).toBe(5 * 2720000);
    const odd = r.rows.find((row) => row.name === 'odd_size_site')!;
    expect(odd).toMatchObject({ allocObjects: 5 * ODD_PER_PHASE, liveObjects: 250 });
    const leak = r.rows.find((row) => row.name === 'leak_site')!;
    expect(leak.churnObjects).toBe(0);
  });

  it('one jemalloc dump with cumulative counts: alloc versus in use', async () => {
    const [loaded] = await loadSymbolized(fixtureDumps('jemalloc/all', /\.f\.heap$/));
    const r = churn([loaded]);
    expect(r.source).toBe('snapshot');
    expect(r.rows[0].name).toBe('churn_site');
    expect(r.rows[0].allocObjects).toBeCloseTo(100000, 3);
  });

  it('refuses dumps without cumulative counts, saying why', async () => {
    const [loaded] = await loadSymbolized(fixtureDumps('jemalloc/all', /\.f\.heap$/));
    const inuseOnly = loaded.profile.with({
      sampleTypes: loaded.profile.sampleTypes.slice(2),
      samples: { ...loaded.profile.samples, values: loaded.profile.samples.values.slice(2) },
    });
    expect(() => churn([{ profile: inuseOnly }])).toThrow(/needs cumulative allocation counts/);
  });
});

describe('sizes', () => {
  it('size classes: jemalloc, glibc chunks, powers of two', () => {
    expect([1, 8, 9, 16, 17, 128, 129, 160, 161, 8192, 8225, 10240, 10241, 16385].map(jemallocSizeClass)).toEqual([
      8, 8, 16, 16, 32, 128, 160, 160, 192, 8192, 10240, 10240, 12288, 20480,
    ]);
    expect([0, 24, 25, 8225, 131072].map(glibcChunkSize)).toEqual([32, 32, 48, 8240, 135168]);
    expect([1, 3, 4, 4097].map(pow2Bucket)).toEqual([1, 4, 4, 8192]);
  });

  it('a jemalloc dump: average sizes in size classes, counted by allocations; per-site breakdown', async () => {
    const loaded = await loadSymbolized(fixtureDumps('jemalloc/all', /\.f\.heap$/));
    const r = sizes(loaded, { by: 'function' });
    expect(r).toMatchObject({ sizeKind: 'average-usable', counts: 'allocations', buckets: 'exact' });
    const odd = r.sites.find((s) => s.name === 'odd_size_site')!;
    expect(odd.rows[0]).toMatchObject({ size: ODD_SIZE_CLASS, count: 5 * ODD_PER_PHASE });
    const classes = sizes(loaded, { buckets: 'class' });
    expect(classes.classes).toBe('jemalloc');
    expect(classes.rows.find((row) => row.size === ODD_SIZE_CLASS)?.count).toBeCloseTo(5 * ODD_PER_PHASE, 6);
    const total = r.rows.reduce((s, row) => s + row.count, 0);
    expect(total).toBeCloseTo(r.totalCount, 6);
  });

  it("a sampled jemalloc dump: each one-class row at its class, not at the average jemalloc's unbiasing writes; totals the dump's", async () => {
    for (const dir of ['jemalloc/sampled', 'waste/sampling/series']) {
      const loaded = await loadSymbolized(fixtureDumps(dir, /\.heap$/).slice(-1));
      const profile = loaded[0].profile;
      expect(profile.meta.sampling.periodBytes).toBeGreaterThan(1);
      for (const buckets of ['exact', 'class'] as const) {
        const r = sizes(loaded, { by: 'function', buckets });
        // Every row of one size is at a jemalloc class: the sites that allocate one size each.
        for (const site of r.sites) {
          if (site.rows.length !== 1 || site.name === 'churn_site' || /mixed/.test(site.name)) continue;
          expect(jemallocSizeClass(site.rows[0].size), `${dir} ${buckets} ${site.name}`).toBe(site.rows[0].size);
        }
        // The counts and bytes are the dump's estimates, as top sums them.
        expect(r.totalCount).toBeCloseTo(profile.total(profile.sampleTypeIndex('alloc_objects')), 6);
        expect(r.totalBytes).toBeCloseTo(profile.total(profile.sampleTypeIndex('alloc_space')), 0);
      }
    }
    // The workload's sites at the classes of the dump with every allocation recorded.
    const sampled = sizes(await loadSymbolized(fixtureDumps('jemalloc/sampled', /\.f\.heap$/)), { by: 'function', buckets: 'class' });
    expect(Object.fromEntries(['leak_site', 'steady_site', 'odd_size_site'].map((n) => [n, sampled.sites.find((s) => s.name === n)!.rows[0].size]))).toEqual({
      leak_site: 4096,
      steady_site: 8192,
      odd_size_site: ODD_SIZE_CLASS,
    });
  });

  it('a gperftools dump records requested sizes: 8225 for odd_size_site', async () => {
    const loaded = await loadSymbolized(fixtureDumps('gperftools', /0005\.heap$/));
    const r = sizes(loaded, { by: 'function' });
    expect(r.sizeKind).toBe('average-requested');
    expect(r.sites.find((s) => s.name === 'odd_size_site')!.rows[0]).toMatchObject({ size: ODD_SIZE, count: 5 * ODD_PER_PHASE });
  });
});
