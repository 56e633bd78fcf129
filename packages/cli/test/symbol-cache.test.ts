/**
 * The symbol cache on disk (packages/parser/src/symbolize/disk-cache.ts)
 * holds, per build id, the frames of each address, the function-symbol
 * starts that perf's names are checked against, and the demangled C++ names:
 * a warm cache gives `heapscope top` (text and JSON) byte for byte what a
 * cold one and `--no-symbol-cache` give, on the real C++ and perf fixtures,
 * while reading no symbol table and running no symbolizer or demangler; and a
 * binary rebuilt at the same path is not answered from its old build's
 * entries.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Symbolizer } from '@heapscope/parser';
import { readInput } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { installed } from '@heapscope/testkit/reference-tools';
import { runCli } from './run-cli.js';

const BIN = join(FIXTURES, 'cxx', 'bin');
const CXX_PERF = ['dwarf', 'fp', 'nocallchain', 'nocallchain-ip'].map((n) => join(FIXTURES, 'cxx', 'perf', `cxx.${n}.perf.txt.gz`));
const C_PERF = ['dwarf-worker', 'fp', 'sizes'].map((n) => join(FIXTURES, 'perf', `workload.${n}.perf.txt.gz`));
const CXX_DUMPS = [fixtureFile('cxx/jemalloc', /^jeprof\..*\.heap$/), join(FIXTURES, 'cxx', 'gperftools', 'cxx.0001.heap')];
const HAVE_GXX = installed('g++', ['--version']);

const dir = mkdtempSync(join(tmpdir(), 'heapscope-symbol-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let caches = 0;
const freshCache = () => join(dir, `cache-${caches++}`);

/** `heapscope ARGS` with the symbol cache in `cache` (null: `--no-symbol-cache`); stdout and stderr together. */
async function run(args: string[], cache: string | null): Promise<string> {
  const saved = process.env.HEAPSCOPE_CACHE_DIR;
  process.env.HEAPSCOPE_CACHE_DIR = cache ?? join(dir, 'unused');
  try {
    const r = await runCli(cache === null ? [...args.slice(0, 1), '--no-symbol-cache', ...args.slice(1)] : args);
    expect(r.code, r.stderr).toBe(0);
    return `${r.stdout}\n--- stderr\n${r.stderr}`;
  } finally {
    process.env.HEAPSCOPE_CACHE_DIR = saved;
  }
}

/** `top` and `top --format json` of `input`: the same with no cache, a cold cache and that cache warm. */
async function expectSameOutputs(input: string, extra: string[]): Promise<string[]> {
  const cache = freshCache();
  const outputs: string[] = [];
  for (const format of ['text', 'json']) {
    const args = ['top', '--format', format, ...extra, input];
    const none = await run(args, null);
    const cold = await run(args, cache);
    const warm = await run(args, cache);
    expect(cold).toBe(none);
    expect(warm).toBe(none);
    outputs.push(none);
  }
  return outputs;
}

/** The directory `name` in the scratch directory, holding copies of fixtures/cxx/bin's files (or of `files`, renamed). */
function binDir(name: string, files: Record<string, string> = { 'cxx-workload': join(BIN, 'cxx-workload'), 'libhsshapes.so': join(BIN, 'libhsshapes.so') }): string {
  const out = join(dir, name);
  mkdirSync(out, { recursive: true });
  for (const [to, from] of Object.entries(files)) copyFileSync(from, join(out, to));
  return out;
}

describe('symbol cache: the same output with a cold cache, a warm cache and --no-symbol-cache', () => {
  for (const input of CXX_PERF) {
    it(`perf capture of the C++ workload ${input.split('/').pop()}, with and without --symbols, and against another build`, async () => {
      await expectSameOutputs(input, []);
      await expectSameOutputs(input, ['--symbols', BIN]);
      // The C workload under the C++ program's name: perf's symbols are elsewhere in it.
      const other = binDir('other-build', { 'cxx-workload': join(FIXTURES, 'bin', 'workload') });
      await expectSameOutputs(input, ['--symbols', other]);
    });
  }
  for (const input of C_PERF) {
    it(`perf capture of the C workload ${input.split('/').pop()}`, async () => {
      await expectSameOutputs(input, []);
      await expectSameOutputs(input, ['--symbols', join(FIXTURES, 'bin', 'workload')]);
    });
  }
  for (const input of CXX_DUMPS) {
    it(`heap dump of the C++ workload ${input.split('/').pop()}`, async () => {
      await expectSameOutputs(input, ['--symbols', BIN]);
    });
  }

  it('a warm cache reads no symbol table and runs no symbolizer or demangler on a perf capture of C++ code', async () => {
    const { profile } = await readInput(CXX_PERF[0]);
    const cacheDir = freshCache();
    const cold = new Symbolizer({ cacheDir });
    const first = await cold.symbolize(profile, { symbolPaths: [BIN] });
    // The cold run did all three (else this test would prove nothing).
    expect(cold.stats.symbolTablesRead).toBeGreaterThan(0);
    expect(cold.stats.demanglerRuns).toBe(1);
    const kinds = readdirSync(join(cacheDir, 'symbols')).map((f) => f.replace(/^[0-9a-f]+\./, ''));
    expect(kinds).toEqual(expect.arrayContaining(['symtab.starts.json', 'c++filt.names.json']));
    const warm = new Symbolizer({ cacheDir });
    const second = await warm.symbolize(profile, { symbolPaths: [BIN] });
    expect(warm.stats).toMatchObject({ symbolTablesRead: 0, externalRuns: 0, demanglerRuns: 0 });
    expect(second.profile.strings).toEqual(first.profile.strings);
    expect(second.profile.functions).toEqual(first.profile.functions);
    expect(second.profile.locations).toEqual(first.profile.locations);
    expect({ ...second.report, binaries: second.report.binaries.map((b) => ({ ...b, symbolTables: [] })) })
      .toEqual({ ...first.report, binaries: first.report.binaries.map((b) => ({ ...b, symbolTables: [] })) });
  });

  it.skipIf(!HAVE_GXX)(`a binary rebuilt at the same path is not answered from the old build's entries${HAVE_GXX ? '' : ' (skipped: no g++)'}`, async () => {
    const bin = binDir('rebuilt');
    const cache = freshCache();
    const args = (format: string) => ['top', '--format', format, '--symbols', bin, CXX_PERF[0]];
    const before = [await run(args('text'), cache), await run(args('json'), cache)];
    expect(await run(args('text'), cache)).toBe(before[0]);
    expect(before[0]).not.toMatch(/keep perf's names: its symbols are elsewhere/);
    // The library rebuilt from the same source at another optimization level, at the same path:
    // another build id, and every function somewhere else.
    execFileSync('g++', ['-O0', '-g', '-fPIC', '-shared', '-o', join(bin, 'libhsshapes.so'), join(FIXTURES, 'src', 'cxx', 'shapes.cc')]);
    const none = [await run(args('text'), null), await run(args('json'), null)];
    expect(none[0]).toMatch(/libhsshapes\.so: \d+ locations? keeps? perf's names: its symbols are elsewhere/);
    expect(await run(args('text'), cache)).toBe(none[0]);
    expect(await run(args('json'), cache)).toBe(none[1]);
    expect(none[1]).not.toBe(before[1]);
  });
});
