/**
 * How the CLI shows names and stacks of real C++ inputs (fixtures/cxx):
 * `--short-names`, rows cut to a terminal's width, `--keep-bad-frames`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile } from '@heapscope/analyzer';
import { main } from '@heapscope/cli';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';

const BIN = join(FIXTURES, 'cxx', 'bin');
const GPERFTOOLS = join(FIXTURES, 'cxx', 'gperftools', 'cxx.0001.heap');
const JEMALLOC = fixtureFile('cxx/jemalloc', /^jeprof\..*\.heap$/);
const FP = join(FIXTURES, 'cxx', 'perf', 'cxx.fp.perf.txt.gz');

const dir = mkdtempSync(join(tmpdir(), 'heapscope-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The real jemalloc dump of fixtures/cxx with only the stacks that `keep`
 * accepts (given the function names of their frames, leaf first), written
 * to the scratch directory: a dump of the same process in which fewer
 * functions were allocating.
 */
async function keptStacks(name: string, keep: (functions: string[]) => boolean): Promise<string> {
  const { profile } = await loadProfile(JEMALLOC, { symbolize: true, symbols: [BIN], symbolCache: false });
  const { locations, functions, strings } = profile;
  const namesAt = new Map<string, string[]>();
  for (let l = 0; l < locations.length; l++) {
    const address = (BigInt(locations.addressHi[l] >>> 0) << 32n) | BigInt(locations.addressLo[l] >>> 0);
    const names: string[] = [];
    for (let i = locations.lineStart[l]; i < locations.lineStart[l + 1]; i++) names.push(strings[functions.name[locations.lineFunction[i]]]);
    namesAt.set(`0x${address.toString(16)}`, names);
  }
  // A stack's record runs from its `@` line to the next one (or to the mappings).
  const records = readFileSync(JEMALLOC, 'utf8').split(/(?=^@ |^MAPPED_LIBRARIES:)/m);
  const kept = records.filter((r) => !r.startsWith('@ ') || keep(r.slice(2, r.indexOf('\n')).split(' ').flatMap((a) => namesAt.get(a) ?? [])));
  expect(kept.length).toBeLessThan(records.length);
  const path = join(dir, name);
  writeFileSync(path, kept.join(''));
  return path;
}

/** Runs the CLI with a stdout that is a terminal of `columns` characters. */
async function onTerminal(args: string[], columns: number | undefined): Promise<string> {
  let stdout = '';
  const code = await main(args, {
    stdout: { write: (c) => (stdout += String(c)), isTTY: true, columns },
    stderr: { write: () => undefined },
    stdin: Readable.from([]),
  });
  expect(code).toBe(0);
  return stdout;
}

interface Row {
  name: string;
  flat: number;
  cum: number;
}

async function topRows(args: string[]): Promise<Row[]> {
  const r = await runCli(['top', '--format', 'json', '-t', 'alloc_objects', '--symbols', BIN, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { rows: Row[] }).rows;
}

describe('--short-names', () => {
  it('drops argument lists, template arguments and return types, and keeps distinct functions distinct', async () => {
    const full = await topRows([GPERFTOOLS]);
    const short = await topRows(['--short-names', GPERFTOOLS]);
    // The same rows with the same values: only the names change.
    expect(short.map((r) => [r.flat, r.cum]).sort()).toEqual(full.map((r) => [r.flat, r.cum]).sort());
    expect(new Set(short.map((r) => r.name)).size).toBe(short.length);
    const names = short.map((r) => r.name);
    expect(names).toContain('hs::names_site');
    expect(names).toContain('hs::(anonymous namespace)::Polygon::grow');
    expect(names).toContain('std::_Hashtable::_M_emplace'); // its return type (std::pair<…>) and arguments gone
    // Two instantiations of one template: their template arguments keep them apart.
    expect(names).toContain('hs::fill_site<int>');
    expect(names).toContain('hs::fill_site<hs::Record>');
    expect(names).toContain('std::__new_allocator<hs::Small>::allocate');
    expect(names).toContain('std::__new_allocator<hs::Large>::allocate');
    expect(full.map((r) => r.name)).toContain('void hs::fill_site<int>(std::vector<int, std::allocator<int> >&, int)');
    // Argument lists stay only where they are all that tells functions apart: overloads.
    const withArguments = names.filter((n) => /\((?!anonymous namespace\))/.test(n));
    expect(withArguments.length).toBeGreaterThanOrEqual(2);
    for (const name of withArguments) expect(name).toMatch(/ std::operator\+<char, std::char_traits<char>, std::allocator<char> >\(/);
  });

  it('gives a function one short name in every input (a diff of two dumps matches its sites)', async () => {
    const r = await runCli(['diff', '--format', 'json', '-t', 'inuse_objects', '--symbols', BIN, '--short-names', GPERFTOOLS, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: Row[] }).rows;
    // Both dumps hold the same live objects per site.
    for (const site of ['hs::names_site', 'hs::index_site', 'hs::table_site', 'hs::worker_site', 'hs::fill_site<int>']) {
      const row = rows.find((x) => x.name === site);
      expect(row === undefined || Math.abs(row.cum) < 1e-6, `${site}: ${JSON.stringify(row)}`).toBe(true);
    }
  });
});

describe('--short-names over a series read one input at a time (growth, merge)', () => {
  // The first dump allocates through one instantiation of std::__new_allocator<T>::allocate only:
  // on its own its short name would be std::__new_allocator::allocate; with the second dump's
  // other instantiations it keeps its template argument.
  const LARGE = 'std::__new_allocator<hs::Large>::allocate';
  const first = () => keptStacks('large-only.0.m0.heap', (names) => !names.some((n) => n.startsWith('std::__new_allocator<') && !n.startsWith('std::__new_allocator<hs::Large>')));

  it('growth: a site has one name at every point, chosen over all the dumps', async () => {
    const r = await runCli(['growth', '--format', 'json', '--order', 'given', '--symbols', BIN, '--no-symbol-cache', '--short-names', await first(), JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { name: string; values: number[] }[] }).rows;
    expect(rows.map((row) => row.name)).not.toContain('std::__new_allocator::allocate');
    const large = rows.find((row) => row.name === LARGE);
    // 50 objects of hs::Large (1000 B each), live at both points.
    expect(large?.values).toEqual([51200, 51200]);
  });

  it('merge: the merged profile names the function once, as over all inputs', async () => {
    const merged = join(dir, 'merged.pb.gz');
    const r = await runCli(['merge', '-o', merged, '--symbols', BIN, '--no-symbol-cache', '--short-names', await first(), JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const rows = await topRows(['-n', '1000', merged]);
    const names = rows.map((row) => row.name);
    expect(names).not.toContain('std::__new_allocator::allocate');
    expect(names).toContain(LARGE);
  });
});

describe('text reports on a terminal', () => {
  const args = ['top', '-n', '20', '--symbols', BIN, GPERFTOOLS];

  it('cut rows to the terminal width, ending them in …', async () => {
    const text = await onTerminal(args, 100);
    const lines = text.trimEnd().split('\n');
    for (const line of lines) expect([...line].length, line).toBeLessThanOrEqual(100);
    expect(lines.filter((l) => l.endsWith('…')).length).toBeGreaterThan(3);
  });

  it('keep rows whole in pipes, files, JSON and on a terminal of unknown width', async () => {
    const piped = await runCli(args);
    expect(piped.stdout.split('\n').some((l) => l.length > 100)).toBe(true);
    expect(piped.stdout).not.toContain('…');
    expect(await onTerminal(args, undefined)).toBe(piped.stdout);
    const json = await onTerminal(['top', '--format', 'json', '-n', '20', '--symbols', BIN, GPERFTOOLS], 60);
    expect(json).not.toContain('…');
    expect(JSON.parse(json).rows.some((r: Row) => r.name.length > 60)).toBe(true);
  });
});

describe('--keep-bad-frames', () => {
  it('keeps the frames outside every mapping that are otherwise cut, and says which happened', async () => {
    const cut = await runCli(['top', '--format', 'json', '--by', 'stack', '--symbols', BIN, FP]);
    const kept = await runCli(['top', '--format', 'json', '--by', 'stack', '--symbols', BIN, '--keep-bad-frames', FP]);
    expect(cut.code, cut.stderr).toBe(0);
    expect(kept.code, kept.stderr).toBe(0);
    expect(cut.stderr).toMatch(/stack frames outside every executable mapping .* were cut .*--keep-bad-frames keeps them/);
    expect(kept.stderr).not.toMatch(/outside every executable mapping/);
    const stacks = (r: typeof cut) => (JSON.parse(r.stdout) as { rows: Row[] }).rows.map((x) => x.name);
    // A frame in no mapping shows as a bare address (one in a mapping as module+offset).
    const bare = /(^| < )0x[0-9a-f]+/;
    expect(stacks(cut).some((s) => bare.test(s))).toBe(false);
    expect(stacks(kept).some((s) => bare.test(s))).toBe(true);
  });
});
