/**
 * Inputs summed into one result (merge, top, sizes, convert, flamegraph of
 * several inputs) that were recorded differently — other processes,
 * formats, samplings, size kinds — are said to be so, every time; the
 * merged profile records it, and pprof keeps it (with the inputs' own
 * warnings), so `info` of a merged file tells the truth instead of "every
 * allocation recorded (from merged)". A series given one file twice says so.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSnapshot, type MergedInputs } from '@heapscope/parser';
import { encodePprof } from '../src/render/pprof.js';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';

const ALL = fixtureFile('jemalloc/all', /\.f\.heap$/);
const SAMPLED = fixtureFile('jemalloc/sampled', /\.f\.heap$/);
const GPERF = join(FIXTURES, 'gperftools', 'workload.0006.heap');
const pidOf = (path: string) => Number(/jeprof\.(\d+)\./.exec(path)![1]);

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-mixed-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DIFFERENT_PROCESSES = `heapscope: warning: inputs come from 2 different processes (pids ${pidOf(ALL)}, ${pidOf(SAMPLED)})`;
const SAMPLED_DIFFERENTLY = "heapscope: warning: inputs were sampled differently (none, poisson/16384); each input's values were unsampled by its own sampling";
const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('heapscope: warning: '));

async function info(path: string) {
  const r = await runCli(['info', '--format', 'json', '--no-symbolize', path]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).inputs[0];
}

describe('merge says how its inputs differ, and its output keeps it', () => {
  it('prints the warnings it builds (processes, sampling), and info of the merged file says "mixed"', async () => {
    const out = join(scratch, 'two-runs.pb.gz');
    const r = await runCli(['merge', '--no-symbolize', '-o', out, ALL, SAMPLED]);
    expect(r.code, r.stderr).toBe(0);
    expect(warningLines(r.stderr)).toEqual([DIFFERENT_PROCESSES, SAMPLED_DIFFERENTLY]);
    const i = await info(out);
    expect(i.samplingModel).toBe('mixed');
    expect(i.merged).toEqual({
      count: 2,
      formats: ['jemalloc heap_v2'],
      samplings: [
        { model: 'poisson', periodBytes: 1 },
        { model: 'poisson', periodBytes: 16384 },
      ],
      sizeKinds: ['average-usable'],
      pids: [pidOf(ALL), pidOf(SAMPLED)],
    });
    expect(i.warnings.map((w: { message: string }) => `heapscope: warning: ${w.message}`)).toEqual([DIFFERENT_PROCESSES, SAMPLED_DIFFERENTLY]);
    const text = await runCli(['info', '--no-symbolize', out]);
    expect(text.stdout).toMatch(/sampling +mixed: the inputs were sampled differently \(every allocation recorded; Poisson, on average 1 sample per 16\.0 KiB allocated\)/);
    expect(text.stdout).toMatch(/merged +a sum of 2 inputs: jemalloc heap_v2, 2 processes/);
    expect(text.stdout).not.toMatch(/every allocation recorded \(from merged\)/);
  });

  it('a merge of merges knows every input (formats, size kinds, count), whichever way it was grouped', async () => {
    const ab = join(scratch, 'ab.pb.gz');
    const bc = join(scratch, 'bc.pb.gz');
    const abc1 = join(scratch, 'ab-c.pb.gz');
    const abc2 = join(scratch, 'a-bc.pb.gz');
    for (const [out, inputs] of [
      [ab, [ALL, SAMPLED]],
      [bc, [SAMPLED, GPERF]],
      [abc1, [ab, GPERF]],
      [abc2, [ALL, bc]],
    ] as const) {
      const r = await runCli(['merge', '--no-symbolize', '-o', out, ...inputs]);
      expect(r.code, r.stderr).toBe(0);
    }
    const sorted = (m: MergedInputs) => ({ ...m, formats: [...m.formats].sort(), samplings: m.samplings.map((s) => `${s.model}/${s.periodBytes}`).sort(), sizeKinds: [...m.sizeKinds].sort(), pids: [...m.pids].sort() });
    const [one, two] = [await info(abc1), await info(abc2)];
    expect(sorted(one.merged)).toEqual(sorted(two.merged));
    expect(one.merged.count).toBe(3);
    expect(one.merged.formats).toEqual(['jemalloc heap_v2', 'gperftools heapprofile']);
    expect(one.sizeKind).toBe('mixed');
    // A command reading the merged file warns as the merge did.
    const top = await runCli(['top', '--no-symbolize', '--format', 'json', abc1]);
    expect(warningLines(top.stderr)).toContain('heapscope: warning: inputs have different formats (jemalloc heap_v2, gperftools heapprofile)');
    expect(JSON.parse(top.stdout).warnings).toContain('inputs record sizes differently (average-usable, average-requested)');
  });

  it("keeps the inputs' own warnings (a truncated dump stays a truncated dump after a merge)", async () => {
    const text = readFileSync(ALL, 'utf8');
    const cut = join(scratch, 'cut.heap');
    writeFileSync(cut, text.slice(0, text.indexOf('\n@', text.indexOf('\n@') + 1) + 12));
    const own = (await info(cut)).warnings.map((w: { message: string }) => w.message);
    expect(own.length).toBeGreaterThan(0);
    const out = join(scratch, 'with-cut.pb.gz');
    expect((await runCli(['merge', '--no-symbolize', '-o', out, cut, SAMPLED])).code).toBe(0);
    const merged = (await info(out)).warnings.map((w: { message: string }) => w.message);
    for (const w of own) expect(merged).toContain(w);
  });

  it('a heapscope-meta comment with malformed merge facts or warnings is a warning, not a crash', async () => {
    const p = await loadSnapshot(ALL);
    const file = join(scratch, 'crafted.pb.gz');
    const meta = { ...p.meta, merged: { count: 'two', formats: 5 } as unknown as MergedInputs, warnings: [{ message: 7 }] as never };
    writeFileSync(file, encodePprof(p.with({ meta })));
    const i = await info(file);
    expect(i.merged).toBeNull();
    expect(i.warnings.map((w: { message: string }) => w.message)).toEqual([
      'the heapscope-meta comment describes the merged inputs in a form not understood; ignored',
      'the heapscope-meta comment lists warnings in a form not understood; ignored',
    ]);
  });
});

describe('commands that sum several inputs say how they differ', () => {
  it('top, sizes, convert and flamegraph: on stderr, and in JSON warnings', async () => {
    const expected = ['heapscope: warning: inputs have different formats (jemalloc heap_v2, gperftools heapprofile)', 'heapscope: warning: inputs record sizes differently (average-usable, average-requested)'];
    for (const args of [
      ['top'],
      ['sizes'],
      ['convert', '--to', 'collapsed'],
      ['convert', '--to', 'pprof', '-o', join(scratch, 'c.pb.gz')],
      ['flamegraph', '-o', join(scratch, 'f.svg')],
    ]) {
      const r = await runCli([...args, '--no-symbolize', ALL, GPERF]);
      expect(r.code, r.stderr).toBe(0);
      expect(warningLines(r.stderr), args.join(' ')).toEqual(expected);
    }
    for (const command of ['top', 'sizes']) {
      const r = await runCli([command, '--format', 'json', '--no-symbolize', ALL, GPERF]);
      expect(JSON.parse(r.stdout).warnings, command).toEqual(expected.map((l) => l.replace('heapscope: warning: ', '')));
    }
    // convert records it in its output too.
    expect((await info(join(scratch, 'c.pb.gz'))).merged.formats).toEqual(['jemalloc heap_v2', 'gperftools heapprofile']);
  });

  it('inputs that agree get no such warning', async () => {
    // Two dumps of one process: they agree in format and sampling; their sum is said to add up two moments.
    const r = await runCli(['top', '--no-symbolize', ...fixtureFiles('jemalloc/all', /\.m[01]\.heap$/)]);
    expect(r.code, r.stderr).toBe(0);
    expect(warningLines(r.stderr)).toEqual([expect.stringMatching(/^heapscope: warning: 2 inputs are dumps of one process/)]);
    const one = await runCli(['merge', '--no-symbolize', '-o', join(scratch, 'one.pb.gz'), ALL]);
    expect(warningLines(one.stderr)).toEqual([]);
    expect((await info(join(scratch, 'one.pb.gz'))).merged).toBeNull();
  });
});

describe('a series given the same file twice', () => {
  it('growth and diff say so: the same path twice, or two paths of one file', async () => {
    const link = join(scratch, 'same.heap');
    symlinkSync(ALL, link);
    const twice = await runCli(['growth', '--no-symbolize', '--format', 'json', ALL, ALL]);
    expect(twice.code, twice.stderr).toBe(0);
    expect(warningLines(twice.stderr)).toEqual([`heapscope: warning: ${ALL} is given more than once`]);
    expect(JSON.parse(twice.stdout).warnings).toContain(`${ALL} is given more than once`);
    const linked = await runCli(['growth', '--no-symbolize', ALL, link]);
    expect(warningLines(linked.stderr)).toEqual([`heapscope: warning: ${link} and ${ALL} are the same file`]);
    const diff = await runCli(['diff', '--no-symbolize', ALL, link]);
    expect(warningLines(diff.stderr)).toEqual([`heapscope: warning: ${link} and ${ALL} are the same file`]);
    const series = await runCli(['flamegraph', '--growth', '--no-symbolize', '-o', join(scratch, 'g.svg'), ALL, link]);
    expect(warningLines(series.stderr)).toEqual([`heapscope: warning: ${link} and ${ALL} are the same file`]);
  });
});
