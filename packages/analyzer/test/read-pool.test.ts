/**
 * Reading many inputs on worker threads (`jobs`, pipeline/read-pool.ts):
 * on real fixture series of every shape (snapshots, traces with windows,
 * allocator statistics, stdin among files), the inputs handed on are the
 * ones reading them one after the other gives — every column, string,
 * warning and shared table — in order; at most `jobs` inputs are read ahead
 * of the caller; the first damaged input in order stops the reading with
 * the error the sequential path gives.
 *
 * The workers run the built reader (packages/analyzer/dist): `pnpm build` first.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { errorData, loadProfiles, readInputs, rebuildError, streamProfiles, type LoadedInput, type ReadInputsOptions } from '@heapscope/analyzer';
import { ParseError } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFiles } from '@heapscope/testkit/inputs';

const JEMALLOC = fixtureFiles('jemalloc/all', /\.heap$/);
const SAMPLED = fixtureFiles('jemalloc/sampled', /\.heap$/);
const GPERFTOOLS = fixtureFiles('gperftools', /\.heap$/);
const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const HEAPTRACK = join(FIXTURES, 'heaptrack', 'heaptrack.workload.19839.zst');
const STATS = [join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml'), join(FIXTURES, 'stats', 'jemalloc', 'leak', 'jemalloc-stats.json.gz')];
const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const MIXED = [...JEMALLOC, PERF, ...GPERFTOOLS, HEAPTRACK, ...STATS, ...SAMPLED];

const dir = mkdtempSync(join(tmpdir(), 'heapscope-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything an input holds, as text: typed arrays element by element, and which tables a trace's profiles share. */
function dump(inputs: readonly LoadedInput[]): string {
  const shared = inputs.map((i) => i.trace && [i.trace.peakProfile, ...i.trace.snapshots.map((s) => s.profile)].map((p) => [p.strings === i.profile.strings, p.stacks === i.profile.stacks, p.locations === i.profile.locations]));
  return JSON.stringify({ inputs, shared }, (_key, value) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}[${Array.from(value as Float64Array).join(',')}]`;
    if (value instanceof RegExp) return String(value);
    return value;
  });
}

async function collect(paths: readonly string[], options: ReadInputsOptions): Promise<LoadedInput[]> {
  const out: LoadedInput[] = [];
  for await (const input of readInputs(paths, options)) out.push(input);
  return out;
}

/** A copy of `source` in the scratch directory, its lines changed by `replace`. */
function damage(source: string, name: string, replace: (lines: string[]) => void): string {
  const lines = readFileSync(source, 'utf8').split('\n');
  replace(lines);
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n'));
  return path;
}
const badStackLine = (lines: string[]) => {
  const at = lines.findIndex((l, i) => i > 10 && l.startsWith('@ '));
  lines[at] = '@ 0x4011z6 0x401234';
};

describe('reading on worker threads', () => {
  it('gives what reading one after the other gives: snapshots, a trace with its windows, allocator statistics — every column, string and warning, in order', async () => {
    const options = { windows: 4 };
    const sequential = dump(await collect(MIXED, { ...options, jobs: 1 }));
    expect(dump(await collect(MIXED, { ...options, jobs: 2 }))).toBe(sequential);
    const few = [...JEMALLOC, ...STATS];
    expect(dump(await collect(few, { jobs: 3 }))).toBe(dump(await collect(few, { jobs: 1 })));
    // The comparison sees a difference where there is one: two inputs swapped.
    const swapped = [GPERFTOOLS[1], GPERFTOOLS[0]];
    expect(dump(await collect(swapped, { jobs: 2 }))).not.toBe(dump(await collect(swapped.reverse(), { jobs: 1 })));
  });

  it('an error crosses from a worker as its kind: a located input error, a system error with its code and path, any other with its name', () => {
    const parse = new ParseError('x.heap', 7, 'bad stack', 'jemalloc', '@ 0xz');
    const system = Object.assign(new Error('EACCES: permission denied, open \'x\''), { code: 'EACCES', syscall: 'open', path: 'x', errno: -13 });
    const other = new RangeError('too big');
    const back = (e: Error) => rebuildError(structuredClone(errorData(e)));
    expect(back(parse)).toBeInstanceOf(ParseError);
    expect(back(parse)).toMatchObject({ message: parse.message, file: 'x.heap', line: 7, reason: 'bad stack', format: 'jemalloc', text: '@ 0xz' });
    expect(back(system)).toMatchObject({ message: system.message, code: 'EACCES', syscall: 'open', path: 'x', errno: -13 });
    expect(back(other)).toMatchObject({ name: 'RangeError', message: 'too big', stack: other.stack });
  });

  it('zstd decompressed on a thread of its own inside a reading worker, and with a part of the accumulation left out: what this thread reads without either', async () => {
    const raw = join(FIXTURES, 'heaptrack', 'heaptrack.workload.19878.raw.zst');
    const sequential = dump(await collect([HEAPTRACK, raw, PERF], { jobs: 1, windows: 2, parts: ['sizes'] }));
    expect(dump(await collect([HEAPTRACK, raw, PERF], { jobs: 2, windows: 2, parts: ['sizes'], zstdOnThread: true }))).toBe(sequential);
    expect(dump(await collect([HEAPTRACK, raw, PERF], { jobs: 2, windows: 2, zstdOnThread: true }))).not.toBe(sequential);
  });

  it('a trace read on a worker keeps its profiles sharing their tables, as the accumulator made them', async () => {
    const [, trace] = await collect([JEMALLOC[0], PERF], { jobs: 2, windows: 3 });
    const t = trace.trace!;
    expect(t.peakProfile.stacks).toBe(t.profile.stacks);
    expect(t.snapshots[1].profile.strings).toBe(t.profile.strings);
  });

  it('loadProfiles: symbolized by the one symbolizer, and short names chosen over all inputs, the same with any jobs', async () => {
    const options = { symbolize: true, symbols: [WORKLOAD], symbolCache: false, shortNames: true };
    const sequential = dump(await loadProfiles([...JEMALLOC, ...GPERFTOOLS], { ...options, jobs: 1 }));
    expect(dump(await loadProfiles([...JEMALLOC, ...GPERFTOOLS], { ...options, jobs: 2 }))).toBe(sequential);
    expect(sequential).toContain('"leak_site"');
    // Handed on one at a time, the same inputs with the same names.
    for (const jobs of [1, 2]) {
      const streamed: LoadedInput[] = [];
      for await (const input of streamProfiles([...JEMALLOC, ...GPERFTOOLS], { ...options, jobs })) streamed.push(input);
      expect(dump(streamed), `jobs ${jobs}`).toBe(sequential);
    }
  });

  it('standard input among files is read on this thread, in its place', async () => {
    const stdin = () => Readable.from([readFileSync(GPERFTOOLS[2])]);
    const paths = [GPERFTOOLS[0], GPERFTOOLS[1], '-', GPERFTOOLS[3]];
    const sequential = dump(await collect(paths, { jobs: 1, stdin: stdin() }));
    expect(dump(await collect(paths, { jobs: 2, stdin: stdin() }))).toBe(sequential);
  });

  it('reads at most `jobs` inputs ahead of the caller: a long series holds jobs inputs and the one the caller has', async () => {
    const series = [...JEMALLOC, ...SAMPLED, ...GPERFTOOLS];
    for (const jobs of [1, 2, 3]) {
      let started = 0;
      let mostAhead = 0;
      let handed = 0;
      for await (const _input of streamProfiles(series, { jobs, onStart: () => started++ })) {
        handed++;
        // The caller is slow: the workers, had they no bound, would read on.
        await new Promise((resolve) => setTimeout(resolve, 20));
        mostAhead = Math.max(mostAhead, started - handed);
      }
      expect(handed).toBe(series.length);
      expect(mostAhead, `jobs ${jobs}`).toBe(jobs === 1 ? 0 : jobs);
    }
  });

  it('a damaged input in the middle of a series: the same error, after the same inputs, whichever input fails first on the workers', async () => {
    const bad = damage(JEMALLOC[3], 'bad.3.m3.heap', badStackLine);
    // A later input fails too, and faster (it is small): the error is still the first in order.
    const laterBad = join(dir, 'later.heap');
    writeFileSync(laterBad, 'heap_v2/524288\n  t*: 1: 2 [0: 0]\n@ 0xnothex\n');
    const paths = [...JEMALLOC.slice(0, 3), bad, JEMALLOC[4], laterBad, ...SAMPLED];
    const outcome = async (jobs: number) => {
      const handed: string[] = [];
      try {
        for await (const input of readInputs(paths, { jobs })) handed.push(input.profile.meta.file);
      } catch (error) {
        return { handed, error: error as Error };
      }
      throw new Error('no error');
    };
    const sequential = await outcome(1);
    expect(sequential.error).toBeInstanceOf(ParseError);
    expect(sequential.handed).toEqual(JEMALLOC.slice(0, 3));
    for (const jobs of [2, 3]) {
      const parallel = await outcome(jobs);
      expect(parallel.error).toBeInstanceOf(ParseError);
      expect(parallel.error.message).toBe(sequential.error.message);
      expect(parallel.error.message).toMatch(/^.*bad\.3\.m3\.heap:\d+: /);
      expect(parallel.handed).toEqual(sequential.handed);
    }
  });

  it('a damaged input read on this thread (with jobs 2 the first input goes to the worker, the second is read here): the same error, after the same inputs', async () => {
    const bad = damage(JEMALLOC[1], 'bad.1.m1.heap', badStackLine);
    const paths = [JEMALLOC[0], bad, ...JEMALLOC.slice(2)];
    const outcome = async (jobs: number) => {
      const handed: string[] = [];
      const error = await (async () => {
        for await (const input of readInputs(paths, { jobs })) handed.push(input.profile.meta.file);
      })().then(() => undefined, (e: Error) => e);
      return { handed, kind: error?.constructor.name, message: error?.message };
    };
    const sequential = await outcome(1);
    expect(sequential.kind).toBe('ParseError');
    expect(sequential.message).toMatch(/bad\.1\.m1\.heap:\d+: /);
    expect(sequential.handed).toEqual([JEMALLOC[0]]);
    expect(await outcome(2)).toEqual(sequential);
  });

  it('a missing file: the same located error, as on this thread', async () => {
    const missing = join(dir, 'no-such.heap');
    const paths = [GPERFTOOLS[0], missing, GPERFTOOLS[1]];
    const failure = async (jobs: number) => collect(paths, { jobs }).then(() => undefined, (e: Error) => ({ kind: e.constructor.name, message: e.message }));
    const sequential = await failure(1);
    expect(sequential).toEqual({ kind: 'ParseError', message: `${missing}:1: cannot read input: no such file` });
    expect(await failure(2)).toEqual(sequential);
  });

  it('a caller that stops early stops the workers: their threads are gone once it has; `jobs` readers are jobs − 1 workers and this thread', async () => {
    const threads = () => readdirSync('/proc/self/task').length;
    // A first run starts whatever threads Node starts once (libuv's pool, the platform's).
    for await (const _input of streamProfiles([...GPERFTOOLS], { jobs: 2 })) break;
    const before = threads();
    let during = 0;
    for await (const input of streamProfiles([...JEMALLOC, ...GPERFTOOLS], { jobs: 2 })) {
      expect(input.profile.meta.file).toBe(JEMALLOC[0]);
      during = threads();
      break;
    }
    expect(during).toBe(before + 1);
    expect(threads()).toBe(before);
  });
});
