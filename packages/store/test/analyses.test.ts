/**
 * Every analysis gives the same answer from the files (the analyzer on
 * them, on their merge, or on the series), from DuckDB, and from a
 * two-shard ClickHouse cluster — on the fixtures (jemalloc, every
 * allocation and sampled; gperftools) and on the corpus's heap dumps;
 * error bars included (each dump's sampling variances, added up).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { churn, diffTop, growth, growthOfPoints, growthPoint, mergeProfiles, sizes, top, type GroupBy, type GrowthReport, type TopOptions } from '@heapscope/analyzer';
import type { HeapProfile } from '@heapscope/parser';
import { openStore, type Store } from '../src/index.js';
import type { ClickHouseBackend } from '../src/clickhouse-backend.js';
import { stringId } from '../src/content-hash.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, REPO, corpusSkipNote, findFiles } from '@heapscope/testkit/paths';
import { HOUR_MS, LOAD, expectSameReport, loadAll, stageDumps, startCluster, type Cluster } from './helpers.js';

const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const seqOf = (f: string) => Number(/\.(\d+)\.[a-z]\d*\.heap$|\.(\d+)\.heap$/.exec(f)?.slice(1).find(Boolean) ?? 0);
const bySeq = (files: string[]) => [...files].sort((a, b) => seqOf(a) - seqOf(b));

/** The sets of dumps: label `set` → files, in time order. */
const SETS: Record<string, string[]> = {
  'jemalloc-all': bySeq(findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.heap$/)),
  'jemalloc-sampled': bySeq(findFiles(join(FIXTURES, 'jemalloc', 'sampled'), /\.heap$/)),
  gperftools: bySeq(findFiles(join(FIXTURES, 'gperftools'), /\.heap$/)),
};
// The corpus's heap snapshots: jemalloc's (one without a maps section) and the legacy heap profiles.
const CORPUS_DUMPS = HAVE_CORPUS ? [...findFiles(join(CORPUS, 'jemalloc'), /\.heap$/), ...findFiles(join(CORPUS, 'pprof-legacy'), /\.heap$/)] : [];
if (CORPUS_DUMPS.length > 0) SETS.corpus = CORPUS_DUMPS;
corpusSkipNote();

/**
 * The analyzer's growth over buckets of `size` dumps an hour apart, the first at `fromMs`:
 * each point the merge of its dumps, its sites' variances those of its dumps added (their
 * samples are independent; the merge's own would treat them as one dump).
 */
function bucketGrowth(list: readonly HeapProfile[], size: number, fromMs: number): GrowthReport {
  const sampleType = list[0].defaultSampleType;
  const points = [];
  for (let i = 0; i < list.length; i += size) {
    const part = list.slice(i, i + size);
    const point = growthPoint(mergeProfiles(part), { sampleType }, new Date(fromMs + i * HOUR_MS).toISOString());
    for (const site of point.sites.values()) site.variance = 0;
    for (const p of part) for (const [name, site] of growthPoint(p, { sampleType }).sites) point.sites.get(name)!.variance += site.variance;
    points.push(point);
  }
  return growthOfPoints(points);
}

const dir = mkdtempSync(join(tmpdir(), 'heapscope-store-analyses-'));
/** Staged copies (known mtimes) per set, and their profiles as the store reads them. */
const staged: Record<string, string[]> = {};
const profiles: Record<string, HeapProfile[]> = {};
let cluster: Cluster;

beforeAll(async () => {
  let start = START_MS;
  for (const [set, files] of Object.entries(SETS)) {
    staged[set] = stageDumps(files, dir, start, `${set}-`);
    profiles[set] = await loadAll(staged[set]);
    start += 24 * HOUR_MS;
  }
  cluster = startCluster();
}, 120_000);

afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('has the fixture sets (and the corpus when present)', () => {
  for (const set of ['jemalloc-all', 'jemalloc-sampled', 'gperftools']) expect(SETS[set].length, set).toBeGreaterThanOrEqual(5);
  if (HAVE_CORPUS) expect(SETS.corpus.length).toBeGreaterThanOrEqual(4);
});

const ENGINES = [
  { name: 'DuckDB', db: () => join(dir, 'store.duckdb') },
  { name: 'ClickHouse (two shards)', db: () => cluster.url },
];

describe.each(ENGINES)('$name', ({ name, db }) => {
  let store: Store;

  beforeAll(async () => {
    store = await openStore(db());
    for (const [set, paths] of Object.entries(staged)) {
      // Read on two worker threads (small inputs are otherwise read on this thread): the analyses below hold the rows to the files'.
      const report = await store.ingestFiles(paths, { ...LOAD, labels: { set }, workers: 2 });
      expect(report.ingested, set).toBe(paths.length);
    }
    // Two "hosts" for growth split by a label.
    await store.ingestFiles(staged['jemalloc-all'], { ...LOAD, labels: { set: 'fleet', host: 'a' } });
    await store.ingestFiles(staged.gperftools, { ...LOAD, labels: { set: 'fleet', host: 'b' } });
  }, 300_000);

  afterAll(async () => {
    await store?.close();
  });

  const select = (set: string) => store.select({ where: { set } });
  const types = (set: string) => [...new Set(profiles[set].flatMap((p) => p.sampleTypes.map((t) => t.type)))];
  /**
   * The analyzer's top over a set's files (`heapscope top FILES…`): values
   * and each dump's sampling variances add up. Files without the sample
   * type are zeros in the store's merge of them: left out.
   */
  const topOfFiles = (set: string, options: TopOptions = {}) => {
    const type = options.sampleType ?? profiles[set][0].defaultSampleType;
    return top(profiles[set].filter((p) => p.sampleTypeIndex(type) >= 0), options);
  };

  it('ingests each set as one profile per dump, every sample kept', async () => {
    for (const [set, list] of Object.entries(profiles)) {
      const sel = await select(set);
      expect(sel.profiles, set).toBe(list.length);
      expect(sel.warnings).toEqual([]);
      const { rows } = await store.sql(
        `SELECT count(*) AS n FROM samples WHERE profile IN (SELECT profile FROM profile_labels WHERE key = 'set' AND value = '${set}')`,
      );
      expect(Number(rows[0][0]), set).toBe(list.reduce((n, p) => n + p.samples.length, 0));
    }
  });

  if (name.startsWith('ClickHouse')) {
    it('spreads the profiles over both shards', async () => {
      const perShard = await (store.backend as ClickHouseBackend).rowsPerServer('profiles');
      expect(perShard.length).toBe(2);
      for (const n of perShard) expect(n).toBeGreaterThan(0);
    });
  }

  it.each(Object.keys(SETS))('top by every grouping and sample type equals top over the files, error bars included: %s', async (set) => {
    const merged = mergeProfiles(profiles[set]);
    const sel = await select(set);
    const groupings: GroupBy[] = ['function', 'module', 'file', 'stack', 'thread'];
    for (const by of groupings) {
      const report = await store.top(sel, { by });
      expectSameReport(report, topOfFiles(set, { by }), `${set} top --by ${by}`);
      // The values are those of the merge; its error bars would treat the dumps as one.
      const values = (r: typeof report) => ({ ...r, rows: r.rows.map(({ name, flat, cum }) => ({ name, flat, cum })) });
      expectSameReport(values(report), values(top([merged], { by })), `${set} top --by ${by}, values`);
    }
    for (const sampleType of types(set)) {
      expectSameReport(await store.top(sel, { sampleType, sort: 'cum', limit: 7 }), topOfFiles(set, { sampleType, sort: 'cum', limit: 7 }), `${set} top -t ${sampleType}`);
    }
    // Error bars exactly where some dump was sampled.
    const sampled = profiles[set].some((p) => p.meta.sampling.model !== 'none' && p.meta.sampling.periodBytes > 1);
    expect((await store.top(sel)).rows.every((r) => (r.stderr !== undefined) === sampled), set).toBe(true);
  });

  it.each(Object.keys(SETS))('sizes equal sizes on the merged files: %s', async (set) => {
    const merged = mergeProfiles(profiles[set]);
    const sel = await select(set);
    for (const buckets of ['exact', 'pow2', 'class'] as const) {
      expectSameReport(await store.sizes(sel, { buckets, sites: 1000 }), sizes([{ profile: merged }], { buckets, sites: 1000 }), `${set} sizes ${buckets}`);
    }
    expectSameReport(await store.sizes(sel, { by: 'thread', sites: 1000 }), sizes([{ profile: merged }], { by: 'thread', sites: 1000 }), `${set} sizes --by thread`);
  });

  it.each(Object.keys(SETS))('churn equals churn on the merged files: %s', async (set) => {
    const merged = mergeProfiles(profiles[set]);
    const sel = await select(set);
    if (merged.sampleTypeIndex('alloc_objects') < 0) {
      await expect(store.churn(sel)).rejects.toThrow(/churn needs cumulative allocation counts/);
      expect(() => churn([{ profile: merged }])).toThrow(/churn needs cumulative allocation counts/);
      return;
    }
    for (const by of ['function', 'module'] as const) expectSameReport(await store.churn(sel, { by }), churn([{ profile: merged }], { by }), `${set} churn --by ${by}`);
  });

  it.each(Object.keys(SETS))('growth over the profiles in time order equals growth over the files: %s', async (set) => {
    const list = profiles[set];
    const sel = await select(set);
    const sampleType = list[0].defaultSampleType;
    if (!list.every((p) => p.sampleTypeIndex(sampleType) >= 0)) {
      await expect(store.growth(sel)).rejects.toThrow(/no sample type/);
      return;
    }
    expectSameReport(await store.growth(sel), growth(list), `${set} growth`);
    expectSameReport(await store.growth(sel, { by: 'file' }), growth(list, { by: 'file' }), `${set} growth --by file`);
  });

  it.each(['jemalloc-all', 'jemalloc-sampled'])('growth per 2-hour bucket equals growth over the merge of each bucket, its noise that of its dumps: %s', async (set) => {
    const list = profiles[set];
    const actual = await store.growth(await select(set), { bucket: '2h' });
    const [from] = (await select(set)).timeRangeMs as [number, number];
    expectSameReport(actual, bucketGrowth(list, 2, from), `${set} growth --bucket 2h`);
    expect(actual.points).toBe(Math.ceil(list.length / 2));
  });

  it('growth by a label gives one series per value, each the growth of its own files', async () => {
    const report = await store.growthBy(await store.select({ where: { set: 'fleet' } }), 'host');
    expect(report.series.map((s) => s.value)).toEqual(['a', 'b']);
    expect(report.unlabeled).toBe(0);
    expectSameReport(report.series[0].report, growth(profiles['jemalloc-all']), 'host a');
    expectSameReport(report.series[1].report, growth(profiles.gperftools), 'host b');
  });

  it.each(Object.keys(SETS))('diff between two time ranges equals diff of their files, error bars from every dump of both: %s', async (set) => {
    const list = profiles[set];
    const half = Math.ceil(list.length / 2);
    const [from] = (await select(set)).timeRangeMs as [number, number];
    const base = await store.select({ where: { set }, to: from + half * HOUR_MS });
    const other = await store.select({ where: { set }, from: from + half * HOUR_MS });
    expect(base.profiles + other.profiles).toBe(list.length);
    const [before, after] = [list.slice(0, half), list.slice(half)];
    expectSameReport(await store.diff(base, other), diffTop(before, after), `${set} diff`);
    expectSameReport(await store.diff(base, other, { by: 'thread' }), diffTop(before, after, { by: 'thread' }), `${set} diff --by thread`);
  });

  it('selects by time range and label together; a missing label selects nothing, with a warning', async () => {
    const all = await select('gperftools');
    const [t0] = all.timeRangeMs as [number, number];
    const some = await store.select({ where: { set: 'gperftools' }, from: new Date(t0 + HOUR_MS), to: new Date(t0 + 3 * HOUR_MS).toISOString() });
    expect(some.profiles).toBe(2);
    const none = await store.select({ where: { nosuchlabel: 'x' } });
    expect(none.profiles).toBe(0);
    expect(none.warnings).toEqual(['no profile has a label "nosuchlabel": the selection is empty']);
    const noValue = await store.select({ where: { set: 'nosuchset' } });
    expect(noValue.warnings).toEqual(['no profile has set=nosuchset: the selection is empty']);
    expect((await store.top(none)).rows).toEqual([]);
    expect((await store.growth(none)).points).toBe(0);
    expect((await store.sizes(none)).rows).toEqual([]);
    expect((await store.churn(none)).rows).toEqual([]);
  });

  it('runs every SQL example of docs/store.md', async () => {
    const docs = readFileSync(join(REPO, 'docs', 'store.md'), 'utf8');
    const queries = [...docs.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(queries.length).toBeGreaterThanOrEqual(3);
    const results = [];
    // On ClickHouse, as the page says: the deduplicated tables qualified in subqueries.
    const database = name.startsWith('ClickHouse') ? /\/(\w+)\?/.exec(db())![1] : null;
    for (const q of queries) results.push(await store.sql(database ? q.replace(/FROM stack_sites\b/g, `FROM ${database}.stack_sites`) : q));
    // Dumps per host: the two "hosts" of the fleet set.
    expect(results[0].rows.map((r) => [r[0], Number(r[1])])).toEqual([
      ['a', profiles['jemalloc-all'].length],
      ['b', profiles.gperftools.length],
    ]);
    // leak_site's id, then its bytes and their error bar: one row per dump that holds any;
    // error bars on the sampled dumps only.
    expect(results[2].rows).toEqual([[stringId('leak_site').toString()]]);
    expect(results[3].columns).toEqual(['profile', 'bytes', 'stderr']);
    expect(results[3].rows.length).toBeGreaterThan(0);
    const stderrs = results[3].rows.map((r) => Number(r[2]));
    expect(stderrs.some((e) => e > 0) && stderrs.some((e) => e === 0), `stderrs ${stderrs}`).toBe(true);
  });

  it('ingesting the same files again changes no answer', async () => {
    const sel = await select('jemalloc-sampled');
    const before = await store.top(sel);
    const again = await store.ingestFiles(staged['jemalloc-sampled'], { ...LOAD, labels: { set: 'jemalloc-sampled' } });
    expect(again.present).toBe(staged['jemalloc-sampled'].length);
    expect(again.ingested).toBe(0);
    const after = await store.select({ where: { set: 'jemalloc-sampled' } });
    expect(after.profiles).toBe(sel.profiles);
    expectSameReport(await store.top(after), before, 'top after a second ingest');
  });
});
