/**
 * The conventions every command follows, checked over the whole command
 * table (so a new command is checked as soon as it is an entry):
 * - every option that takes a count or a byte amount rejects a bad value
 *   with one usage-error line and exit 2 (`diff -n abc`, `peak -n abc`,
 *   `sizes -n abc`, `--max-stacks x`, `--min-growth lots`, …), before any
 *   input is read;
 * - `--format json` is honoured (one JSON document on stdout) or refused
 *   (exit 2) by every command; a command that writes a file prints a JSON
 *   summary of what it wrote (path, format, bytes, profiles, totals,
 *   warnings), which needs `-o FILE`;
 * - each input's warnings are printed once per distinct message, with its
 *   count; the run's own once each; `--quiet` keeps them off stderr while
 *   JSON still lists them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile, fixtureFiles } from '@heapscope/testkit/inputs';
import { COMMANDS } from '../src/commands/index.js';
import { Run } from '../src/run.js';
import { runCli } from './run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-conventions-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const S = ['--symbols', WORKLOAD];
const DUMP = fixtureFile('jemalloc/all', /\.f\.heap$/);
const SERIES = fixtureFiles('jemalloc/all', /\.m\d+\.heap$/);
const TRACE = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const STATS = join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml');

/** Inputs each command runs on successfully. */
const INPUTS: Record<string, string[]> = {
  info: [DUMP],
  top: [DUMP],
  sizes: [DUMP],
  growth: SERIES,
  churn: [DUMP],
  diff: [SERIES[0], SERIES[1]],
  waste: [join(FIXTURES, 'gperftools', 'workload.0005.heap')],
  peak: [TRACE],
  diagnose: [STATS],
  merge: [DUMP],
  convert: [DUMP],
  flamegraph: [DUMP],
  view: [DUMP],
  replay: ['--allocators', 'glibc', TRACE],
  trial: ['--allocators', 'glibc', '--runs', '1', '--', WORKLOAD],
  report: [DUMP],
  // The store's commands: a store this file's first ingest creates (each run of ingest writes the same profile again: present).
  ingest: ['--db', join(scratch, 'conventions.duckdb'), DUMP],
  sql: ['--db', join(scratch, 'conventions.duckdb'), 'SELECT count(*) AS n FROM profiles'],
};

/** What a command needs besides its inputs to run (its output's name). */
const OUTPUT: Record<string, (name: string) => string[]> = {
  merge: (name) => ['-o', join(scratch, `${name}.pb.gz`)],
  convert: (name) => ['--to', 'collapsed', '-o', join(scratch, `${name}.collapsed`)],
  flamegraph: (name) => ['-o', join(scratch, `${name}.svg`)],
  report: (name) => ['-o', join(scratch, `${name}.html`)],
};

/** The options a command has of `extra` (`--symbols …` where it reads inputs). */
const ifItHas = (name: string, extra: string[]) => (COMMANDS.find((c) => c.name === name)!.options.some((o) => o.long === extra[0]) ? extra : []);

beforeAll(async () => {
  const r = await runCli(['ingest', ...S, ...INPUTS.ingest]);
  expect(r.code, r.stderr).toBe(0);
});

describe('options are checked alike in every command', () => {
  it('every command of the table has inputs here', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(Object.keys(INPUTS).sort());
  });

  for (const spec of COMMANDS) {
    // Options whose value is checked: counts, byte amounts, choices (`--symbols` takes any path).
    const checked = spec.options.filter((o) => o.parseArg !== undefined && o.required && o.long !== '--symbols');
    it(`${spec.name}: a bad count or byte amount is a usage error (exit 2) naming the option`, async () => {
      expect(checked.length, `${spec.name} has options that take numbers`).toBeGreaterThan(0);
      for (const option of checked) {
        const flag = option.short ?? option.long!;
        // An empty value is 0 to --port, which takes it; 0 is a count's bad value (checked for -n below), but a size of 0 is one.
        for (const bad of option.long === '--port' ? ['abc', '-3'] : ['abc', '-3', '']) {
          const r = await runCli([spec.name, flag, bad, ...(OUTPUT[spec.name]?.(`bad-${spec.name}`) ?? []), ...INPUTS[spec.name]]);
          expect(r.code, `${spec.name} ${flag} "${bad}": ${r.stderr}`).toBe(2);
          expect(r.stderr, `${spec.name} ${flag} "${bad}"`).toMatch(/^heapscope: .*(expects|argument)/);
          expect(r.stdout).toBe('');
        }
      }
    });
  }

  it('the cases the issue named: diff, peak and sizes -n abc', async () => {
    for (const [name, args] of [
      ['diff', INPUTS.diff],
      ['peak', INPUTS.peak],
      ['sizes', INPUTS.sizes],
    ] as const) {
      for (const bad of ['abc', '0', '-1', '2.5']) {
        const r = await runCli([name, '-n', bad, ...args]);
        expect(r.code).toBe(2);
        expect(r.stderr).toBe(`heapscope: -n expects a positive integer, got "${bad}"\n`);
      }
    }
  });
});

describe('--format json is honoured or refused by every command', () => {
  for (const spec of COMMANDS.filter((c) => c.output.kind === 'report')) {
    it(`${spec.name}: one JSON document on stdout`, async () => {
      const r = await runCli([spec.name, '--format', 'json', ...ifItHas(spec.name, S), ...INPUTS[spec.name]]);
      expect(r.code, r.stderr).toBe(0);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
    });
  }

  for (const spec of COMMANDS.filter((c) => c.output.kind === 'file')) {
    it(`${spec.name}: a JSON summary of the file written with -o FILE; without one, a usage error`, async () => {
      const args = OUTPUT[spec.name](`json-${spec.name}`);
      const path = args[args.length - 1];
      const r = await runCli([spec.name, '--format', 'json', ...S, ...args, ...INPUTS[spec.name]]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary).toMatchObject({ path, bytes: statSync(path).size, profiles: INPUTS[spec.name].length, warnings: [] });
      expect(typeof summary.format).toBe('string');
      expect(Object.keys(summary.totals).length).toBeGreaterThan(0);
      const toStdout = await runCli([spec.name, '--format', 'json', ...S, ...args.slice(0, -2), ...INPUTS[spec.name]]);
      expect(toStdout.code).toBe(2);
      expect(toStdout.stderr).toMatch(/^heapscope: --format json prints a summary of the file .* writes: give -o FILE\n$/);
    });
  }

  it('the totals of a summary are the totals of the file: merge as pprof, convert --to collapsed as the drawn type', async () => {
    const pprof = join(scratch, 'totals.pb.gz');
    const merged = JSON.parse((await runCli(['merge', '--format', 'json', ...S, '-o', pprof, DUMP])).stdout);
    const back = await loadSnapshot(pprof);
    expect(merged.format).toBe('pprof');
    expect(merged.totals.inuse_space).toBeCloseTo(back.total(back.sampleTypeIndex('inuse_space')), 0);
    const collapsedPath = join(scratch, 'totals.collapsed');
    const collapsed = JSON.parse((await runCli(['convert', '--to', 'collapsed', '-t', 'alloc_space', '--format', 'json', ...S, '-o', collapsedPath, DUMP])).stdout);
    expect(Object.keys(collapsed.totals)).toEqual(['alloc_space']);
    const lines = readFileSync(collapsedPath, 'utf8').trimEnd().split('\n');
    expect(lines.reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)).toBe(Math.round(collapsed.totals.alloc_space));
  });

  it('view says where it serves as JSON, and refuses -o FILE', async () => {
    const r = await runCli(['view', '-o', join(scratch, 'view.json'), DUMP]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^heapscope: view serves its profile and writes no file/);
  });
});

describe('warnings', () => {
  const missing = ['--symbols', '/nonexistent/heapscope-symbols'];

  it('each input: each distinct message once; the same message of two inputs once per input', async () => {
    const r = await runCli(['top', ...missing, DUMP, DUMP]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l === `heapscope: warning: --symbols /nonexistent/heapscope-symbols: no such file or directory (at ${DUMP})`)).toHaveLength(2);
    expect(new Set(lines).size).toBeLessThan(lines.length + 1);
  });

  it('an input whose warnings repeat a message gets it once, with the count summed', () => {
    let stderr = '';
    const run = new Run({ stdout: { write: () => true }, stderr: { write: (s) => (stderr += String(s)) } }, { format: 'text' }, [], new Command());
    run.warnInput({ profile: { meta: { warnings: [{ message: 'something odd', count: 2, locations: [] }, { message: 'something odd', count: 3, locations: [] }] } } } as never);
    expect(stderr).toBe('heapscope: warning: something odd (5 times)\n');
    expect(run.warnings).toEqual(['something odd (5 times)']);
  });

  it("the run's own warnings once each, however often they are found", () => {
    let stderr = '';
    const run = new Run({ stdout: { write: () => true }, stderr: { write: (s) => (stderr += String(s)) } }, { format: 'text' }, [], new Command());
    run.warn(['inputs differ']);
    run.warn(['inputs differ', 'and more']);
    expect(stderr).toBe('heapscope: warning: inputs differ\nheapscope: warning: and more\n');
    expect(run.warnings).toEqual(['inputs differ', 'and more']);
  });

  it('--quiet: no warning on stderr, every one still in the JSON', async () => {
    const loud = await runCli(['top', '--format', 'json', ...missing, DUMP]);
    const quiet = await runCli(['top', '--format', 'json', '--quiet', ...missing, DUMP]);
    expect(loud.stderr).toMatch(/heapscope: warning: /);
    expect(quiet.stderr).toBe('');
    expect(JSON.parse(quiet.stdout).warnings).toEqual(JSON.parse(loud.stdout).warnings);
    expect(JSON.parse(quiet.stdout).warnings.length).toBeGreaterThan(0);
  });

  it('--quiet is an option of every command', () => {
    for (const spec of COMMANDS) expect(spec.options.map((o) => o.long), spec.name).toContain('--quiet');
  });
});
