/**
 * The analyzer README's library example, run as a user would run it (a
 * module of its own, under node, importing `@heapscope/analyzer` by name,
 * from the repository), prints the same numbers as the CLI's `--format json`
 * on the same fixtures: `loadProfile` + `top`, and `loadProfiles` + `growth`
 * (issue 17). The example is read from the README, so the README cannot
 * drift from what runs.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const README = join(REPO, 'packages/analyzer/README.md');

/** The code block that follows the `<!-- readme-example: analyzer -->` marker. */
function readmeExample(): string {
  const text = readFileSync(README, 'utf8');
  const match = /<!-- readme-example: analyzer -->\n```js\n([\s\S]*?)```/.exec(text);
  if (!match) throw new Error(`${README}: no example after <!-- readme-example: analyzer -->`);
  return match[1];
}

interface TopJson {
  total: number;
  sampleType: string;
  unit: string;
  rows: { name: string; flat: number; cum: number }[];
}
interface GrowthJson {
  rows: { name: string; delta: number; slope: number }[];
}

describe('the analyzer README example', () => {
  it('runs, and prints what heapscope top and growth --format json print', async () => {
    // In the package's folder, so that `@heapscope/analyzer` resolves to the package itself, as it does for a user who installed it.
    const script = join(REPO, 'packages/analyzer', `.readme-example-${process.pid}.mjs`);
    writeFileSync(script, readmeExample());
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)(process.execPath, [script], { cwd: REPO, env: { ...process.env, HEAPSCOPE_CACHE_DIR: process.env.HEAPSCOPE_TEST_CACHE_DIR ?? process.env.HEAPSCOPE_CACHE_DIR } }));
    } finally {
      rmSync(script, { force: true });
    }
    const lines = stdout.trimEnd().split('\n');
    const fields = (kind: string) => lines.filter((l) => l.startsWith(`${kind}\t`)).map((l) => l.split('\t').slice(1));

    const top = JSON.parse((await runCli(['top', '--format', 'json', '-n', '5', 'fixtures/gperftools/workload.0005.heap'].map((a) => (a.startsWith('fixtures/') ? join(REPO, a) : a)))).stdout) as TopJson;
    expect(lines[0]).toBe(`${top.sampleType}: total ${top.total} ${top.unit}`);
    expect(fields('top')).toEqual(top.rows.map((r) => [r.name, String(r.flat), String(r.cum)]));
    expect(top.rows.length).toBe(5);

    const dumps = [1, 2, 3, 4, 5, 6].map((n) => join(REPO, `fixtures/gperftools/workload.000${n}.heap`));
    const growth = JSON.parse((await runCli(['growth', '--format', 'json', ...dumps])).stdout) as GrowthJson;
    expect(fields('growth')).toEqual(growth.rows.slice(0, 5).map((r) => [r.name, String(r.delta), String(r.slope)]));
    // Something grows in this series (the workload's leak): the comparison is of real numbers.
    expect(Number(fields('growth')[0][1])).toBeGreaterThan(0);
  });
});
