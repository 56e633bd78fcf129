/**
 * The waste analyses through the command line, on the real fixtures of
 * fixtures/waste (fixtures/src/fragment-sites.c under jemalloc and under
 * gperftools' tcmalloc; fixtures/src/sampling-workload.c sampled by
 * jemalloc): `heapscope waste`, `diagnose --by-site`, `sizes --waste`,
 * `top -t waste_space`, and the ± error bars of top, diff and growth. Each
 * is held to the analyzer's own result on the same inputs, and where a
 * reference has the number, to it: jeprof's and google-pprof's totals, and
 * `malloc_usable_size` of the real allocators for the workload's sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, loadProfile, siteFragmentation, sizeClassWaste, type AllocatorName, type FragmentationReport, type SizeClassWasteReport } from '@heapscope/analyzer';
import { FIXTURES, REPO } from '@heapscope/testkit/paths';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';
import { agrees, readReferenceText } from '@heapscope/testkit/reference-tools';
import { runCli } from './run-cli.js';

const BIN = join(FIXTURES, 'waste', 'bin', 'fragment-sites');
const S = ['--symbols', BIN];
const JE = join(FIXTURES, 'waste', 'fragment', 'jemalloc');
const TC = join(FIXTURES, 'waste', 'fragment', 'tcmalloc');
const JE_DUMP = fixtureFile('waste/fragment/jemalloc', /^jeprof\..*\.heap$/);
const JE_STATS_JSON = join(JE, 'jemalloc-stats.json');
const JE_STATS_TXT = join(JE, 'jemalloc-stats.txt');
const TC_DUMP = join(TC, 'fragment-sites.0001.heap');
const TC_STATS = join(TC, 'tcmalloc-stats.txt');
const PERF = join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz');
const SAMPLED_RUN = fixtureFiles('waste/sampling/runs', /\.heap$/)[0];
const TRUTH = fixtureFile('waste/sampling/truth', /\.heap$/);
const SERIES = fixtureFiles('waste/sampling/series', /\.heap$/);

const json = async (args: string[]) => {
  const r = await runCli([...args, '--format', 'json', '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};
/** A value as the JSON document carries it (what the library returns, through JSON). */
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value));

async function library(dump: string, stats?: string) {
  const d = await loadProfile(dump, { symbolize: true, symbols: [BIN] });
  const s = stats ? (await loadProfile(stats)).stats : undefined;
  return { dump: d, stats: s };
}

describe('heapscope waste DUMP STATS: fragmentation per call site', () => {
  for (const stats of [JE_STATS_JSON, JE_STATS_TXT]) {
    it(`jemalloc dump + ${stats.replace(/.*\//, '')}: the library's report; survivor_site first; within jemalloc's unused bin bytes; live bytes = jeprof's total`, async () => {
      const r = await json(['waste', ...S, JE_DUMP, stats]);
      const lib = await library(JE_DUMP, stats);
      const expected: FragmentationReport = siteFragmentation(lib.dump.profile, lib.stats!);
      expect(r.fragmentation).toEqual(asJson(expected));
      expect(r.fragmentation.sites[0].name).toBe('survivor_site');
      expect(r.fragmentation.totals.pinnedBytes).toBeLessThanOrEqual(r.fragmentation.totals.unusedBinBytes);
      const jeprof = readReferenceText(readFileSync(join(JE, 'golden', `${JE_DUMP.replace(/.*\//, '')}.inuse_space.jeprof.txt`), 'utf8'));
      expect(agrees(r.fragmentation.totals.liveBytes, jeprof.total)).toBe(true);
      // A jemalloc dump records its own classes: no size-class waste, and the report says why.
      expect(r.sizeClasses).toBeNull();
      expect(r.sizeClassesUnavailable).toMatch(/usable sizes/);
      expect(r).toMatchObject({ dump: JE_DUMP, stats, warnings: [] });
    });
  }

  it('text: totals, then one row per site, pinned bytes with their ± from the JSON', async () => {
    const [text, r] = [await runCli(['waste', ...S, '--quiet', JE_DUMP, JE_STATS_JSON]), await json(['waste', ...S, JE_DUMP, JE_STATS_JSON])];
    expect(text.code).toBe(0);
    const f = r.fragmentation;
    expect(text.stdout).toContain(`pinned ${formatBytes(f.totals.pinnedBytes)} of jemalloc's ${formatBytes(f.totals.unusedBinBytes)} of unused bin bytes`);
    const survivor = f.sites[0];
    const line = text.stdout.split('\n').find((l) => l.endsWith(' survivor_site'));
    expect(line).toMatch(new RegExp(`^${formatBytes(survivor.pinnedBytes)}\\s+±${formatBytes(survivor.pinnedStderr)}\\s+${formatBytes(survivor.liveBytes)}\\s+96 B: `));
    expect(text.stdout).toMatch(/mixed_site \[mixed sizes: spread over two bins\]$/m);
    expect(text.stdout).toMatch(/^size-class waste: not known: .*usable sizes/m);
  });

  it('-n and --snapshot: the first N sites; a statistics dump that is not there is a usage error', async () => {
    const r = await json(['waste', ...S, '-n', '2', '--snapshot', '1', JE_DUMP, JE_STATS_TXT]);
    expect(r.fragmentation.sites.map((s: { name: string }) => s.name)).toEqual(['survivor_site', 'neighbor_site']);
    expect(r.fragmentation.siteCount).toBeGreaterThan(2);
    const bad = await runCli(['waste', '--snapshot', '2', JE_DUMP, JE_STATS_TXT]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^heapscope: --snapshot 2: .*jemalloc-stats.txt holds 1 statistics dump\n$/m);
  });
});

/** `malloc_usable_size` of `sizes` under each allocator (the analyzer's native test program). */
function usableSizes(binary: string, sizes: number[]): Map<AllocatorName, Map<number, number>> {
  const preloads: [AllocatorName, string][] = [
    ['glibc', ''],
    ['jemalloc', 'libjemalloc.so.2'],
    ['tcmalloc', 'libtcmalloc_minimal.so.4'],
    ['mimalloc', 'libmimalloc.so.2'],
  ];
  const out = new Map<AllocatorName, Map<number, number>>();
  for (const [allocator, preload] of preloads) {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(preload ? { LD_PRELOAD: preload } : {}) };
    const lines = execFileSync(binary, ['0', ...sizes.map(String)], { env, encoding: 'utf8' }).trimEnd().split('\n');
    expect(lines[0]).toBe(`allocator ${allocator}`);
    out.set(allocator, new Map(lines.slice(1).map((l) => l.split(' ').map(Number) as [number, number])));
  }
  return out;
}

describe('heapscope waste DUMP [STATS]: size-class waste per site and allocator', () => {
  let dir: string;
  let binary: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'heapscope-waste-cli-'));
    binary = join(dir, 'usable-size');
    execFileSync('gcc', ['-O2', '-o', binary, join(REPO, 'packages', 'analyzer', 'test', 'native', 'usable-size.c'), '-ldl']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gperftools dump + tcmalloc GetStats: the library's reports; requested bytes = google-pprof's alloc_space total; survivor_site pins the most", async () => {
    const r = await json(['waste', ...S, TC_DUMP, TC_STATS]);
    const lib = await library(TC_DUMP, TC_STATS);
    const expected: SizeClassWasteReport = sizeClassWaste([lib.dump]);
    expect(r.sizeClasses).toEqual(asJson(expected));
    expect(r.fragmentation).toEqual(asJson(siteFragmentation(lib.dump.profile, lib.stats!)));
    expect(r.sizeClassesUnavailable).toBeNull();
    expect(r.fragmentation.sites[0].name).toBe('survivor_site');
    expect(r.fragmentation.missing.length).toBeGreaterThan(0);
    const pprof = readReferenceText(readFileSync(join(TC, 'golden', 'fragment-sites.0001.heap.alloc_space.google-pprof.txt'), 'utf8'));
    expect(agrees(r.sizeClasses.total.requestedBytes, pprof.total)).toBe(true);
  });

  it("each one-size site's waste is its count × (block − request), the block from malloc_usable_size of the real allocators", async () => {
    // fixtures/src/fragment-sites.c: the sites that allocate one size (mixed_site and churn_site mix theirs).
    const sites: Record<string, number> = { neighbor_site: 90, survivor_site: 96, dense_site: 200, buffer_site: 100000 };
    const usable = usableSizes(binary, Object.values(sites));
    const r = await json(['waste', ...S, '--allocators', 'glibc,jemalloc,tcmalloc,mimalloc', TC_DUMP]);
    expect(r.fragmentation).toBeNull();
    for (const [name, size] of Object.entries(sites)) {
      const row = r.sizeClasses.sites.find((s: { name: string }) => s.name === name);
      for (const [allocator, bySize] of usable) {
        // glibc's block is its chunk: the usable bytes and the 8-byte size field.
        const block = (bySize.get(size) as number) + (allocator === 'glibc' ? 8 : 0);
        expect([name, allocator, row.waste[allocator]]).toEqual([name, allocator, row.count * (block - size)]);
      }
    }
  });

  it('text: the totals per allocator, then the sites, most waste of the first allocator first', async () => {
    const text = await runCli(['waste', ...S, '--quiet', '--allocators', 'jemalloc,glibc', TC_DUMP]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^size-class waste: .*average requested size per stack; counting allocations/);
    expect(lines[2]).toMatch(/most jemalloc waste first$/);
    expect(lines[3]).toMatch(/^\s*count\s+requested\s+jemalloc\s+glibc\s+name$/);
    expect(lines[4]).toMatch(/ churn_site$/);
  });
});

describe('diagnose --by-site', () => {
  it("the diagnosis, then the same fragmentation as heapscope waste (the last dump with the last statistics)", async () => {
    const d = await json(['diagnose', '--by-site', ...S, JE_STATS_JSON, JE_DUMP]);
    const w = await json(['waste', ...S, '-n', '5', JE_DUMP, JE_STATS_JSON]);
    expect(d.verdict).toBeDefined();
    expect(d.bySite).toEqual(w.fragmentation);
    const text = await runCli(['diagnose', '--by-site', '--quiet', ...S, JE_STATS_JSON, JE_DUMP]);
    expect(text.stdout).toMatch(/\nfragmentation per call site: .* with jemalloc statistics /);
    const plain = await json(['diagnose', ...S, JE_STATS_JSON, JE_DUMP]);
    expect(plain.bySite).toBeUndefined();
  });

  it('without a dump, or with statistics that have no bins, it refuses', async () => {
    const none = await runCli(['diagnose', '--by-site', JE_STATS_JSON]);
    expect([none.code, none.stderr]).toEqual([2, 'heapscope: --by-site joins a heap dump with the allocator statistics of the same moment: give both\n']);
    const glibc = await runCli(['diagnose', '--by-site', '--quiet', ...S, join(FIXTURES, 'stats', 'glibc', 'fragment', 'malloc-info.xml'), JE_DUMP]);
    expect(glibc.code).toBe(1);
    expect(glibc.stderr).toMatch(/^heapscope: .*malloc-info.xml:1: glibc statistics have no per-bin table of regions/);
  });
});

describe('sizes --waste and top -t waste_space', () => {
  it("sizes --waste: each row's waste, summed, is the report's total, which is heapscope waste's; the library's rows", async () => {
    const sizes = await json(['sizes', '--waste', '--allocators', 'glibc,jemalloc,tcmalloc', PERF]);
    expect(sizes.waste.allocators).toEqual(['glibc', 'jemalloc', 'tcmalloc']);
    const waste = await json(['waste', '--allocators', 'glibc,jemalloc,tcmalloc', PERF]);
    for (const a of sizes.waste.allocators) {
      const sum = sizes.rows.reduce((s: number, row: { waste: Record<string, number> }) => s + row.waste[a], 0);
      expect(sum).toBeCloseTo(sizes.waste.total[a], 6);
      expect(sizes.waste.total[a]).toBeCloseTo(waste.sizeClasses.total.waste[a], 6);
    }
    // The contract's example row (docs/cli.md, "sizes").
    expect(sizes.rows.find((r: { size: number }) => r.size === 8225).waste).toEqual({ glibc: 60000, jemalloc: 8060000, tcmalloc: 3964000 });
    const text = await runCli(['sizes', '--waste', '--quiet', '-n', '1', PERF]);
    expect(text.stdout).toMatch(/^waste: bytes the size classes add to the requests: glibc .*, mimalloc /m);
    expect(text.stdout).toMatch(/^\s*size\s+count\s+count%\s+bytes\s+bytes%\s+glibc waste\s+jemalloc waste\s+tcmalloc waste\s+mimalloc waste$/m);
    expect(text.stdout).toMatch(/^8,225 B\s+4,000\s+15\.8%\s+31\.4 MiB\s+86\.8%\s+58\.6 KiB\s+7\.69 MiB\s+3\.78 MiB\s+7\.69 MiB$/m);
  });

  it('sizes --waste with --buckets class --classes tcmalloc: the waste goes with the classes', async () => {
    const r = await json(['sizes', '--waste', '--buckets', 'class', '--classes', 'tcmalloc', '--allocators', 'jemalloc', PERF]);
    expect(r.classes).toBe('tcmalloc');
    const waste = await json(['waste', '--allocators', 'jemalloc', PERF]);
    expect(r.waste.total.jemalloc).toBeCloseTo(waste.sizeClasses.total.waste.jemalloc, 6);
  });

  it("top -t waste_space ranks the sites by an allocator's waste: heapscope waste's per-site figures, for a dump and a trace", async () => {
    for (const [allocator, input] of [['glibc', TC_DUMP], ['tcmalloc', TC_DUMP], ['jemalloc', PERF]] as const) {
      const args = allocator === 'glibc' ? [] : ['--allocators', allocator];
      const top = await json(['top', '-t', 'waste_space', ...args, ...S, input]);
      const waste = await json(['waste', '--allocators', allocator, ...S, input]);
      expect(top.rows[0].flat).toBeGreaterThan(0);
      expect(top.sampleType).toBe('waste_space');
      expect(top.total).toBeCloseTo(waste.sizeClasses.total.waste[allocator], 6);
      for (const site of waste.sizeClasses.sites) {
        const row = top.rows.find((r: { name: string }) => r.name === site.name);
        expect([site.name, row?.flat ?? 0]).toEqual([site.name, expect.closeTo(site.waste[allocator], 6)]);
      }
    }
  });
});

describe('bad inputs: one line each; exit 2 for usage, 1 for input', () => {
  const cases: { what: string; args: string[]; code: number; message: RegExp }[] = [
    { what: 'statistics given as the dump', args: ['waste', JE_STATS_JSON, JE_DUMP], code: 2, message: /jemalloc-stats.json holds allocator statistics, not a heap dump: give the dump first/ },
    { what: 'statistics alone', args: ['waste', JE_STATS_TXT], code: 2, message: /jemalloc-stats.txt holds allocator statistics, not a heap dump/ },
    { what: 'a second dump for the statistics', args: ['waste', TC_DUMP, JE_DUMP], code: 2, message: /is not allocator statistics \(jemalloc\)/ },
    { what: 'a jemalloc dump with tcmalloc statistics', args: ['waste', JE_DUMP, TC_STATS], code: 1, message: /jeprof\.\d+\.0\.m0\.heap:1: it is a jemalloc profile, but .*tcmalloc-stats.txt holds tcmalloc statistics/ },
    { what: 'a gperftools dump with jemalloc statistics', args: ['waste', TC_DUMP, JE_STATS_JSON], code: 1, message: /fragment-sites.0001.heap:1: it is a gperftools profile, but .*jemalloc-stats.json holds jemalloc statistics/ },
    { what: 'a jemalloc dump alone', args: ['waste', JE_DUMP], code: 1, message: /:1: a jemalloc profile records usable sizes .*\(heapscope waste DUMP STATS\)$/ },
    { what: 'an unknown allocator', args: ['waste', '--allocators', 'glibc,jemallok', TC_DUMP], code: 2, message: /^heapscope: --allocators expects comma-separated allocator names: unknown allocator "jemallok"; size classes are known for glibc, jemalloc, tcmalloc, mimalloc, scudo, bionic-jemalloc$/ },
    { what: 'an empty allocator list', args: ['sizes', '--waste', '--allocators', ',', PERF], code: 2, message: /--allocators expects comma-separated allocator names: no allocator named/ },
    { what: 'sizes --waste on a jemalloc dump', args: ['sizes', '--waste', JE_DUMP], code: 1, message: /:1: a jemalloc profile records usable sizes/ },
    { what: 'sizes --allocators without --waste', args: ['sizes', '--allocators', 'glibc', PERF], code: 2, message: /--allocators names the allocators of --waste: give --waste too/ },
    { what: 'top -t waste_space on a jemalloc dump', args: ['top', '-t', 'waste_space', JE_DUMP], code: 1, message: /:1: a jemalloc profile records usable sizes/ },
    { what: 'top -t waste_space with two allocators', args: ['top', '-t', 'waste_space', '--allocators', 'glibc,tcmalloc', TC_DUMP], code: 2, message: /ranks by one allocator's waste: --allocators names 2/ },
    { what: 'top --allocators without -t waste_space', args: ['top', '--allocators', 'glibc', TC_DUMP], code: 2, message: /--allocators names the allocator of -t waste_space/ },
  ];
  for (const c of cases) {
    it(`${c.what}: exit ${c.code}`, async () => {
      const r = await runCli([...c.args, '--quiet', ...S]);
      expect(r.code).toBe(c.code);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^heapscope: /);
      expect(r.stderr.trimEnd()).toMatch(c.message);
    });
  }
});

describe('± error bars in text, on sampled inputs only', () => {
  const cells = (text: string, name: string) => text.split('\n').find((l) => l.endsWith(` ${name}`))?.trim().split(/\s{2,}/) ?? [];

  it('top: a ± column after flat, each the JSON stderr; none for a dump that recorded every allocation', async () => {
    const r = await json(['top', '-n', '5', SAMPLED_RUN]);
    const text = (await runCli(['top', '-n', '5', '--quiet', SAMPLED_RUN])).stdout;
    expect(text.split('\n')[1]).toMatch(/^\s*flat\s+±\s+flat%/);
    for (const row of r.rows) expect(cells(text, row.name).slice(0, 2)).toEqual([formatBytes(row.flat), row.stderr > 0 ? `±${formatBytes(row.stderr)}` : expect.any(String)]);
    expect(text).toMatch(/^± one standard error of flat: the input is sampled/m);
    const exact = (await runCli(['top', '-n', '5', '--quiet', TRUTH])).stdout;
    expect((await json(['top', TRUTH])).rows[0].stderr).toBeUndefined();
    expect(exact).not.toContain('±');
  });

  it('diff: the ± of both dumps', async () => {
    const [base, input] = [SERIES[0], SERIES[SERIES.length - 1]];
    const r = await json(['diff', base, input]);
    const text = (await runCli(['diff', '--quiet', base, input])).stdout;
    const row = r.rows[0];
    expect(cells(text, row.name).slice(0, 2)).toEqual([formatBytes(row.flat), `±${formatBytes(row.stderr)}`]);
  });

  it("growth: ± on the delta (its noise) and on the slope (slopeNoise); none for dumps without sampling", async () => {
    const r = await json(['growth', ...SERIES]);
    const text = (await runCli(['growth', '--quiet', ...SERIES])).stdout;
    expect(text).toMatch(/^\s*delta\s+±\s+slope\/pt\s+±\s+r²/m);
    for (const row of r.rows.slice(0, 3)) {
      const c = cells(text, row.name);
      expect([c[1], c[3]]).toEqual([`±${formatBytes(row.noise)}`, `±${formatBytes(row.slopeNoise)}`]);
    }
    const gperf = fixtureFiles('gperftools', /^workload\.000[1-5]\.heap$/);
    expect((await runCli(['growth', '--quiet', '--no-symbolize', ...gperf])).stdout).not.toContain('±');
  });
});
