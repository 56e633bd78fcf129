/**
 * Error bars on sampled profiles.
 *
 * The formula (jemalloc's per-allocation variance of the unbiased estimate,
 * Z²·e^(−Z/R)/(1 − e^(−Z/R))) in closed form; then against the real
 * allocator: fixtures/waste/sampling/runs/ holds 24 dumps of the same
 * deterministic workload (fixtures/src/sampling-workload.c), each sampled
 * differently (lg_prof_sample:12, ASLR on), and truth/ the same workload
 * with every allocation recorded. About 68% of the sites' estimates must lie
 * within ±1 standard error of the truth — the check the experiment
 * bench/experiments/sampling-coverage.mjs makes with hundreds of runs.
 * Finally growth's noise test on a sampled series of one process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { symbolize, type HeapProfile } from '@heapscope/parser';
import { diffProfiles, diffTop, errorBarCoverage, growth, readInput, rowVariance, sampleVariances, sampledProbability, slopeStandardError, top } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';
import { agrees, readReferenceText } from '@heapscope/testkit/reference-tools';
// The experiment's own computation, so that the test and the experiment measure the same thing.


const BIN = join(FIXTURES, 'waste', 'bin', 'sampling-workload');
const SITES = ['tiny_site', 'small_site', 'medium_site', 'page_site', 'big_site', 'huge_site', 'few_site', 'mixed_site'];

async function load(path: string): Promise<HeapProfile> {
  const { profile } = await symbolize((await readInput(path)).profile, { symbolPaths: [BIN], external: 'none' });
  return profile;
}

describe('the variance of an unsampled row', () => {
  const R = 4096;
  const poisson = { model: 'poisson' as const, periodBytes: R };

  it("is N·Z²·e^(−Z/R)/(1 − e^(−Z/R)) for bytes and N·e^(−Z/R)/(1 − e^(−Z/R)) for objects (jemalloc's PROFILING_INTERNALS)", () => {
    for (const Z of [16, 100, 1000, 4096, 10000, 65536]) {
      const q = Math.exp(-Z / R);
      expect(rowVariance(poisson, 10, 10 * Z, 'bytes') / ((10 * Z * Z * q) / (1 - q))).toBeCloseTo(1, 8);
      expect(rowVariance(poisson, 10, 10 * Z, 'objects') / ((10 * q) / (1 - q))).toBeCloseTo(1, 8);
    }
    // About R·Z per small allocation; Z² where Z = R·ln 2; towards 0 far above R.
    expect(rowVariance(poisson, 1, 16, 'bytes') / (R * 16)).toBeCloseTo(1, 2);
    expect(rowVariance(poisson, 1, R * Math.LN2, 'bytes') / (R * Math.LN2) ** 2).toBeCloseTo(1, 9);
    expect(rowVariance(poisson, 1, 64 * R, 'bytes')).toBeLessThan(1e-9 * (64 * R) ** 2);
  });

  it('is 0 when every allocation was recorded (no sampling, or a 1-byte period: lg_prof_sample:0); signs do not matter', () => {
    expect(rowVariance({ model: 'none', periodBytes: 0 }, 10, 1000, 'bytes')).toBe(0);
    expect(rowVariance({ model: 'poisson', periodBytes: 1 }, 10, 1000, 'bytes')).toBe(0);
    expect(sampledProbability({ model: 'poisson', periodBytes: 1 }, 8)).toBe(1);
    expect(rowVariance(poisson, -10, -1000, 'bytes')).toBe(rowVariance(poisson, 10, 1000, 'bytes'));
    // The uniform model (jeprof's v1): p = min(1, Z/R).
    expect(rowVariance({ model: 'uniform', periodBytes: 1000 }, 4, 400, 'objects')).toBeCloseTo(4 * (0.9 / 0.1), 9);
  });

  it('the standard error of a slope over independent points', () => {
    // Five points of variance v: Σ(x − x̄)² = 10, so √(10 v) / 10.
    expect(slopeStandardError([4, 4, 4, 4, 4])).toBeCloseTo(Math.sqrt(40) / 10, 12);
    expect(slopeStandardError([9])).toBe(0);
  });
});

describe('against the real allocator: the same workload dumped 24 times, each run sampled differently', () => {
  const truthPath = fixtureFile('waste/sampling/truth', /^jeprof\..*\.heap$/);
  const runs = fixtureFiles('waste/sampling/runs', /^run\d+\..*\.heap$/);

  it('the truth (every allocation recorded) is what jeprof reads, and carries no error bar', async () => {
    const t = top([await load(truthPath)], { sampleType: 'inuse_space' });
    const golden = readReferenceText(readFileSync(join(FIXTURES, 'waste/sampling/truth/golden', `${truthPath.split('/').pop()}.inuse_space.jeprof.txt`), 'utf8'));
    for (const name of SITES) {
      const row = t.rows.find((r) => r.name === name)!;
      expect(agrees(row.flat, golden.rows.find((r) => r.name === name)!.flat)).toBe(true);
      expect(row.stderr).toBeUndefined();
    }
    // The workload's sizes, in jemalloc's classes: 32768 × 16 and 16 × 64 KiB (jeprof's unsampling with
    // a 1-byte period adds a millionth).
    expect(t.rows.find((r) => r.name === 'tiny_site')!.flat).toBeCloseTo(32768 * 16, 0);
    expect(t.rows.find((r) => r.name === 'huge_site')!.flat).toBeCloseTo(16 * 65536, 0);
  });

  it('about 68% of the estimates within ±1 standard error, about 95% within ±2', async () => {
    expect(runs.length).toBe(24);
    const truthRows = top([await load(truthPath)], { sampleType: 'inuse_space' }).rows;
    const truth = new Map(SITES.map((name) => [name, truthRows.find((r) => r.name === name)!.flat]));
    const estimates = [];
    for (const path of runs) estimates.push(top([await load(path)], { sampleType: 'inuse_space' }).rows);
    // The runs did sample differently.
    expect(new Set(estimates.map((rows) => rows.find((r) => r.name === 'tiny_site')?.flat)).size).toBeGreaterThan(12);
    const { sites, overall } = errorBarCoverage(estimates, truth);
    // 24 runs × 7 sampled sites: 168 pairs, so ±3.5 binomial standard errors around 68% and 95%.
    expect(overall.pairs).toBe(24 * 7);
    expect(overall.within1).toBeGreaterThan(0.55);
    expect(overall.within1).toBeLessThan(0.81);
    expect(overall.within2).toBeGreaterThan(0.88);
    // The spread of (estimate − truth) / stderr is that of a standard normal.
    expect(overall.zRms).toBeGreaterThan(0.8);
    expect(overall.zRms).toBeLessThan(1.25);
    // 64 KiB blocks (16 times the period) are always sampled: exact, with an error bar of nothing.
    const huge = sites.find((s: { name: string }) => s.name === 'huge_site');
    expect(huge.within1).toBe(1);
    expect(huge.meanRelStderr).toBeLessThan(1e-3);
    // A site with few samples has a wide bar, and the bar still holds.
    const few = sites.find((s: { name: string }) => s.name === 'few_site');
    expect(few.meanRelStderr).toBeGreaterThan(0.2);
    expect(few.within2).toBeGreaterThan(0.8);
  });

  it("a site's stderr is the root of the summed variances of its rows, by the tree walk and sample by sample alike", async () => {
    const profile = await load(runs[0]);
    const variances = sampleVariances(profile, profile.sampleTypeIndex('inuse_space'))!;
    const t = top([profile], { sampleType: 'inuse_space' });
    const walked = top([profile], { sampleType: 'inuse_space', focus: /./ }); // a filter: the sample-by-sample path
    for (const row of t.rows) {
      const other = walked.rows.find((r) => r.name === row.name)!;
      expect(other.stderr).toBeCloseTo(row.stderr as number, 6);
      expect(other.cumStderr).toBeCloseTo(row.cumStderr as number, 6);
    }
    let all = 0;
    for (const v of variances) all += v;
    expect(t.rows.find((r) => r.name === 'main')!.cumStderr).toBeCloseTo(Math.sqrt(all), 3);
    // Object counts get their own error bars.
    const objects = top([profile], { sampleType: 'inuse_objects' }).rows.find((r) => r.name === 'tiny_site')!;
    expect(objects.stderr! / objects.flat).toBeGreaterThan(0.02);
  });
});

describe('error bars over several dumps: each dump by its own sampling, the variances added', () => {
  const truthPath = fixtureFile('waste/sampling/truth', /^jeprof\..*\.heap$/);
  const runs = fixtureFiles('waste/sampling/runs', /^run\d+\..*\.heap$/);
  const squared = (x: number | undefined) => (x ?? 0) ** 2;
  /** Equal within a relative 1e-9 (sums in another order). */
  const same = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

  it("top over dumps: a site's variance is the sum of its variances in each; a dump with every allocation recorded adds none", async () => {
    const [a, b, truth] = [await load(runs[0]), await load(runs[1]), await load(truthPath)];
    for (const sampleType of ['inuse_space', 'inuse_objects', 'alloc_space']) {
      const [ta, tb] = [top([a], { sampleType }), top([b], { sampleType })];
      const both = top([a, b], { sampleType });
      const withTruth = top([a, truth], { sampleType });
      for (const name of SITES) {
        const [ra, rb, r] = [ta.rows.find((x) => x.name === name), tb.rows.find((x) => x.name === name), both.rows.find((x) => x.name === name)!];
        same(squared(r.stderr), squared(ra?.stderr) + squared(rb?.stderr));
        same(squared(r.cumStderr), squared(ra?.cumStderr) + squared(rb?.cumStderr));
        // The truth's values add up, its noise does not (a merge would give it the runs' sampling).
        same(withTruth.rows.find((x) => x.name === name)!.stderr ?? NaN, ra?.stderr ?? 0);
      }
    }
  });

  it('diff: the values of input − base, the variances of both sides added, even where the values cancel', async () => {
    const [a, b] = [await load(runs[0]), await load(runs[1])];
    const [ta, tb] = [top([a]), top([b])];
    const d = diffTop([a], [b]);
    const plain = top([diffProfiles(a, b)]);
    expect(d.rows.map(({ name, flat, cum }) => ({ name, flat, cum }))).toEqual(plain.rows.map(({ name, flat, cum }) => ({ name, flat, cum })));
    for (const name of SITES) {
      const r = d.rows.find((x) => x.name === name);
      const [ra, rb] = [ta.rows.find((x) => x.name === name)!, tb.rows.find((x) => x.name === name)!];
      // huge_site's 64 KiB blocks are always sampled: no change, so no row.
      if (!r) {
        expect(ra.flat).toBe(rb.flat);
        continue;
      }
      same(r.stderr! ** 2, ra.stderr! ** 2 + rb.stderr! ** 2);
      same(r.cumStderr! ** 2, ra.cumStderr! ** 2 + rb.cumStderr! ** 2);
    }
    // A change that is all noise: its error bar is as wide as both estimates' noise, not that of the net change.
    const row = d.rows.find((x) => x.name === 'tiny_site')!;
    expect(row.stderr!).toBeGreaterThan(ta.rows.find((x) => x.name === 'tiny_site')!.stderr!);
    // Several dumps a side: the sides are merged for the values, each dump keeps its own noise.
    const [c, e] = [await load(runs[2]), await load(runs[3])];
    const many = diffTop([a, c], [b, e]);
    const each = [a, c, b, e].map((p) => top([p]).rows.find((x) => x.name === 'tiny_site')!.stderr! ** 2);
    same(many.rows.find((x) => x.name === 'tiny_site')!.stderr! ** 2, each.reduce((x, y) => x + y));
  });
});

describe("growth's noise test on a sampled series of one process (lg_prof_sample:12)", () => {
  it('the leaks are leaks; the site whose live bytes stay the same is within sampling noise, though its estimates move', async () => {
    const paths = fixtureFiles('waste/sampling/series', /^jeprof\..*\.heap$/);
    expect(paths.length).toBe(8);
    const profiles = [];
    for (const p of paths) profiles.push(await load(p));
    const r = growth(profiles);
    const row = (name: string) => r.rows.find((x) => x.name === name)!;
    expect(row('big_leak_site')).toMatchObject({ trend: 'growing', withinNoise: false });
    // 2 × 64 KiB per step, 16 times the period: sampled every time, so exact, with next to no noise.
    expect(row('big_leak_site').slope).toBeCloseTo(131072, 0);
    expect(row('big_leak_site').noise).toBeLessThan(1e-3 * row('big_leak_site').delta);
    expect(row('leak_site').withinNoise).toBe(false);
    expect(row('leak_site').slope).toBeGreaterThan(0.7 * 65536);
    expect(row('leak_site').slope).toBeLessThan(1.3 * 65536);
    // 256 KiB live at every dump, freshly sampled each time.
    const flat = row('flat_site');
    expect(new Set(flat.values).size).toBeGreaterThan(4);
    expect(flat.withinNoise).toBe(true);
    expect(flat.score).toBe(0);
    expect(flat.slopeNoise).toBeGreaterThan(0);
    expect(r.rows.slice(0, 2).map((x) => x.name).sort()).toEqual(['big_leak_site', 'leak_site']);
  });
});
