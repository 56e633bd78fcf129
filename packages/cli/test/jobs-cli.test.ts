/**
 * `--jobs N`: the commands that read many inputs read them on worker
 * threads, and print what `--jobs 1` (one after the other) prints, byte for
 * byte — reports, warnings and their order, written files, and the one-line
 * error of a damaged input in the middle of a series, with no output left.
 *
 * The command is the built one (dist/heapscope.mjs, `pnpm build`), so the
 * reading worker is the one the bundle ships.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { runProcess, type ProcessResult } from './run-process.js';

const BIN = fileURLToPath(new URL('../dist/heapscope.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'heapscope-jobs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const JEMALLOC = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.heap$/);
const SAMPLED = findFiles(join(FIXTURES, 'jemalloc', 'sampled'), /\.heap$/);
const GPERFTOOLS = findFiles(join(FIXTURES, 'gperftools'), /\.heap$/);
const STATS_RUN = findFiles(join(FIXTURES, 'stats', 'jemalloc', 'leak', 'heap'), /\.heap$/);
const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const PERF_SIZES = join(FIXTURES, 'perf', 'workload.sizes.perf.txt.gz');
const SYMBOLS = ['--symbols', join(FIXTURES, 'bin', 'workload'), '--no-symbol-cache'];

type Run = ProcessResult;

const heapscope = (args: readonly string[]): Promise<Run> => runProcess(process.execPath, [BIN, ...args]);

/** The same command with --jobs 1 and --jobs 2: exit code, stdout and stderr equal. Returns the run. */
async function sameWithJobs(args: readonly string[]): Promise<Run> {
  const [command, ...rest] = args;
  const [one, two] = [await heapscope([command, '--jobs', '1', ...rest]), await heapscope([command, '--jobs', '2', ...rest])];
  expect(two.stderr, args.join(' ')).toBe(one.stderr);
  expect(two.code, args.join(' ')).toBe(one.code);
  expect(two.stdout.equals(one.stdout), `${args.join(' ')}: the same stdout`).toBe(true);
  return one;
}

describe('--jobs 2 prints what --jobs 1 prints', () => {
  it('growth over a series, as JSON and as text, symbolized, with the warnings of sampled and unsampled dumps mixed, in order', async () => {
    const json = await sameWithJobs(['growth', '--format', 'json', ...SYMBOLS, ...JEMALLOC, ...SAMPLED]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout.toString());
    // Two processes: each one's dumps together, in the order given, never interleaved by sequence number.
    expect(report.labels).toEqual([...JEMALLOC, ...SAMPLED]);
    expect(report.rows.map((r: { name: string }) => r.name)).toContain('leak_site');
    expect(report.warnings.join('\n')).toMatch(/2 different processes/);
    const text = await sameWithJobs(['growth', '--symbols', join(dir, 'nowhere'), ...GPERFTOOLS]);
    expect(text.stderr).toMatch(/warning: --symbols \S*nowhere: no such file or directory/);
  });

  it('merge: the same pprof file and summary', async () => {
    const files = [join(dir, 'm1.pb.gz'), join(dir, 'm2.pb.gz')];
    const args = (i: number) => ['merge', '--jobs', String(i + 1), '--format', 'json', '-o', files[i], ...SYMBOLS, ...GPERFTOOLS, ...JEMALLOC];
    const [one, two] = [await heapscope(args(0)), await heapscope(args(1))];
    expect(one.code, one.stderr).toBe(0);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout.toString().replace('m2.pb.gz', 'm1.pb.gz')).toBe(one.stdout.toString());
    expect(readFileSync(files[1]).equals(readFileSync(files[0]))).toBe(true);
  });

  it('diff, top of several, diagnose over a run, churn of two traces', async () => {
    expect((await sameWithJobs(['diff', '--format', 'json', ...SYMBOLS, JEMALLOC[0], JEMALLOC[4]])).code).toBe(0);
    expect((await sameWithJobs(['top', '--format', 'json', ...SYMBOLS, ...SAMPLED])).code).toBe(0);
    expect((await sameWithJobs(['diagnose', '--format', 'json', '--no-symbolize', ...STATS_RUN])).code).toBe(0);
    expect((await sameWithJobs(['churn', '--format', 'json', '--no-symbolize', PERF, PERF_SIZES])).code).toBe(0);
  });
});

describe('a damaged input in the middle of a series', () => {
  const lines = readFileSync(JEMALLOC[2], 'utf8').split('\n');
  lines[lines.findIndex((l, i) => i > 10 && l.startsWith('@ '))] = '@ 0x4011z6 0x401234';
  const bad = join(dir, 'jeprof.24747.2.m2.heap');
  writeFileSync(bad, lines.join('\n'));
  const series = [JEMALLOC[0], JEMALLOC[1], bad, JEMALLOC[3], JEMALLOC[4]];

  it('growth: the same one-line error (exit 1), no report', async () => {
    const r = await sameWithJobs(['growth', '--no-symbolize', ...series]);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^heapscope: \S*jeprof\.24747\.2\.m2\.heap:\d+: [^\n]+\n$/);
  });

  it('merge -o FILE: the same error, and no file', async () => {
    const out = join(dir, 'never.pb.gz');
    const r = await sameWithJobs(['merge', '--no-symbolize', '-o', out, ...series]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^heapscope: \S*jeprof\.24747\.2\.m2\.heap:\d+: [^\n]+\n$/);
    expect(existsSync(out)).toBe(false);
  });
});
