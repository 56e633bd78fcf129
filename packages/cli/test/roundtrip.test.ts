/**
 * Every importer's inputs through the same round trips (the table is
 * `importerInputs` in packages/testkit/src/inputs.ts: the fixtures,
 * the shared corpus when present, hand-written Android samples):
 *
 * - → pprof → heapscope reads it back (`info`, `top` as JSON) with the same
 *   sample types, the same totals for every type and the same top rows, and
 *   as a model with the same samples, threads, stack depths, addresses and
 *   facts (pprof values are integers: the writer rounds so that each total
 *   is the exact total rounded, every value by less than 1);
 * - → pprof → the real `go tool pprof -top`, every sample type: the same
 *   total and the same functions with the same flat and cum values as
 *   heapscope's `top` on the original input — and, for the fixtures with
 *   recorded jeprof/google-pprof output, those tools' numbers to within the
 *   rounding (they truncate the unsampled estimates, pprof's integers are
 *   them rounded: see docs/cli.md, "Whole objects");
 * - → speedscope → valid against the schema the speedscope package ships,
 *   one profile per sample type, each weighing the type's total;
 * - and the pprof file as an input itself: → pprof again (the same file
 *   content) and → speedscope.
 *
 * go tool pprof runs once per file (its interactive shell, one `top` per
 * sample type), with `-symbolize=none` and a private HOME, GOCACHE and
 * PPROF_TMPDIR, so it never reaches the network or the user's files. It
 * applies the file's `drop_frames` (the allocator entry points), which is
 * how it finds the same call sites as heapscope and jeprof.
 */
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIntegrity, importers, loadSnapshot, type HeapProfile } from '@heapscope/parser';
import { diffProfiles, isAllocatorFunction, readInput, top, type TopReport } from '@heapscope/analyzer';
import { encodePprof } from '../src/render/pprof.js';
import { runCli } from './run-cli.js';
import { validateSpeedscope } from './speedscope-schema.js';
import { importerInputs, type ImporterInput } from '@heapscope/testkit/inputs';
import { FIXTURES, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { HAVE_GO, WORKLOAD_FUNCTIONS, goEnv, goPprofTops, readReferenceText, type GoTop, type ReferenceRow } from '@heapscope/testkit/reference-tools';

corpusSkipNote();
if (!HAVE_GO) console.warn('[heapscope tests] `go` not found (apt-get install golang-go): the go tool pprof checks are skipped');

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-roundtrip-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const inputs = importerInputs(join(scratch, 'hand-written'));

/** What `info --format json` says of one input. */
interface Info {
  format: string;
  sampleTypes: string[];
  defaultSampleType: string;
  totals: Record<string, number>;
}

/** Runs the CLI and fails the test with its stderr when it does not exit 0. */
async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`heapscope ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * `info` and `top` (every sample type) of a file, as JSON. With `loaded`
 * (the file as `readInput` reads it, for inputs not symbolized) only the
 * default type's `top` runs through the CLI: it is checked to equal the
 * analyzer's `top` on `loaded`, which then gives the other types, so a
 * million-event trace is not accumulated once per sample type.
 */
async function readReports(path: string, symbolArgs: string[], loaded?: () => Promise<HeapProfile>): Promise<{ info: Info; tops: Map<string, TopReport> }> {
  const info = (JSON.parse(await cli(['info', '--format', 'json', ...symbolArgs, path])) as { inputs: Info[] }).inputs[0];
  const tops = new Map<string, TopReport>();
  const viaCli = async (type: string) => {
    const { warnings: _, ...report } = JSON.parse(await cli(['top', '--format', 'json', '-t', type, ...symbolArgs, path])) as TopReport & { warnings: unknown };
    return report as TopReport;
  };
  if (!loaded) {
    for (const type of info.sampleTypes) tops.set(type, await viaCli(type));
    return { info, tops };
  }
  const profile = await loaded();
  // JSON, as the CLI prints it: the same numbers after a round trip through text.
  const viaAnalyzer = (type: string) => JSON.parse(JSON.stringify(top([profile], { sampleType: type }))) as TopReport;
  expect(await viaCli(info.defaultSampleType)).toEqual(viaAnalyzer(info.defaultSampleType));
  for (const type of info.sampleTypes) tops.set(type, viaAnalyzer(type));
  return { info, tops };
}

/** Each step once per input, shared by its tests (a big trace takes a while to accumulate). */
function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}

/** Within half a unit (pprof rounds to integers), and a relative 1e-9 for sums of fractions. */
const closeTotal = (a: number, b: number) => Math.abs(a - b) <= 0.5 + 1e-9 * Math.abs(b);

/**
 * Rows that name no function: heapscope shows what it could not symbolize
 * as `module+0xoffset` (or the bare address; the pprof file holds return
 * addresses minus 1, so the offset read back differs by one) and samples
 * without a frame outside the allocator as `(no stack)`; pprof prints
 * `[module]`, `<unknown>` or the address, shows no row for a sample without
 * frames, and keeps the allocator frames of a stack that has nothing else
 * (its `drop_frames` never removes a stack's last frames). Such rows are
 * not compared one by one: with the totals and every named row equal, their
 * sum is equal too.
 */
const unnamedHeapscope = (name: string) => /^0x[0-9a-f]+$|\+0x[0-9a-f]+$|^\(no stack\)$/.test(name);
const unnamedGo = (name: string) => /^0x[0-9a-f]+$|^\[.*\]$|^<unknown>$/.test(name) || isAllocatorFunction(name);

/**
 * Compares rows by function: every row `want` names has the same flat and
 * cum in `have` (within `slack`: the rounding to integers) or is 0 and
 * missing (pprof leaves out rows whose flat and cum are 0); every row only
 * `have` has is unnamed.
 */
function compareRows(what: string, have: readonly ReferenceRow[], want: readonly ReferenceRow[], slack: number, unnamed: (name: string) => boolean, text = ''): void {
  const near = (a: number, b: number) => Math.abs(a - b) <= slack + 1e-9 * Math.abs(b);
  const haveRows = new Map(have.map((r) => [r.name, r]));
  for (const row of want) {
    if (unnamedHeapscope(row.name)) continue;
    const theirs = haveRows.get(row.name);
    if (!theirs) {
      expect(near(row.flat, 0) && near(row.cum, 0), `${what}: ${row.name} (flat ${row.flat}, cum ${row.cum}) is missing${text ? `:\n${text}` : ''}`).toBe(true);
      continue;
    }
    expect(near(theirs.flat, row.flat), `${what}: ${row.name} flat ${theirs.flat}, want ${row.flat}`).toBe(true);
    expect(near(theirs.cum, row.cum), `${what}: ${row.name} cum ${theirs.cum}, want ${row.cum}`).toBe(true);
  }
  const named = new Set(want.map((r) => r.name));
  for (const row of have) {
    if (!named.has(row.name)) expect(unnamed(row.name), `${what}: ${row.name} (flat ${row.flat}) is not in heapscope's top${text ? `:\n${text}` : ''}`).toBe(true);
  }
}

/** A sample's thread key, or null. */
const threadOf = (p: HeapProfile, i: number) => (p.samples.thread[i] >= 0 ? p.threads[p.samples.thread[i]] : null);

describe('the inputs', () => {
  it('cover every importer of heap profiles and traces (pprof: the files heapscope writes from the others)', () => {
    const covered = new Set([...inputs.map((input) => input.format), 'pprof']);
    // Allocator statistics are not profiles: convert refuses them (diagnose reads them).
    expect(importers.filter((i) => i.kind !== 'stats' && !covered.has(i.id)).map((i) => i.id)).toEqual([]);
  });
  it('include every fixture dump with reference-tool output (jemalloc, gperftools)', () => expect(inputs.filter((i) => i.reference).length).toBeGreaterThanOrEqual(18));
  it.skipIf(!HAVE_CORPUS)('include the shared corpus', () => expect(inputs.filter((i) => i.origin === 'corpus').length).toBeGreaterThanOrEqual(26));
});

describe('pprof round trip of signed values', () => {
  it('keeps a diff (negative values, as pprof int64) and its labels', async () => {
    const [a, b] = [join(FIXTURES, 'gperftools', 'workload.0001.heap'), join(FIXTURES, 'gperftools', 'workload.0005.heap')];
    // Newer minus older, and older minus newer: growth and shrinkage.
    for (const [base, input] of [
      [a, b],
      [b, a],
    ]) {
      const diff = diffProfiles(await loadSnapshot(base), await loadSnapshot(input));
      const out = join(scratch, 'diff.pb.gz');
      writeFileSync(out, encodePprof(diff));
      const back = await loadSnapshot(out);
      expect(checkIntegrity(back)).toEqual([]);
      diff.sampleTypes.forEach((t, i) => expect(Math.abs(back.total(back.sampleTypeIndex(t.type)) - diff.total(i))).toBeLessThanOrEqual(0.5));
      const values = back.samples.values[back.sampleTypeIndex('inuse_space')];
      expect(Math.min(...values) < 0 || Math.max(...values) > 0).toBe(true);
    }
  });
});

describe.each(inputs.map((input, n) => [input.name, input, n] as const))('%s', (_, input: ImporterInput, n) => {
  const pprof = join(scratch, `${n}.pb.gz`);
  const converted = lazy(() => cli(['convert', '--to', 'pprof', ...input.symbolArgs, '-o', pprof, input.path]));
  const original = lazy(() => readReports(input.path, input.symbolArgs, input.symbolArgs.includes('--no-symbolize') ? async () => (await model()).original : undefined));
  // The pprof file carries its functions: nothing left to symbolize.
  const back = lazy(async () => (await converted(), readReports(pprof, ['--no-symbolize'])));

  it(`is read as ${input.format}; → pprof → heapscope: same sample types, totals and top rows`, async () => {
    const { info, tops } = await original();
    expect(info.format).toBe(input.format);
    const got = await back();
    expect(got.info.format).toBe('pprof');
    expect(got.info.sampleTypes).toEqual(info.sampleTypes);
    expect(got.info.defaultSampleType).toBe(info.defaultSampleType);
    for (const type of info.sampleTypes) {
      expect(closeTotal(got.info.totals[type], info.totals[type]), `${type}: ${got.info.totals[type]} vs ${info.totals[type]}`).toBe(true);
      const want = tops.get(type)!;
      const have = got.tops.get(type)!;
      expect(have.unit).toBe(want.unit);
      expect(closeTotal(have.total, want.total)).toBe(true);
      // The same call sites with the same values, within the rounding of their samples.
      compareRows(`${type} (read back)`, have.rows, want.rows, await roundingSlack(type), unnamedHeapscope);
    }
  });

  const model = lazy(async () => {
    await converted();
    return { original: (await readInput(input.path)).profile, back: await loadSnapshot(pprof) };
  });
  /** How far a function's value may move when each sample's value is rounded: 0 for integers, else the number of samples. */
  const roundingSlack = async (type: string) => {
    const { original } = await model();
    const column = original.samples.values[original.sampleTypeIndex(type)];
    return column.every(Number.isInteger) ? 1e-6 : original.samples.length;
  };

  it('→ pprof → heapscope: same samples, threads, stack depths, addresses and facts', async () => {
    const { original, back } = await model();
    expect(checkIntegrity(back)).toEqual([]);
    expect(back.meta.format).toBe('pprof');
    expect(back.sampleTypes).toEqual(original.sampleTypes);
    expect(back.samples.length).toBe(original.samples.length);
    // Threads travel as sample labels: each sample keeps its thread (threads without samples are not written).
    for (let i = 0; i < original.samples.length; i++) expect(threadOf(back, i)).toEqual(threadOf(original, i));
    expect(back.meta.sampling).toEqual(original.meta.sampling);
    expect(back.meta.sizeKind).toBe(original.meta.sizeKind);
    expect(back.meta.pid).toBe(original.meta.pid);
    expect(back.meta.dumpSeq).toBe(original.meta.dumpSeq);
    // The period is bytes for heap profiles, the samples themselves for others (perf CPU samples).
    const pb = Profile.decode(gunzipSync(readFileSync(pprof)));
    const heap = original.sampleTypes.some((t) => /^(inuse|alloc)_/.test(t.type));
    const periodType = [pb.stringTable.strings[Number(pb.periodType!.type)], pb.stringTable.strings[Number(pb.periodType!.unit)]];
    expect(periodType).toEqual(heap ? ['space', 'bytes'] : [original.defaultSampleType, original.sampleTypes.find((t) => t.type === original.defaultSampleType)!.unit]);
    // Each sample keeps its stack depth.
    for (let i = 0; i < original.samples.length; i++) {
      expect(back.stackLocations(back.samples.stack[i]).length).toBe(original.stackLocations(original.samples.stack[i]).length);
    }
    // Addresses: the original's, minus 1 for return addresses (as pprof stores them).
    const minus = original.meta.returnAddresses ? 1n : 0n;
    const leaf = (p: HeapProfile, i: number) => p.stackLocations(p.samples.stack[i])[0];
    for (let i = 0; i < original.samples.length; i++) {
      const l = leaf(original, i);
      if (l === undefined) continue;
      const a = original.address(l);
      expect(back.address(leaf(back, i))).toBe(a === 0n ? 0n : a - minus);
    }
  });

  it.skipIf(!HAVE_GO)('→ pprof → go tool pprof -top: same totals and functions as heapscope top, every sample type', async () => {
    const { info, tops } = await original();
    await converted();
    const go = goPprofTops(pprof, info.sampleTypes, goEnv(scratch));
    const fromPprof = (await back()).tops;
    const file = (await model()).back;
    for (const type of info.sampleTypes) {
      const theirs = go.get(type)!;
      // pprof's "total" is the sum of the samples' absolute values (jemalloc's unattributed remainders can be
      // negative); it "accounts for" the sum of its rows' flat values, which leaves out samples without frames.
      let absolute = 0;
      let framed = 0;
      const column = file.samples.values[file.sampleTypeIndex(type)];
      column.forEach((v, i) => {
        absolute += Math.abs(v);
        if (file.stackLocations(file.samples.stack[i]).length > 0) framed += v;
      });
      expect(closeTotal(absolute, info.totals[type]) || column.some((v) => v < 0), `${type}: total ${absolute} in the file, heapscope's total ${info.totals[type]}`).toBe(true);
      expect(theirs.total, `${type}: go tool pprof's total`).toBe(absolute);
      expect(theirs.shown, `${type}: go tool pprof's rows`).toBe(framed);
      // The same integers as heapscope reads from the file, and within the rounding of the original's values.
      compareRows(`${type} (pprof file)`, theirs.rows, fromPprof.get(type)!.rows, 1e-6, unnamedGo, theirs.text);
      compareRows(`${type} (original)`, theirs.rows, tops.get(type)!.rows, await roundingSlack(type), unnamedGo, theirs.text);
      if (input.reference) checkReference(input, type, theirs);
    }
  });

  it('→ speedscope: valid against speedscope\'s schema, one profile per sample type weighing its total', async () => {
    const { info, tops } = await original();
    const out = join(scratch, `${n}.speedscope.json`);
    await cli(['convert', '--to', 'speedscope', ...input.symbolArgs, '-o', out, input.path]);
    checkSpeedscope(JSON.parse(readFileSync(out, 'utf8')), info, tops);
  });

  it('as a pprof input: → pprof again gives the same totals, → speedscope is valid', async () => {
    await converted();
    const { info, tops } = await back();
    const again = join(scratch, `${n}.again.pb.gz`);
    await cli(['convert', '--to', 'pprof', '-o', again, pprof]);
    const second = (JSON.parse(await cli(['info', '--format', 'json', again])) as { inputs: Info[] }).inputs[0];
    expect(second.sampleTypes).toEqual(info.sampleTypes);
    expect(second.totals).toEqual(info.totals);
    const out = join(scratch, `${n}.pprof.speedscope.json`);
    await cli(['convert', '--to', 'speedscope', '-o', out, pprof]);
    checkSpeedscope(JSON.parse(readFileSync(out, 'utf8')), info, tops);
  });
});

/** A speedscope file heapscope wrote: schema-valid, one profile per sample type, each summing to that type's total. */
function checkSpeedscope(file: { profiles: { name: string; unit: string; endValue: number; weights: number[] }[]; activeProfileIndex: number }, info: Info, tops: Map<string, TopReport>): void {
  expect(validateSpeedscope(file)).toEqual([]);
  expect(file.profiles.length).toBe(info.sampleTypes.length);
  info.sampleTypes.forEach((type, i) => {
    const profile = file.profiles[i];
    expect(profile.name.startsWith(type)).toBe(true);
    expect(profile.unit).toBe(tops.get(type)!.unit === 'bytes' ? 'bytes' : 'none');
    const sum = profile.weights.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(profile.endValue, 3);
    // Every call path's net value is ≥ 0 here (jemalloc's negative remainders are smaller than their stack's thread rows): all are drawn.
    expect(closeTotal(sum, info.totals[type]), `${type}: speedscope ${sum}, total ${info.totals[type]}`).toBe(true);
  });
  expect(file.profiles[file.activeProfileIndex].name.startsWith(info.defaultSampleType)).toBe(true);
}

/**
 * go tool pprof on heapscope's pprof agrees with the reference tool on the
 * original dump (its recorded `--text` output): the total, the workload's
 * functions, and every call site's flat value, whatever the library frames
 * are named — to within the rounding: the reference tools truncate the
 * unsampled estimates, pprof's integers round them (the total to the
 * nearest, a row by the sum of its samples' roundings), so a total may be
 * one more than the tool's and a row a little more or less.
 */
function checkReference(input: ImporterInput, type: string, go: GoTop): void {
  const { tool, golden } = input.reference!;
  const reference = readReferenceText(readFileSync(golden(type), 'utf8'));
  const close = (a: number, b: number, slack = 1.5) => Math.abs(a - b) <= slack + 1e-9 * Math.abs(b);
  expect(close(go.total, reference.total), `${type} total: go tool pprof ${go.total}, ${tool} ${reference.total}`).toBe(true);
  for (const fn of WORKLOAD_FUNCTIONS) {
    const theirs = reference.rows.find((row) => row.name === fn);
    const mine = go.rows.find((row) => row.name === fn);
    if (!theirs) {
      expect(mine === undefined || (close(mine.flat, 0) && close(mine.cum, 0)), `${type}: ${fn} only in go tool pprof`).toBe(true);
      continue;
    }
    expect(mine, `${type}: ${fn} missing from go tool pprof -top:\n${go.text}`).toBeDefined();
    expect(close(mine!.flat, theirs.flat, 3), `${type}: ${fn} flat ${mine!.flat} vs ${tool} ${theirs.flat}`).toBe(true);
    expect(close(mine!.cum, theirs.cum, 3), `${type}: ${fn} cum ${mine!.cum} vs ${tool} ${theirs.cum}`).toBe(true);
  }
  const flats = (rows: ReferenceRow[]) => rows.map((row) => row.flat).filter((v) => Math.abs(v) >= 1).sort((a, b) => a - b);
  const mineFlats = flats(go.rows);
  const theirFlats = flats(reference.rows);
  expect(mineFlats.length, `${type}: ${go.text}`).toBe(theirFlats.length);
  mineFlats.forEach((v, i) => expect(close(v, theirFlats[i], 3), `${type}: flat ${v} vs ${theirFlats[i]}`).toBe(true));
}
