/**
 * churn per interval over series of dumps with cumulative counts: the
 * fixture series (jemalloc prof_accum:true, every allocation or 1 in 16 KiB
 * sampled; gperftools), whose workload allocates and keeps the same amounts
 * in every phase (fixtures/src/workload.c), and small built series for the
 * cases the fixtures do not have (a site missing from a dump).
 */
import { describe, expect, it } from 'vitest';
import { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, ProfileBuilder, withLocationLines, type HeapProfile } from '@heapscope/parser';
import { churn, type ChurnIntervalValues, type ChurnReport } from '@heapscope/analyzer';
import { fixtureDumps, loadSymbolized } from './fixture-series.js';
import { CHURN_PER_PHASE, LEAK_PER_PHASE, ODD_PER_PHASE } from '@heapscope/testkit/workload';

const FIELDS = ['allocObjects', 'allocBytes', 'retainedObjects', 'retainedBytes', 'churnObjects', 'churnBytes'] as const;

function total(values: readonly ChurnIntervalValues[], field: (typeof FIELDS)[number]): number {
  return values.reduce((s, v) => s + v[field], 0);
}

/** The intervals add up to the totals: per site, and for the process over every site. */
function expectSumsMatch(r: ChurnReport, digits = 6): void {
  const intervals = r.intervals!;
  for (const row of r.rows) {
    expect(row.intervals).toHaveLength(intervals.length);
    expect(total(row.intervals!, 'allocObjects')).toBeCloseTo(row.allocObjects, digits);
    expect(total(row.intervals!, 'allocBytes')).toBeCloseTo(row.allocBytes, digits);
    expect(total(row.intervals!, 'retainedObjects')).toBeCloseTo(row.liveObjects, digits);
    expect(total(row.intervals!, 'retainedBytes')).toBeCloseTo(row.liveBytes, digits);
    expect(total(row.intervals!, 'churnObjects')).toBeCloseTo(row.churnObjects, digits);
    expect(total(row.intervals!, 'churnBytes')).toBeCloseTo(row.churnBytes, digits);
    for (const v of row.intervals!) expect(v.churnObjects).toBeCloseTo(v.allocObjects - v.retainedObjects, digits);
  }
  // The process per interval is the sum over the sites (every row: no limit here).
  intervals.forEach((iv, k) => {
    for (const field of FIELDS) expect(iv[field]).toBeCloseTo(r.rows.reduce((s, row) => s + row.intervals![k][field], 0), digits);
  });
  const sumRows = (f: (typeof r.rows)[number] extends infer R ? (row: R) => number : never) => r.rows.reduce((s, row) => s + f(row), 0);
  expect(total(intervals, 'allocObjects')).toBeCloseTo(sumRows((row) => row.allocObjects), digits);
  expect(total(intervals, 'churnBytes')).toBeCloseTo(sumRows((row) => row.churnBytes), digits);
  // In use at each interval's end is the running sum of what was retained.
  let live = 0;
  for (const iv of intervals) {
    live += iv.retainedObjects;
    expect(iv.liveObjects).toBeCloseTo(live, digits);
  }
}

describe('churn per interval on the fixture series', () => {
  it('jemalloc (prof_accum, every allocation sampled): every interval after the first allocates 25,391 blocks and keeps 306', async () => {
    const files = fixtureDumps('jemalloc/all', /\.m\d+\.heap$/);
    const r = churn(await loadSymbolized(files));
    expect(r.source).toBe('series');
    expectSumsMatch(r);
    const intervals = r.intervals!;
    expect(intervals.map((iv) => [iv.from, iv.to])).toEqual(files.map((f, k) => [k === 0 ? null : files[k - 1], f]));
    // The first interval runs from the process start: the dump's own counts (+ 2 start-up rows: DTV and libstdc++'s pool).
    expect(intervals[0]).toMatchObject({ allocObjects: 25391 + 2, retainedObjects: 1435 + 2, liveObjects: 1437 });
    for (const iv of intervals.slice(1)) {
      expect(iv).toMatchObject({ allocObjects: 25391, allocBytes: 46051200, retainedObjects: 306, retainedBytes: 1560576, churnObjects: 25085 });
    }
    const site = (name: string) => r.rows.find((row) => row.name === name)!.intervals!;
    for (const v of site('churn_site')) expect(v).toEqual({ allocObjects: CHURN_PER_PHASE, allocBytes: 2800000, retainedObjects: 0, retainedBytes: 0, churnObjects: CHURN_PER_PHASE, churnBytes: 2800000 });
    for (const v of site('leak_site')) expect(v).toMatchObject({ allocObjects: 256, retainedObjects: 256, retainedBytes: LEAK_PER_PHASE, churnObjects: 0 });
    // steady_site keeps 128 blocks: after the first phase every allocation replaces one.
    expect(site('steady_site').map((v) => [v.allocObjects, v.retainedObjects, v.churnObjects])).toEqual([[128, 128, 0], ...new Array(4).fill([128, 0, 128])]);
    for (const v of site('odd_size_site')) expect(v).toMatchObject({ allocObjects: ODD_PER_PHASE, retainedObjects: 50, churnObjects: ODD_PER_PHASE - 50 });
    // The totals are what they were: the last dump's cumulative counts and in-use values.
    expect(r.rows[0]).toMatchObject({ name: 'churn_site', allocObjects: 5 * CHURN_PER_PHASE, liveObjects: 0, churnShare: 1 });
  });

  it('gperftools (requested sizes): churn_site allocates 2,720,000 bytes per interval and keeps none', async () => {
    const r = churn(await loadSymbolized(fixtureDumps('gperftools', /^workload\.000[1-5]\.heap$/)));
    expectSumsMatch(r);
    const churnSite = r.rows.find((row) => row.name === 'churn_site')!;
    expect(churnSite.intervals!.map((v) => v.allocBytes)).toEqual(new Array(5).fill(2720000));
    // Each interval after the first: the workload's 25,391 allocations, 306 kept.
    for (const iv of r.intervals!.slice(1)) expect(iv).toMatchObject({ allocObjects: 25391, retainedObjects: 306 });
  });

  it('sampled jemalloc dumps: estimates, but the intervals still add up to the totals', async () => {
    const r = churn(await loadSymbolized(fixtureDumps('jemalloc/sampled', /\.m\d+\.heap$/)));
    expectSumsMatch(r, 3);
    const churnSite = r.rows.find((row) => row.name === 'churn_site')!;
    expect(churnSite.liveObjects).toBe(0);
    // About 20,000 allocations per phase, estimated from 1 sample per 16 KiB.
    for (const v of churnSite.intervals!) expect(Math.abs(v.allocObjects - CHURN_PER_PHASE) / CHURN_PER_PHASE).toBeLessThan(0.25);
  });

  it('one dump: one interval, from the process start', async () => {
    const r = churn(await loadSymbolized(fixtureDumps('jemalloc/all', /\.f\.heap$/)));
    expect(r.source).toBe('snapshot');
    expect(r.intervals).toHaveLength(1);
    expect(r.intervals![0].from).toBeNull();
    expectSumsMatch(r);
  });

  it('-n keeps the per-interval values of the rows shown only; the process intervals still cover every site', async () => {
    const loaded = await loadSymbolized(fixtureDumps('jemalloc/all', /\.m\d+\.heap$/));
    const all = churn(loaded);
    const two = churn(loaded, { limit: 2 });
    expect(two.rows).toHaveLength(2);
    expect(two.intervals).toEqual(all.intervals);
    expect(two.rows.map((row) => row.intervals)).toEqual(all.rows.slice(0, 2).map((row) => row.intervals));
  });
});

describe('churn per interval, built series', () => {
  it('a site missing from a dump has nothing in use there and is not counted twice when it comes back', () => {
    // [alloc_objects, alloc_space, inuse_objects, inuse_space] per site and dump.
    const series = [
      build({ a: [10, 100, 4, 40], b: [5, 50, 5, 50] }),
      build({ a: [30, 300, 2, 20] }), // b missing (e.g. not sampled)
      build({ a: [30, 300, 0, 0], b: [8, 80, 1, 10] }),
    ];
    const r = churn(series.map((profile) => ({ profile })));
    expectSumsMatch(r);
    const site = (name: string) => r.rows.find((row) => row.name === name)!;
    expect(site('b').intervals!.map((v) => [v.allocObjects, v.retainedObjects, v.churnObjects])).toEqual([
      [5, 5, 0],
      [0, -5, 5],
      [3, 1, 2],
    ]);
    expect(site('b')).toMatchObject({ allocObjects: 8, liveObjects: 1, churnObjects: 7 });
    expect(site('a').intervals!.map((v) => [v.allocObjects, v.retainedObjects, v.churnObjects])).toEqual([
      [10, 4, 6],
      [20, -2, 22],
      [0, -2, 2],
    ]);
    expect(r.intervals!.map((iv) => [iv.allocObjects, iv.retainedObjects, iv.churnObjects, iv.liveObjects])).toEqual([
      [15, 9, 6, 9],
      [20, -7, 27, 2],
      [3, -1, 4, 1],
    ]);
  });

  it('a site first seen in a later dump has zeros before it', () => {
    const r = churn([build({ a: [1, 8, 1, 8] }), build({ a: [1, 8, 1, 8], late: [4, 32, 0, 0] })].map((profile) => ({ profile })));
    expectSumsMatch(r);
    expect(r.rows.find((row) => row.name === 'late')!.intervals!.map((v) => v.allocObjects)).toEqual([0, 4]);
  });
});

/** A dump with cumulative counts: one single-frame stack per site. */
function build(sites: Record<string, [number, number, number, number]>): HeapProfile {
  const b = new ProfileBuilder({
    sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
    meta: { format: 'test', variant: '', file: 'test', sampling: { model: 'none', periodBytes: 0 }, sizeKind: 'exact', returnAddresses: false, warnings: [] },
  });
  const names: string[] = [];
  Object.entries(sites).forEach(([name, values], i) => {
    const location = b.addLocation(0, 0x1000 + 0x10 * i, -1);
    names[location] = name;
    b.addSample(b.internStack([location]), -1, Float64Array.from(values));
  });
  return withLocationLines(b.finish(), (l) => (names[l] ? [{ name: names[l] }] : undefined));
}
