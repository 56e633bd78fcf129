/**
 * What the series commands say of a series that is not whole or not one
 * process's, on real dumps: stderr and the JSON's `warnings` alike, for every
 * command that takes a series (growth, churn, diagnose, report), and not for diff,
 * which compares two dumps whatever lies between them.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-series-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const gperf = (n: number) => join(FIXTURES, 'gperftools', `workload.000${n}.heap`);
const GAPPED = [gperf(1), gperf(2), gperf(4)];
const GAP = /1 dump is missing from the series \(1 between workload\.0002\.heap and workload\.0004\.heap\)/;

describe('a dump missing from a series, on the command line', () => {
  for (const command of ['growth', 'churn', 'diagnose']) {
    it(`${command}: on stderr and in the JSON`, async () => {
      const r = await runCli([command, '--format', 'json', '--symbols', join(FIXTURES, 'bin', 'workload'), ...GAPPED]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(GAP);
      expect((JSON.parse(r.stdout) as { warnings: string[] }).warnings.join('\n')).toMatch(GAP);
      const whole = await runCli([command, '--format', 'json', '--no-symbolize', gperf(1), gperf(2), gperf(3), gperf(4)]);
      expect(whole.stderr).not.toMatch(/missing/);
    });
  }

  it('report: on the page', async () => {
    const out = join(scratch, 'report.html');
    const r = await runCli(['report', '--no-symbolize', '-o', out, ...GAPPED]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(GAP);
  });

  it('diff: two dumps compared, nothing missing', async () => {
    const r = await runCli(['diff', '--no-symbolize', gperf(1), gperf(4)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/missing/);
  });
});

describe('a series of a program that forks, on the command line', () => {
  it('growth over the parent and its child (gperftools): the mix is said, each process in order', async () => {
    const dir = join(FIXTURES, 'fork', 'gperftools');
    const files = ['fork.0001.heap', 'fork.0002.heap', 'fork.0003.heap'].map((f) => join(dir, f));
    const child = readdirSync(dir).filter((f) => /^fork_\d+\.000[12]\.heap$/.test(f)).sort();
    expect(child).toHaveLength(2);
    // Given child first, its dumps reversed, the parent's between them.
    const r = await runCli(['growth', '--format', 'json', '--no-symbolize', join(dir, child[1]), ...files, join(dir, child[0])]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dumps are named for 2 different processes \(fork_\d+, fork\)/);
    const report = JSON.parse(r.stdout) as { labels: string[]; points: number; warnings: string[] };
    expect(report.points).toBe(5);
    // Grouped by process in the order first given, each by its sequence number.
    expect(report.labels.map((l) => l.slice(dir.length + 1))).toEqual([child[0], child[1], 'fork.0001.heap', 'fork.0002.heap', 'fork.0003.heap']);
    expect(report.warnings.join('\n')).toMatch(/different processes/);
  });
});

describe('dumps of one process summed', () => {
  const manual = readdirSync(join(FIXTURES, 'jemalloc', 'all')).filter((f) => /\.m\d\.heap$/.test(f)).map((f) => join(FIXTURES, 'jemalloc', 'all', f));
  const SUMMED = /5 inputs are dumps of one process \(pid \d+: .*\), and they are summed/;
  const cases: [string, string[]][] = [
    ['top', ['top']],
    ['sizes', ['sizes']],
    ['merge', ['merge', '-o', join(scratch, 'merged.pb.gz')]],
    ['convert', ['convert', '--to', 'pprof', '-o', join(scratch, 'converted.pb.gz')]],
    ['flamegraph', ['flamegraph', '-o', join(scratch, 'flame.svg')]],
  ];
  for (const [name, args] of cases) {
    it(`${name}: a series of one process, summed, is said to be one`, async () => {
      const r = await runCli([...args, '--no-symbolize', ...manual]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(SUMMED);
    });
  }

  it("a fleet's dumps sharing a pid, each in its host's directory, and two processes' dumps: not", async () => {
    const [final] = readdirSync(join(FIXTURES, 'jemalloc', 'all')).filter((f) => /\.f\.heap$/.test(f));
    const hosts = ['a', 'b'].map((h) => {
      mkdirSync(join(scratch, h), { recursive: true });
      copyFileSync(join(FIXTURES, 'jemalloc', 'all', final), join(scratch, h, final));
      return join(scratch, h, final);
    });
    const fleet = await runCli(['top', '--no-symbolize', ...hosts]);
    expect(fleet.code, fleet.stderr).toBe(0);
    expect(fleet.stderr).not.toMatch(/dumps of one process/);
    const two = await runCli(['top', '--no-symbolize', manual[0], ...readdirSync(join(FIXTURES, 'jemalloc', 'sampled')).filter((f) => /\.f\.heap$/.test(f)).map((f) => join(FIXTURES, 'jemalloc', 'sampled', f))]);
    expect(two.stderr).not.toMatch(/dumps of one process/);
  });
});
