/**
 * `heapscope replay` and `heapscope trial` on real traces and real
 * allocators (glibc, and Debian's jemalloc, tcmalloc and mimalloc, which
 * setup installs): the trace's live bytes as heapscope's analysis counts
 * them, a row per allocator relative to glibc, the verdict in text and JSON,
 * the plot, `-o`, and every kind of bad input with its one line and exit
 * code (docs/design.md#exit-codes).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readInput } from '@heapscope/analyzer';
import { CORPUS, FIXTURES, corpusSkipNote } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-replay-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
corpusSkipNote();

const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const PERF_SIZES_ONLY = join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz');
const HEAPTRACK = ['heaptrack.workload.19878.raw.zst', 'heaptrack.workload.19839.zst'].map((f) => join(FIXTURES, 'heaptrack', f));
const SYSTEMUI = join(CORPUS, 'android-record-allocs', 'systemui.zip');
const HEAP = join(FIXTURES, 'gperftools', 'workload.0006.heap');
const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const FOUR = ['glibc', 'jemalloc', 'tcmalloc', 'mimalloc'];

/** What heapscope's analysis finds in the trace: its peak and final live bytes. */
async function liveBytes(path: string) {
  const { trace } = await readInput(path);
  return { peakLiveBytes: trace!.report.peak.bytes, finalLiveBytes: trace!.report.liveBytes };
}

/** A new empty directory. */
const dir = () => mkdtempSync(join(scratch, 'd'));

describe('heapscope replay', () => {
  it('a perf capture under the four allocators: a row each relative to glibc, the live bytes of the analysis, and the verdict', async () => {
    const json = await runCli(['replay', '--format', 'json', PERF]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.trace).toMatchObject({ file: PERF, format: 'perf-script', mode: 'threads', runs: 1, ...(await liveBytes(PERF)) });
    expect(report.rows.map((r: { allocator: string }) => r.allocator)).toEqual(FOUR);
    for (const row of report.rows) {
      expect(row).toMatchObject({ error: null, runs: 1, ops: report.trace.ops });
      expect(row.peakRss).toBeGreaterThan(report.trace.finalLiveBytes);
      expect(row.secondsMin).toBe(row.seconds);
    }
    expect(report.rows[0].library).toBeNull();
    expect(report.rows[1].library).toMatch(/libjemalloc\.so\.2$/);
    expect(report.series.map((s: { allocator: string }) => s.allocator)).toEqual(FOUR);
    expect(FOUR).toContain(report.verdict.choose);
    expect(report.verdict).toMatchObject({ memoryFigure: 'peakRss', noiseFrom: 'margin' });
    const leanest = report.rows.reduce((a: { peakRss: number }, b: { peakRss: number }) => (b.peakRss < a.peakRss ? b : a));
    expect(report.verdict.leastMemory).toBe(leanest.allocator);

    const text = await runCli(['replay', '--allocators', 'glibc,mimalloc', PERF]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^.*workload\.fp\.perf\.txt\.gz: [\d,]+ operations of 2 threads, each on its own; 1 run per allocator; the trace's live bytes peak at /);
    const header = lines.findIndex((l) => l.startsWith('allocator'));
    expect(lines[header]).toMatch(/^allocator +time +× glibc +ns\/op +peak RSS +× glibc +final RSS +peak VA +× glibc +final VA +RSS ÷ live +refused$/);
    expect(lines[header + 1]).toMatch(/^glibc +[\d.]+ [mµ]?s +1\.00× /);
    expect(lines[header + 2]).toMatch(/^mimalloc +[\d.]+ [mµ]?s +\d+\.\d\d× /);
    expect(lines.filter((l) => l.startsWith('verdict: '))).toHaveLength(1);
    expect(text.stdout.trimEnd().split('\n').pop()).toMatch(/^verdict: (choose (glibc|mimalloc)|no allocator stands out)/);
  });

  for (const path of HEAPTRACK) {
    it(`a heaptrack recording (${path.slice(path.lastIndexOf('/') + 1)}, no threads recorded): replayed on one thread, with the analysis's live bytes`, async () => {
      const r = await runCli(['replay', '--allocators', 'glibc', '--format', 'json', path]);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.trace).toMatchObject({ format: 'heaptrack', threads: 1, ...(await liveBytes(path)) });
      expect(report.rows[0]).toMatchObject({ allocator: 'glibc', error: null });
      expect(report.verdict).toMatchObject({ choose: 'glibc', reason: 'only-one' });
    });
  }

  it.skipIf(!existsSync(SYSTEMUI))('the corpus systemui record_allocs trace, --single-thread and --runs 2: medians with their ranges, and the analysis\'s live bytes', async () => {
    const r = await runCli(['replay', '--allocators', 'glibc,tcmalloc', '--runs', '2', '--single-thread', '--format', 'json', SYSTEMUI]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.trace).toMatchObject({ format: 'android-record-allocs', mode: 'single-thread', runs: 2, threads: 393, ...(await liveBytes(SYSTEMUI)) });
    for (const row of report.rows) {
      expect(row.runs).toBe(2);
      expect(row.secondsMin).toBeLessThanOrEqual(row.seconds);
      expect(row.secondsMax).toBeGreaterThanOrEqual(row.seconds);
      expect(row.peakRssMin).toBeLessThanOrEqual(row.peakRssMax);
    }
    expect(report.verdict.noiseFrom).toBe('ranges');
  });

  it('--plot: an SVG with an RSS line per allocator and the live bytes; -o: the report, written whole, and nothing else left', async () => {
    const d = dir();
    const svg = join(d, 'rss.svg');
    const out = join(d, 'report.txt');
    const r = await runCli(['replay', '--allocators', 'glibc,jemalloc,tcmalloc', '--plot', svg, '-o', out, PERF]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/\nverdict: [^\n]+\n$/);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text.match(/<polyline /g)).toHaveLength(4);
    for (const name of ['glibc RSS', 'jemalloc RSS', 'tcmalloc RSS', 'live bytes (trace)']) expect(text).toContain(`>${name}</text>`);
    expect(text).toContain('>operations replayed</text>');
    expect(text).not.toMatch(/<script|href=|url\(/);
    expect(readdirSync(d).sort()).toEqual(['report.txt', 'rss.svg']);
  });

  it('the plot\'s points are the series of the JSON: one per sample, in order, for each allocator', async () => {
    const d = dir();
    const svg = join(d, 'rss.svg');
    const r = await runCli(['replay', '--allocators', 'glibc,mimalloc', '--plot', svg, '--format', 'json', PERF]);
    const report = JSON.parse(r.stdout);
    const polylines = [...readFileSync(svg, 'utf8').matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1].split(' ').length);
    expect(polylines).toEqual([...report.series.map((s: { points: unknown[] }) => s.points.length), report.series[0].points.length]);
  });
});

describe('heapscope replay: bad input', () => {
  it('a file that is not a trace, a trace without pointers, a malformed trace: one FILE:LINE line, exit 1, before any allocator, and no output file', async () => {
    const d = dir();
    const out = join(d, 'report.json');
    const svg = join(d, 'rss.svg');
    const bad = join(d, 'bad.txt');
    writeFileSync(bad, '1: malloc 0x1000 100\n2: mallok 0x2000 3\n');
    for (const [path, message] of [
      [HEAP, `${HEAP}:1: this is a heap snapshot (gperftools), not an allocation trace: only traces (record_allocs, perf malloc/free probes, heaptrack) can be replayed`],
      [PERF_SIZES_ONLY, `${PERF_SIZES_ONLY}:1: the trace records no pointers (perf entry probes without return probes): its allocations cannot be replayed`],
      [bad, `${bad}:2: unknown operation "mallok" (expected malloc, calloc, memalign, realloc, free or thread_done): "2: mallok 0x2000 3"`],
    ]) {
      const r = await runCli(['replay', '-o', out, '--plot', svg, path]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`heapscope: ${message}\n`);
      expect(r.stdout).toBe('');
    }
    expect(readdirSync(d)).toEqual(['bad.txt']);
  });

  it('an unknown allocator, a bad --preload or --env, --runs 0: a usage error (exit 2) in one line, before the trace is read', async () => {
    for (const [args, message] of [
      [['--allocators', 'glibc,hoard'], 'unknown allocator "hoard" (known: glibc, jemalloc, tcmalloc, mimalloc; others need --preload hoard=LIBRARY)'],
      [['--allocators', 'glibc,,jemalloc'], '--allocators expects a comma-separated list of allocator names'],
      [['--preload', 'libhoard.so'], '--preload expects NAME=LIBRARY (a path or a soname), got "libhoard.so"'],
      [['--env', 'jemalloc:LD_PRELOAD=x'], '--env LD_PRELOAD=…: the allocator decides LD_PRELOAD; use --preload NAME=LIBRARY'],
      [['--env', 'hoard:X=1'], '--env hoard:X=1: allocator "hoard" is not among those run (glibc, jemalloc, tcmalloc, mimalloc)'],
      [['--runs', '0'], '--runs expects a positive integer, got "0"'],
    ] as const) {
      const r = await runCli(['replay', ...args, '/nonexistent/trace.txt']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`heapscope: ${message}\n`);
    }
  });

  it('a missing allocator library: a warning naming it, the others reported, exit 1; every library missing: one error line, no report', async () => {
    const d = dir();
    const out = join(d, 'report.json');
    const r = await runCli(['replay', '--allocators', 'glibc,hoard', '--preload', 'hoard=/nonexistent/libhoard.so', '--format', 'json', '-o', out, PERF]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => !/^heapscope: warning: allocator calls made inside/.test(l))).toEqual([
      'heapscope: warning: hoard: /nonexistent/libhoard.so not found; looked in /nonexistent/libhoard.so',
      'heapscope: 1 of 2 allocators could not be measured (hoard); the report has the others',
      '',
    ]);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.rows.map((row: { allocator: string; error: string | null }) => [row.allocator, row.error === null])).toEqual([
      ['glibc', true],
      ['hoard', false],
    ]);
    const text = await runCli(['replay', '--allocators', 'glibc,hoard', '--preload', 'hoard=/nonexistent/libhoard.so', '--quiet', PERF]);
    expect(text.stdout).toMatch(/\nhoard +failed\n/);
    expect(text.stdout).toContain('\nfailed: hoard: /nonexistent/libhoard.so not found; looked in /nonexistent/libhoard.so\n');
    expect(text.stdout).toMatch(/\nverdict: only glibc ran: nothing to compare it with\n$/);

    const none = await runCli(['replay', '--allocators', 'hoard', '--preload', 'hoard=/nonexistent/libhoard.so', '-o', join(d, 'none.txt'), '--quiet', PERF]);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('heapscope: the trace could be replayed under no allocator: hoard: /nonexistent/libhoard.so not found; looked in /nonexistent/libhoard.so\n');
    expect(readdirSync(d)).toEqual(['report.json']);
  });
});

describe('heapscope trial', () => {
  it('a real program under glibc and jemalloc, twice each: medians and ranges, its peak RSS, the verdict', async () => {
    const json = await runCli(['trial', '--allocators', 'glibc,jemalloc', '--runs', '2', '--format', 'json', '--', WORKLOAD]);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ command: [WORKLOAD], runs: 2 });
    for (const row of report.rows) {
      expect(row).toMatchObject({ failed: false, runs: 2, error: null });
      expect(row.runSeconds).toHaveLength(2);
      expect(row.secondsMin).toBeLessThanOrEqual(row.secondsMax);
      // The workload holds tens of MiB at its peak.
      expect(row.maxRss).toBeGreaterThan(16 * 2 ** 20);
    }
    // jemalloc's arenas and caches hold more than glibc's heap for this workload, in every run.
    expect(report.rows[1].maxRssMin).toBeGreaterThan(report.rows[0].maxRssMax);
    expect(report.verdict).toMatchObject({ leastMemory: 'glibc', memoryFigure: 'maxRss', noiseFrom: 'ranges' });
    expect(['glibc', 'jemalloc']).toContain(report.verdict.choose);

    const text = await runCli(['trial', '--allocators', 'glibc,jemalloc', '--runs', '1', '--', WORKLOAD]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${WORKLOAD.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 run per allocator\n\nallocator +wall time +× glibc +max RSS +× glibc +user +system +runs\nglibc +`));
    expect(text.stdout).toMatch(/\njemalloc +[\d.]+ m?s +\d\.\d\d× +[\d.]+ MiB +1\.\d\d× /);
    expect(text.stdout).toMatch(/\nverdict: choose (glibc|jemalloc)[: ]/);
  });

  it('a command that fails under one allocator: shown failed, with its status, the others measured, exit 1', async () => {
    // Fails only where jemalloc is preloaded: a real failure under one allocator.
    const script = 'case "$LD_PRELOAD" in *jemalloc*) echo "no jemalloc here" >&2; exit 7;; esac';
    const r = await runCli(['trial', '--allocators', 'glibc,jemalloc,mimalloc', '--runs', '2', '--format', 'json', '--', 'sh', '-c', script]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const jemalloc = report.rows[1];
    expect(jemalloc).toMatchObject({ allocator: 'jemalloc', failed: true, exitCode: 7, runs: 0 });
    expect(jemalloc.error).toBe('jemalloc: run 1: the command exited with status 7 (stderr: no jemalloc here)');
    expect(report.rows.filter((row: { failed: boolean }) => !row.failed).map((row: { allocator: string }) => row.allocator)).toEqual(['glibc', 'mimalloc']);
    expect(r.stderr).toBe(
      'heapscope: warning: jemalloc: run 1: the command exited with status 7 (stderr: no jemalloc here)\n' +
        'heapscope: 1 of 3 allocators could not be measured (jemalloc); the report has the others\n',
    );
  });

  it('a command that fails everywhere, or does not exist: one error line, exit 1, no report', async () => {
    const fails = await runCli(['trial', '--allocators', 'glibc,tcmalloc', '--runs', '1', '--', 'sh', '-c', 'exit 3']);
    expect(fails.code).toBe(1);
    expect(fails.stdout).toBe('');
    expect(fails.stderr).toBe('heapscope: the command ran under no allocator: glibc: run 1: the command exited with status 3; tcmalloc: run 1: the command exited with status 3\n');
    const missing = await runCli(['trial', '--allocators', 'glibc', '--runs', '1', '--', '/nonexistent/program']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^heapscope: the command ran under no allocator: glibc: run 1: .*\/nonexistent\/program.*\n$/);
    expect(missing.stderr.split('\n')).toHaveLength(2);
  });

  it('no command, or an unknown allocator: a usage error (exit 2)', async () => {
    const none = await runCli(['trial']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^heapscope: missing required argument 'command'/);
    const unknown = await runCli(['trial', '--allocators', 'hoard', '--', 'true']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('heapscope: unknown allocator "hoard" (known: glibc, jemalloc, tcmalloc, mimalloc; others need --preload hoard=LIBRARY)\n');
  });
});

describe('--help', () => {
  for (const name of ['replay', 'trial']) {
    it(`${name} --help shows its options and examples`, async () => {
      const r = await runCli([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--allocators <list>');
      expect(r.stdout).toContain('--runs <n>');
      expect(r.stdout).toMatch(new RegExp(`Examples:\\n {2}\\$ heapscope ${name} `));
    });
  }
});
