/**
 * The analyses on the store from the command line: `heapscope ingest` a
 * fixture series into DuckDB and into a two-shard ClickHouse cluster, then
 * `top`, `sizes`, `growth`, `diff` and `churn` with `--db` print the same
 * JSON as the same commands over the files (numbers within a relative
 * 1e-9: an engine adds in its own order), error bars included on sampled
 * dumps. And the store's errors from the command line: a missing store, a
 * locked one, a bad --where, options that belong to files or to the store.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureFiles } from '@heapscope/testkit/inputs';
import { FIXTURES } from '@heapscope/testkit/paths';
import { HOUR_MS, clusterForTests, expectSameReport, stageDumps } from '@heapscope/testkit/store';
import { runCli } from './run-cli.js';
import { runProcess, userEnv } from './run-process.js';

const S = ['--symbols', join(FIXTURES, 'bin', 'workload'), '--no-symbol-cache'];
const START_MS = Date.UTC(2026, 10, 2, 0, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'heapscope-store-cli-'));
/** The series of one process (jemalloc, every allocation recorded), and a sampled one, staged an hour apart. */
const SERIES = stageDumps(fixtureFiles('jemalloc/all', /\.m\d+\.heap$/), dir, START_MS, 'all-');
const SAMPLED = stageDumps(fixtureFiles('jemalloc/sampled', /\.m\d+\.heap$/), dir, START_MS + 24 * HOUR_MS, 'sampled-');
/** The final dump of the series (cumulative counts: churn). */
const [FINAL] = stageDumps(fixtureFiles('jemalloc/all', /\.f\.heap$/), dir, START_MS + 48 * HOUR_MS, 'final-');

const clusterUrl = clusterForTests(dir);

/** Runs the CLI in process; the JSON it printed (failing on a non-zero exit). */
async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli([...args, '--format', 'json']);
  expect(r.code, `heapscope ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const ENGINES = [
  { name: 'DuckDB', db: () => join(dir, 'store.duckdb') },
  { name: 'ClickHouse (two shards)', db: clusterUrl },
];

describe.each(ENGINES)('$name: the analyses with --db equal the analyses over the files', ({ db }) => {
  const ingest = (label: string, files: string[]) => json(['ingest', '--db', db(), '--label', label, ...S, ...files]);

  beforeAll(async () => {
    for (const [label, files] of [
      ['set=series', SERIES],
      ['set=sampled', SAMPLED],
      ['set=final', [FINAL]],
      ['side=base', [SERIES[0]]],
      ['side=new', [SERIES[SERIES.length - 1]]],
    ] as const) {
      const report = await ingest(label, [...files]);
      expect(report.ingested, label).toBe(files.length);
    }
  }, 300_000);

  it('ingest reports each profile, and again writes nothing', async () => {
    const again = await ingest('set=series', SERIES);
    expect(again).toMatchObject({ ingested: 0, present: SERIES.length, sampleRows: 0, warnings: [] });
    const profiles = again.profiles as { source: string; status: string; timeMs: number; timeSource: string; labels: Record<string, string> }[];
    expect(profiles.map((p) => [p.source, p.status, p.timeMs, p.timeSource])).toEqual(SERIES.map((f, i) => [f, 'present', START_MS + i * HOUR_MS, 'mtime']));
    expect(profiles[0].labels).toMatchObject({ set: 'series', pid: '24747' });
  });

  it('top: every grouping, a sample type, --cum and -n; error bars on the sampled dumps', async () => {
    // Files named as one process's dumps, summed, are warned about; a store's selection is summed as asked.
    const withoutSummedDumps = (report: Record<string, unknown>) => {
      const warnings = report.warnings as string[];
      expect(warnings.filter((w) => /are dumps of one process/.test(w))).toHaveLength(1);
      return { ...report, warnings: warnings.filter((w) => !/are dumps of one process/.test(w)) };
    };
    for (const extra of [[], ['--by', 'stack'], ['--by', 'file'], ['-t', 'alloc_space', '--cum', '-n', '5']]) {
      const files = withoutSummedDumps(await json(['top', ...S, ...extra, ...SERIES]));
      expectSameReport(await json(['top', '--db', db(), '--where', 'set=series', ...extra]), files, `top ${extra.join(' ')}`);
    }
    const sampled = await json(['top', '--db', db(), '--where', 'set=sampled']);
    expectSameReport(sampled, withoutSummedDumps(await json(['top', ...S, ...SAMPLED])), 'top of the sampled dumps');
    expect((sampled.rows as { stderr?: number }[]).every((r) => typeof r.stderr === 'number')).toBe(true);
  });

  it('growth: over the series in time order, and --by file', async () => {
    for (const extra of [[], ['--by', 'file'], ['-n', '3']]) {
      expectSameReport(await json(['growth', '--db', db(), '--where', 'set=series', ...extra]), await json(['growth', ...S, ...extra, ...SERIES]), `growth ${extra.join(' ')}`);
    }
    expectSameReport(await json(['growth', '--db', db(), '--where', 'set=sampled']), await json(['growth', ...S, ...SAMPLED]), 'growth of the sampled dumps');
  });

  it('growth --by-label: one series per value, each the growth of its files', async () => {
    const split = await json(['growth', '--db', db(), '--where', 'set=series', '--by-label', 'set']);
    expect(split).toMatchObject({ label: 'set', unlabeled: 0 });
    const series = split.series as { value: string; profiles: number; report: unknown }[];
    expect(series.map((s) => [s.value, s.profiles])).toEqual([['series', SERIES.length]]);
    const { warnings, ...files } = await json(['growth', ...S, ...SERIES]);
    expect(warnings).toEqual([]);
    expectSameReport(series[0].report, files, 'growth --by-label set');
  });

  it('diff: --base-where against --where equals diff of the two dumps', async () => {
    for (const extra of [[], ['-t', 'inuse_objects', '--by', 'stack']]) {
      const store = await json(['diff', '--db', db(), '--base-where', 'side=base', '--where', 'side=new', ...extra]);
      const files = await json(['diff', ...S, ...extra, SERIES[0], SERIES[SERIES.length - 1]]);
      expect(store.base).toMatch(/side=base, 1 profile\)$/);
      expect(store.input).toMatch(/side=new, 1 profile\)$/);
      expectSameReport({ ...store, base: '', input: '' }, { ...files, base: '', input: '' }, `diff ${extra.join(' ')}`);
    }
  });

  it('sizes and churn: on one dump, as over its file', async () => {
    for (const extra of [[], ['--buckets', 'pow2'], ['--buckets', 'class', '--by', 'function', '--sites', '3']]) {
      expectSameReport(await json(['sizes', '--db', db(), '--where', 'set=final', ...extra]), await json(['sizes', ...S, ...extra, FINAL]), `sizes ${extra.join(' ')}`);
    }
    for (const extra of [[], ['--by', 'module', '-n', '3']]) {
      expectSameReport(await json(['churn', '--db', db(), '--where', 'set=final', ...extra]), await json(['churn', ...S, ...extra, FINAL]), `churn ${extra.join(' ')}`);
    }
  });

  it('sql: a table, and JSON', async () => {
    const query = "SELECT value AS side, count(*) AS dumps FROM profile_labels WHERE key = 'side' GROUP BY value ORDER BY side";
    expect(await json(['sql', '--db', db(), query])).toEqual({ columns: ['side', 'dumps'], rows: [['base', 1], ['new', 1]], warnings: [] });
    const text = await runCli(['sql', '--db', db(), query]);
    expect(text.stderr).toBe('');
    expect(text.stdout).toBe('side  dumps\nbase      1\nnew       1\n(2 rows)\n');
  });

  it('a label no profile has: an empty selection and a warning, not an error', async () => {
    const r = await runCli(['top', '--db', db(), '--where', 'hots=a']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('heapscope: warning: no profile has a label "hots": the selection is empty\n');
    expect(r.stdout).toMatch(/\(hots=a, 0 profiles\): inuse_space total 0 B/);
  });
});

describe('the store from the command line (DuckDB)', () => {
  const db = join(dir, 'errors.duckdb');
  beforeAll(async () => {
    const r = await runCli(['ingest', '--db', db, '--label', 'host=a', ...S, ...SERIES]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${db}: ingested ${SERIES.length} profiles, \\d+ sample rows from .* of files in [\\d.]+ s\\nstatus +time +from +rows +input\\ningested  2026-11-02T00:00:00.000Z  mtime`));
  }, 120_000);

  it('ingests standard input (-): its time now, or --time', async () => {
    const before = Date.now();
    const stdin = await runCli(['ingest', '--db', db, '--label', 'from=stdin', '--format', 'json', ...S, '-'], { stdin: readFileSync(FINAL) });
    expect(stdin.code, stdin.stderr).toBe(0);
    const report = JSON.parse(stdin.stdout);
    expect(report.profiles[0]).toMatchObject({ source: '-', timeSource: 'given' });
    expect(report.profiles[0].timeMs).toBeGreaterThanOrEqual(before);
    const given = await runCli(['ingest', '--db', db, '--label', 'from=stdin-given', '--time', '2026-11-05T10:00:00Z', '--format', 'json', ...S, '-'], { stdin: readFileSync(FINAL) });
    expect(JSON.parse(given.stdout).profiles[0]).toMatchObject({ timeMs: Date.UTC(2026, 10, 5, 10), timeSource: 'given' });
    expectSameReport(await json(['top', '--db', db, '--where', 'from=stdin']), await json(['top', ...S, FINAL]), 'top of stdin');
    // The build label, from the binary the symbolizer read (the dump records no build id), as for a file.
    const file = await runCli(['ingest', '--db', db, '--label', 'from=file', '--format', 'json', ...S, FINAL]);
    expect(file.code, file.stderr).toBe(0);
    const builds = await json(['sql', '--db', db, "select l.value as build, f.value as source from profile_labels l join profile_labels f on f.profile = l.profile and f.key = 'from' where l.key = 'build' and f.value in ('stdin', 'file') order by source"]);
    expect(builds.columns).toEqual(['build', 'source']);
    expect(builds.rows.map((r: string[]) => r[1])).toEqual(['file', 'stdin']);
    expect(builds.rows[1][0]).toMatch(/^[0-9a-f]{40}$/);
    expect(builds.rows[1][0]).toBe(builds.rows[0][0]);
  });

  it('--from and --to select by time', async () => {
    const from = new Date(START_MS + HOUR_MS).toISOString();
    const to = new Date(START_MS + 3 * HOUR_MS).toISOString();
    const r = await json(['growth', '--db', db, '--where', 'host=a', '--from', from, '--to', to]);
    expectSameReport(r, await json(['growth', ...S, SERIES[1], SERIES[2]]), 'growth of two hours');
    const bucketed = await json(['growth', '--db', db, '--where', 'host=a', '--bucket', '2h']);
    expect(bucketed.points).toBe(Math.ceil(SERIES.length / 2));
  });

  it('sql --format json: 64-bit integers as numbers when a double holds them exactly, else as strings', async () => {
    const r = await json(['sql', '--db', db, 'SELECT CAST(9007199254740993 AS BIGINT) AS big, CAST(3 AS BIGINT) AS small, [CAST(1 AS BIGINT)] AS list, CAST(0.5 AS DOUBLE) AS half']);
    expect(r.rows).toEqual([['9007199254740993', 3, [1], 0.5]]);
  });

  it('a store that does not exist, for a read: one line, exit 1', async () => {
    const missing = join(dir, 'missing.duckdb');
    for (const argv of [['top', '--db', missing], ['sql', '--db', missing, 'SELECT 1']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stderr).toBe(`heapscope: ${missing}: no such store (nothing has been ingested into it)\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('an ingest that fails before writing a profile leaves no new store; an existing store stays', async () => {
    // A dump with a changed byte in its first stack's counts (a damaged copy of a real one), and allocator statistics.
    const cut = join(dir, 'damaged.heap');
    writeFileSync(cut, readFileSync(SERIES[1], 'utf8').replace(/\n {2}t\*: \d/, '\n  t*: x'));
    const stats = join(FIXTURES, 'stats', 'jemalloc', 'exit', 'jemalloc-stats.txt.gz');
    for (const [name, inputs] of [
      ['stats', [stats]],
      ['damaged', [cut, SERIES[0]]],
    ] as const) {
      const db = join(dir, `failed-${name}.duckdb`);
      const r = await runCli(['ingest', '--db', db, ...S, ...inputs]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^heapscope: ${(inputs[0] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: [^\n]+\n$`));
      expect(existsSync(db), db).toBe(false);
      expect(existsSync(`${db}.wal`)).toBe(false);
    }
    // An existing store is never removed, even when this ingest writes nothing.
    const kept = join(dir, 'kept.duckdb');
    expect((await runCli(['ingest', '--db', kept, ...S, SERIES[0]])).code).toBe(0);
    expect((await runCli(['ingest', '--db', kept, ...S, stats])).code).toBe(1);
    expect((await json(['sql', '--db', kept, 'SELECT count(*) AS n FROM profiles'])).rows).toEqual([[1]]);
  });

  it('a bad --where, --from or --bucket: one line, exit 2', async () => {
    for (const [argv, message] of [
      [['--where', 'host'], '--where expects KEY=VALUE (KEY: letters, digits, _ . -, starting with a letter or _), got "host"'],
      [['--where', '=a'], '--where expects KEY=VALUE (KEY: letters, digits, _ . -, starting with a letter or _), got "=a"'],
      [['--where', 'host=a', '--where', 'host=b'], '--where host given twice: every pair must hold, so a label takes one value'],
      [['--from', 'yesterday'], '--from expects a time (ISO 8601, e.g. 2026-11-02T14:00:00Z), got "yesterday"'],
    ] as const) {
      const r = await runCli(['top', '--db', db, ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toBe(`heapscope: ${message}\n`);
    }
    const bucket = await runCli(['growth', '--db', db, '--bucket', '1 week']);
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toBe('heapscope: --bucket expects a length of time like 30m, 1h or 1d, got "1 week"\n');
  });

  it('options for files with --db, and the store\'s without it: exit 2', async () => {
    for (const [argv, message] of [
      [['top', '--db', db, SERIES[0]], /^heapscope: --db reads the profiles from the store: give no input files/],
      [['top', '--db', db, '--focus', 'leak'], /^heapscope: --focus: for input files, not the store/],
      [['growth', '--db', db, '--order', 'given'], /^heapscope: --order: for input files, not the store/],
      [['top', '--where', 'host=a', ...SERIES], /^heapscope: --where select profiles of a store: give --db/],
      [['diff', '--db', db, '--where', 'host=a'], /^heapscope: diff --db compares two selections: give --base-where/],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
  });

  it('$HEAPSCOPE_DB names the store when no input is given', async () => {
    const saved = process.env.HEAPSCOPE_DB;
    process.env.HEAPSCOPE_DB = db;
    try {
      expectSameReport(await json(['top', '--where', 'host=a']), await json(['top', '--db', db, '--where', 'host=a']), 'top from $HEAPSCOPE_DB');
    } finally {
      if (saved === undefined) delete process.env.HEAPSCOPE_DB;
      else process.env.HEAPSCOPE_DB = saved;
    }
  });

  it('a store another process writes: waits --lock-timeout, then one line, exit 1', async () => {
    // Another process holds the store open for writing until it is killed (by its PID).
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(db)}); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
      });
      for (const argv of [['ingest', '--db', db, '--lock-timeout', '1', ...S, FINAL], ['top', '--db', db, '--lock-timeout', '1']]) {
        const started = Date.now();
        const r = await runCli(argv);
        expect(r.code, argv[0]).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`^heapscope: ${db}: in use by .*\\(PID ${holder.pid}\\) for more than 1 s \\(DuckDB lets one process write a store at a time\\)\\n$`));
        // It waited: the store gives up once its next retry (at most 500 ms away) would pass the timeout.
        expect(Date.now() - started).toBeGreaterThanOrEqual(500);
      }
    } finally {
      holder.kill();
    }
  });

  it('the installed program (the bundle) ingests on its worker threads and reads the store', async () => {
    const bin = fileURLToPath(new URL('../bin/heapscope.mjs', import.meta.url));
    const bundled = join(dir, 'bundled.duckdb');
    // From another directory, with a user's environment, its output to a pipe (a piped stdout once kept DuckDB's module from loading).
    const run = (argv: string[]) => runProcess(process.execPath, [bin, ...argv], { cwd: dir, env: userEnv() });
    const ingest = await run(['ingest', '--db', bundled, '--label', 'host=a', '--format', 'json', ...S, ...SERIES]);
    expect(ingest.code, ingest.stderr).toBe(0);
    expect(JSON.parse(ingest.stdout.toString())).toMatchObject({ ingested: SERIES.length });
    const top = await run(['top', '--db', bundled, '--format', 'json']);
    expect(top.code, top.stderr).toBe(0);
    expectSameReport(JSON.parse(top.stdout.toString()), await json(['top', '--db', db, '--where', 'host=a']), 'top from the bundle');
  });
});
