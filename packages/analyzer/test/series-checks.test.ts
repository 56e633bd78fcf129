/**
 * The series checks on real dumps: the order of a series that holds two
 * processes (a program that forks, fixtures/fork), dumps missing from a
 * series, one dump given twice, and dumps that gperftools named for another
 * process — each said, never a silent "per point" that is not per dump.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { growth, nameFacts, seriesOrder, seriesWarnings } from '@heapscope/analyzer';
import { parseDumpName } from '@heapscope/parser';
import { fixtureDumps, loadSymbolized } from './fixture-series.js';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-series-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function profilesOf(paths: string[]) {
  return (await loadSymbolized(paths)).map((l) => l.profile);
}

describe('what a dump name says', () => {
  it("jemalloc's kind counter and prefix, gperftools' prefix with a child's _<pid>", () => {
    const [dump] = fixtureDumps('jemalloc/all', /\.m3\.heap$/);
    expect(parseDumpName(dump)).toMatchObject({ prefix: 'jeprof', seq: 3, kind: 'm', index: 3 });
    expect(parseDumpName(`${dump}.zst`)).toMatchObject({ seq: 3, kind: 'm', index: 3 });
    expect(parseDumpName(fixtureDumps('jemalloc/all', /\.f\.heap$/)[0])).toMatchObject({ kind: 'f', index: undefined });
    const child = fixtureDumps('fork/gperftools', /^fork_\d+\.0002\.heap$/)[0];
    expect(nameFacts(child)).toEqual({ process: basename(child).replace(/\.0002\.heap$/, ''), seq: 2, kind: undefined, index: undefined });
    expect(nameFacts('profile.pb.gz')).toBeUndefined();
  });
});

describe('a program that forks: two processes in one directory', () => {
  it("jemalloc: the child's dumps go on from the parent's counter; ordered per process, and the mix is said", async () => {
    const files = fixtureDumps('fork/jemalloc/all', /\.heap$/);
    const profiles = await profilesOf(files);
    const parent = profiles.find((p) => p.meta.dumpSeq === 0)!.meta.pid;
    const order = seriesOrder(profiles);
    const pids = order.indexes.map((i) => profiles[i].meta.pid);
    // The parent's 0, 1, 2, then the child's 1, 2: never interleaved by sequence number.
    expect(pids.map((p) => (p === parent ? 'parent' : 'child'))).toEqual(['parent', 'parent', 'parent', 'child', 'child']);
    expect(order.indexes.map((i) => profiles[i].meta.dumpSeq)).toEqual([0, 1, 2, 1, 2]);
    const warnings = seriesWarnings(order.indexes.map((i) => profiles[i])).join('\n');
    expect(warnings).toMatch(/inputs come from 2 different processes/);
    // Each process's counters run on without a gap: nothing is missing.
    expect(warnings).not.toMatch(/missing/);
  });

  it('gperftools: a child started by the profiled parent names its dumps <prefix>_<pid>; the mix is said', async () => {
    const files = fixtureDumps('fork/gperftools', /\.heap$/);
    const profiles = await profilesOf(files);
    expect(profiles.every((p) => p.meta.pid === undefined)).toBe(true);
    const order = seriesOrder(profiles);
    const names = order.indexes.map((i) => basename(profiles[i].meta.file));
    expect(names.slice(0, 4)).toEqual(['fork.0001.heap', 'fork.0002.heap', 'fork.0003.heap', 'fork.0004.heap']);
    expect(names.slice(4).every((n) => /^fork_\d+\.000[123]\.heap$/.test(n))).toBe(true);
    const warnings = seriesWarnings(order.indexes.map((i) => profiles[i]));
    expect(warnings.join('\n')).toMatch(/named for 2 different processes \(fork, fork_\d+\)/);
    // One process's dumps: no such warning.
    expect(seriesWarnings(profiles.filter((p) => /fork\.000/.test(p.meta.file))).join('\n')).not.toMatch(/different processes/);
  });
});

describe('a dump missing from a series', () => {
  const cases = [
    { dir: 'jemalloc/all', kept: /\.m[0134]\.heap$/, gap: /1 dump is missing from the series \(1 between jeprof\.\d+\.1\.m1\.heap and jeprof\.\d+\.3\.m3\.heap\)/ },
    { dir: 'gperftools', kept: /^workload\.000[1245]\.heap$/, gap: /1 dump is missing from the series \(1 between workload\.0002\.heap and workload\.0004\.heap\)/ },
  ];
  for (const { dir, kept, gap } of cases) {
    it(`${dir}: said, with where; the whole series is not`, async () => {
      const profiles = await profilesOf(fixtureDumps(dir, kept));
      expect(seriesWarnings(profiles).join('\n')).toMatch(gap);
      // The leak is 1 MiB per dump; over a gap, 1 MiB is not what a point is.
      const r = growth(profiles);
      expect(r.rows[0].name).toBe('leak_site');
      expect(r.rows[0].slope).toBeGreaterThan(1.2 * 1048576);
      const whole = await profilesOf(fixtureDumps(dir, dir === 'gperftools' ? /^workload\.000[1-6]\.heap$/ : /\.(m\d|f)\.heap$/));
      expect(seriesWarnings(whole).join('\n')).not.toMatch(/missing/);
      // Two dumps compared (diff) skip what lies between them by design.
      expect(seriesWarnings([profiles[0], profiles[3]], 'pair').join('\n')).not.toMatch(/missing/);
    });
  }

  it("jemalloc: a kind's own counter, not the shared sequence number, tells a gap", async () => {
    // The parent's m0 and m2 (its m1 left out).
    const profiles = await profilesOf(fixtureDumps('fork/jemalloc/all', /\.[02]\.m[02]\.heap$/));
    const parent = profiles.filter((p) => p.meta.pid === profiles.find((q) => q.meta.dumpSeq === 0)!.meta.pid);
    expect(parent).toHaveLength(2);
    expect(seriesWarnings(parent).join('\n')).toMatch(/1 dump is missing/);
    // The final dump has no counter of its own: m0..m4 then f is whole, though f's seq follows m4's.
    const whole = await profilesOf(fixtureDumps('jemalloc/sampled', /\.(m\d|f)\.heap$/));
    expect(seriesWarnings(whole)).toEqual([]);
  });
});

describe('one dump given twice', () => {
  it('a compressed copy beside the dump: said, naming both', async () => {
    const [m0, m1] = fixtureDumps('jemalloc/all', /\.m[01]\.heap$/);
    const copy = join(scratch, `${basename(m0)}.gz`);
    writeFileSync(copy, gzipSync(readFileSync(m0)));
    const profiles = await profilesOf([m0, copy, m1]);
    const warnings = seriesWarnings(profiles).join('\n');
    expect(warnings).toContain(`${copy} and ${m0} are both dump #0 of jeprof.`);
    expect(warnings).toMatch(/one dump given twice \(a copy\), or two runs' dumps/);
    // A copy under another name is not recognized by name; the cumulative counts still say it.
    const renamed = join(scratch, 'later.heap');
    copyFileSync(m0, renamed);
    expect(seriesWarnings(await profilesOf([m1, renamed])).join('\n')).toMatch(/goes backwards/);
  });
});
