/**
 * The store under faults: a path that is not a DuckDB store, an unreachable
 * ClickHouse, a newer or an older schema, bad inputs, Ctrl-C in the middle of an ingest
 * (a real SIGINT to a child process), and two ingests into one DuckDB file
 * at once.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ParseError } from '@heapscope/parser';
import { mergeProfiles, top } from '@heapscope/analyzer';
import { DuckDBInstance } from '@duckdb/node-api';
import { SCHEMA_VERSION, StoreError, UnsupportedOptionError, openStore, type Store } from '../src/index.js';
import { openClickHouse, type ClickHouseBackend } from '../src/clickhouse-backend.js';
import { parseDbLocation } from '../src/db-location.js';
import { engineMessage } from '../src/errors.js';
import { openDuckDb } from '../src/duckdb-backend.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { LOAD, clusterForTests, expectSameReport, loadAll, stageDumps, startCluster } from './helpers.js';

const CHILD = fileURLToPath(new URL('./ingest-child.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'heapscope-store-faults-'));
const JEMALLOC = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.heap$/);
const GPERFTOOLS = findFiles(join(FIXTURES, 'gperftools'), /\.heap$/);
const clusterUrl = clusterForTests(dir);

/** `count` copies of the fixture dumps under distinct names (so distinct profiles). */
function manyDumps(name: string, count: number): string[] {
  const to = join(dir, name);
  mkdirSync(to);
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) out.push(...stageDumps([...JEMALLOC, ...GPERFTOOLS], to, Date.UTC(2026, 0, 1) + i * 86_400_000, `copy${i}-`));
  return out.slice(0, count);
}

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  pid: number;
  /** Resolves when stdout has printed a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
}

function child(db: string, label: string, lockTimeoutMs: number, batchRows: number, files: string[]): Child {
  const proc = spawn(process.execPath, [CHILD, db, label, String(lockTimeoutMs), String(batchRows), ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  proc.stdout.on('data', (c) => {
    stdout += c;
    for (const w of waiters.splice(0)) (w.pattern.test(stdout) ? w.resolve : () => waiters.push(w))();
  });
  proc.stderr.on('data', (c) => (stderr += c));
  return {
    pid: proc.pid as number,
    done: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))),
    waitFor: (pattern) => new Promise((resolve) => (pattern.test(stdout) ? resolve() : waiters.push({ pattern, resolve }))),
  };
}

/** Every visible profile has all its samples and labels; returns the visible profiles' sources. */
async function expectConsistent(store: Store): Promise<string[]> {
  const profiles = (await store.sql('SELECT profile, ingest, sample_count, source FROM profiles')).rows;
  const samples = new Map((await store.sql('SELECT profile, ingest, count(*) AS n FROM samples GROUP BY profile, ingest')).rows.map((r) => [`${r[0]}/${r[1]}`, Number(r[2])]));
  const labels = new Map((await store.sql('SELECT profile, ingest, count(*) AS n FROM profile_labels GROUP BY profile, ingest')).rows.map((r) => [`${r[0]}/${r[1]}`, Number(r[2])]));
  for (const [profile, ingest, count] of profiles) {
    expect(samples.get(`${profile}/${ingest}`) ?? 0, `samples of profile ${profile}`).toBe(Number(count));
    expect(labels.get(`${profile}/${ingest}`) ?? 0, `labels of profile ${profile}`).toBeGreaterThanOrEqual(1);
  }
  expect(new Set(profiles.map((p) => p[0])).size, 'one row per profile').toBe(profiles.length);
  return profiles.map((p) => String(p[3]));
}

describe('a store that cannot be used is one clear error', () => {
  it('a file that is not a DuckDB database', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'these are notes, not a database\n'.repeat(100));
    await expect(openStore(path)).rejects.toThrow(new StoreError(path, 'not a DuckDB database file'));
  });

  it('a directory, a store that does not exist (read-only), no store at all', async () => {
    await expect(openStore(dir)).rejects.toThrow(`${dir}: is a directory, not a DuckDB file`);
    const missing = join(dir, 'missing.duckdb');
    await expect(openStore(missing, { readOnly: true })).rejects.toThrow(`${missing}: no such store (nothing has been ingested into it)`);
    const saved = process.env.HEAPSCOPE_DB;
    delete process.env.HEAPSCOPE_DB;
    try {
      await expect(openStore()).rejects.toThrow('no store given, and $HEAPSCOPE_DB is not set');
    } finally {
      if (saved !== undefined) process.env.HEAPSCOPE_DB = saved;
    }
  });

  it('a DuckDB database that is not a heapscope store', async () => {
    const path = join(dir, 'other.duckdb');
    const instance = await DuckDBInstance.create(path);
    const c = await instance.connect();
    await c.run('CREATE TABLE orders (id INTEGER)');
    c.closeSync();
    instance.closeSync();
    await expect(openStore(path)).rejects.toThrow(`${path}: not a heapscope store (it has other tables: orders)`);
  });

  it('an unreachable ClickHouse, and a URL that is not one', async () => {
    const url = 'clickhouse://127.0.0.1:1/heapscope';
    const error = await openStore(url).catch((e: Error) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toBe(`${url}: cannot reach ClickHouse at http://127.0.0.1:1 (ECONNREFUSED)`);
    await expect(openStore('clickhouse://host/')).rejects.toThrow(/expected clickhouse:\/\/HOST:PORT\/DATABASE/);
    await expect(openStore('clickhouse://a:1,b:2/db')).rejects.toThrow(/several servers need \?cluster=NAME/);
  });

  it('a cluster store is created through every server, then one server takes ingests and queries', async () => {
    const all = clusterUrl().replace('/heapscope?', '/oneentry?');
    const first = all.replace(/\/\/([^,/]+),[^/]+\//, '//$1/');
    await expect(openStore(first)).rejects.toThrow(/no store here yet, and creating one needs every server of cluster "heapscope" in the URL \(it has 2, the URL lists 1\)/);
    await (await openStore(all)).close();
    const store = await openStore(first);
    try {
      const report = await store.ingestFiles([...GPERFTOOLS, ...JEMALLOC], { ...LOAD, labels: { host: 'h1' } });
      expect(report.ingested).toBe(GPERFTOOLS.length + JEMALLOC.length);
      expect((await store.select({ where: { host: 'h1' } })).profiles).toBe(GPERFTOOLS.length + JEMALLOC.length);
    } finally {
      await store.close();
    }
    // Through the Distributed tables: the profiles went to both shards.
    const both = await openStore(all);
    try {
      const spread = await (both.backend as ClickHouseBackend).rowsPerServer('profiles');
      expect(spread.length).toBe(2);
      expect(spread.every((n) => n > 0), `profiles per shard: ${spread}`).toBe(true);
    } finally {
      await both.close();
    }
  });

  it.each(['duckdb', 'clickhouse'])('a schema newer than this code knows is refused (%s)', async (engine) => {
    const db = engine === 'duckdb' ? join(dir, 'newer.duckdb') : clusterUrl().replace('/heapscope?', '/newer?');
    const store = await openStore(db);
    await store.sql(engine === 'duckdb' ? "UPDATE heapscope_meta SET value = '99'" : "INSERT INTO heapscope_meta VALUES ('schema_version', '99')");
    await store.close();
    await expect(openStore(db)).rejects.toThrow(new RegExp(`store schema version 99 is newer than this heapscope reads \\(${SCHEMA_VERSION}\\): use a newer heapscope$`));
  });

  it.each(['duckdb', 'clickhouse'])('a store of schema version 1 (no sampling variances) is refused with what it lacks and what to do (%s)', async (engine) => {
    const db = engine === 'duckdb' ? join(dir, 'older.duckdb') : clusterUrl().replace('/heapscope?', '/older?');
    const location = parseDbLocation(db);
    const backend = location.kind === 'duckdb' ? await openDuckDb(location.path, location.display, { readOnly: false, lockTimeoutMs: 1000 }) : await openClickHouse(location);
    await backend.createSchema(1);
    await backend.close();
    expect(SCHEMA_VERSION).toBeGreaterThan(1);
    const message = `store schema version 1 is older than this heapscope reads (${SCHEMA_VERSION}): its samples have no sampling variances (error bars); ingest the dumps again into a new store`;
    await expect(openStore(db)).rejects.toThrow(message);
    await expect(openStore(db, { readOnly: true })).rejects.toThrow(message);
  });
});

describe('ingest', () => {
  it('records pid and build from the dump and given labels, and the time: the dump, else given, else the mtime', async () => {
    const store = await openStore(join(dir, 'labels.duckdb'));
    try {
      const [staged] = stageDumps([JEMALLOC[0]], join(dir), Date.UTC(2026, 5, 1, 12));
      const byMtime = await store.ingestFiles([staged], { ...LOAD, labels: { host: 'web-1' } });
      const p = byMtime.profiles[0];
      expect(p.timeSource).toBe('mtime');
      expect(p.timeMs).toBe(Date.UTC(2026, 5, 1, 12));
      expect(p.labels.host).toBe('web-1');
      expect(p.labels.pid).toMatch(/^\d+$/);
      // The fixture dumps have no build ids; the symbolizer read the workload binary's.
      expect(p.labels.build).toMatch(/^[0-9a-f]{40}$/);
      const given = await store.ingestFiles([staged], { ...LOAD, labels: { host: 'web-2' }, time: '2026-06-02T00:00:00Z' });
      expect(given.profiles[0]).toMatchObject({ status: 'ingested', timeSource: 'given', timeMs: Date.UTC(2026, 5, 2) });
    } finally {
      await store.close();
    }
  });

  it.each([1, 2])('a bad input stops the ingest with its file and line; no part of it is visible, the dumps before it are whole (read on %i worker threads)', async (workers) => {
    const bad = join(dir, 'bad.heap');
    writeFileSync(bad, 'heap_v2/524288\n  t*: 1: 2 [0: 0]\n@ 0x1 0x2\n  t*: not numbers\n');
    const store = await openStore(join(dir, `bad-input-${workers}.duckdb`));
    try {
      const error = await store.ingestFiles([GPERFTOOLS[0], GPERFTOOLS[1], bad, GPERFTOOLS[2]], { ...LOAD, batchRows: 1, workers }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).file).toBe(bad);
      expect((error as ParseError).message).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: `));
      const sources = await expectConsistent(store);
      expect(sources).not.toContain(bad);
      expect(sources).toEqual([GPERFTOOLS[0], GPERFTOOLS[1]]);
    } finally {
      await store.close();
    }
  });

  it('refuses event traces (the store holds snapshots) and stack filters it cannot apply', async () => {
    const store = await openStore(join(dir, 'refuse.duckdb'));
    try {
      const trace = findFiles(join(FIXTURES, 'perf'), /\.perf\.txt\.gz$/)[0];
      await expect(store.ingestFiles([trace], LOAD)).rejects.toThrow(/an event trace \(perf-script\): the store holds heap snapshots/);
      await expect(store.ingestFiles(['-'], LOAD)).rejects.toThrow(/load stdin \(-\) first and ingest the profile with Store.ingest/);
      await store.ingestFiles([GPERFTOOLS[0]], LOAD);
      const sel = await store.select();
      await expect(store.top(sel, { focus: /x/ } as never)).rejects.toThrow(UnsupportedOptionError);
      await expect(store.top(sel, { focus: /x/ } as never)).rejects.toThrow('the store does not apply --focus (call sites are keyed at ingest); analyze the files instead');
    } finally {
      await store.close();
    }
  });
});

describe.each(['duckdb', 'clickhouse'])('Ctrl-C in the middle of an ingest leaves the store consistent (%s)', (engine) => {
  it('a SIGINT mid-ingest: every visible profile whole; the ingest run again completes it, with the analyzer\'s answer', async () => {
    const files = manyDumps(`sigint-${engine}`, 48);
    const db = engine === 'duckdb' ? join(dir, 'sigint.duckdb') : clusterUrl().replace('/heapscope?', '/sigint?');
    const run = child(db, 'run=a', 60_000, 1, files);
    await run.waitFor(/written 3\n/);
    process.kill(run.pid, 'SIGINT');
    const result = await run.done;
    expect(result.signal ?? result.code, result.stderr).toBe('SIGINT');
    expect(result.stdout).not.toMatch(/^done/m);

    let store = await openStore(db);
    const visible = await expectConsistent(store);
    expect(visible.length).toBeGreaterThanOrEqual(3);
    expect(visible.length).toBeLessThan(files.length);
    await store.close();

    const again = child(db, 'run=a', 60_000, 1000, files);
    const second = await again.done;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^done ${files.length - visible.length} ${visible.length}$`, 'm'));
    store = await openStore(db);
    try {
      expect((await expectConsistent(store)).sort()).toEqual([...files].sort());
      const sel = await store.select({ where: { run: 'a' } });
      expect(sel.profiles).toBe(files.length);
      // The child does not symbolize: compare by module, which needs no symbols.
      const unsymbolized = await loadAll(files, { symbolize: false });
      expectSameReport(await store.top(sel, { by: 'module' }), top([mergeProfiles(unsymbolized)], { by: 'module' }), 'top --by module after the rerun');
      expectSameReport(await store.top(sel, { by: 'stack', limit: 20 }), top([mergeProfiles(unsymbolized)], { by: 'stack', limit: 20 }), 'top --by stack after the rerun');
    } finally {
      await store.close();
    }
  });
});

describe('two ingests into one DuckDB file at once', () => {
  it('both succeed (one waits for the other), and the store has both, whole', async () => {
    const db = join(dir, 'concurrent.duckdb');
    const a = child(db, 'run=a', 60_000, 1, manyDumps('concurrent-a', 12));
    const b = child(db, 'run=b', 60_000, 1, manyDumps('concurrent-b', 12));
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    expect(ra.stdout).toMatch(/^done 12 0$/m);
    expect(rb.stdout).toMatch(/^done 12 0$/m);
    const store = await openStore(db);
    try {
      expect((await expectConsistent(store)).length).toBe(24);
      expect((await store.select({ where: { run: 'a' } })).profiles).toBe(12);
      expect((await store.select({ where: { run: 'b' } })).profiles).toBe(12);
    } finally {
      await store.close();
    }
  });

  it('one that cannot wait long enough fails with one line naming the holder', async () => {
    const db = join(dir, 'held.duckdb');
    const holder = await openStore(db);
    try {
      const waiting = child(db, 'run=c', 300, 1, [GPERFTOOLS[0]]);
      const result = await waiting.done;
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^heapscope: ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: in use by .*\\(PID ${process.pid}\\) for more than 0\\.3 s \\(DuckDB lets one process write a store at a time\\)\n$`));
    } finally {
      await holder.close();
    }
    expect((await openStore(db).then(async (s) => (await s.close(), 'reopened')))).toBe('reopened');
  });
});

describe('a ClickHouse server that stops', () => {
  it('the cause kept is the first try that names a server: a first try on a pooled connection the dead server dropped names none', () => {
    // ClickHouse 18.16 logs each try on a line of its own; under load the first try can meet the pooled connection's end.
    const log = (tries: string[]) =>
      new Error(['Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log: ', '', ...tries, '', ', e.what() = DB::NetException'].join('\n'));
    const eof = 'Code: 32, e.displayText() = DB::Exception: Attempt to read after eof, e.what() = DB::Exception';
    const refused = 'Code: 210, e.displayText() = DB::NetException: Connection refused (127.0.0.1:9001), e.what() = DB::NetException';
    const expected = 'All connection tries failed: Connection refused (127.0.0.1:9001) (ClickHouse code 279)';
    expect(engineMessage(log([eof, refused, refused]))).toBe(expected);
    expect(engineMessage(log([refused, eof]))).toBe(expected);
    expect(engineMessage(log([eof]))).toBe('All connection tries failed: Attempt to read after eof (ClickHouse code 279)');
  });

  it('a query through the other server is one line naming the server that refused, not "All connection tries failed. Log:"', async () => {
    const cluster = startCluster();
    try {
      const store = await openStore(cluster.url);
      await store.ingestFiles([GPERFTOOLS[0]], LOAD);
      await store.close();
      const pid = Number(readFileSync(join(cluster.dir, 'shard2', 'pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      const first = cluster.url.replace(/\/\/([^,/]+),[^/]+\//, '//$1/').replace(/\?.*$/, '');
      const survivor = await openStore(first);
      try {
        const error = await survivor.sql('SELECT count() FROM profiles').catch((e: Error) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toMatch(/^clickhouse:\/\/127\.0\.0\.1:\d+\/heapscope: All connection tries failed: Connection refused \(127\.0\.0\.1:\d+\) \(ClickHouse code 279\)$/);
      } finally {
        await survivor.close();
      }
    } finally {
      cluster.stop();
    }
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
