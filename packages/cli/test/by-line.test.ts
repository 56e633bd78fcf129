/**
 * `--by line`: call sites and flamegraph frames by function and source line
 * where the model has lines — `top` agrees with `go tool pprof`'s line
 * granularity on the same profile, each function's lines add up to its
 * `--by function` row, and an input without lines keeps the function (or
 * `module+0xoffset`) names.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { HAVE_GO, goEnv, goPprofTops } from '@heapscope/testkit/reference-tools';
import { runCli } from './run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-by-line-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const JEMALLOC = fixtureFile('jemalloc/all', /\.f\.heap$/);

interface Row {
  name: string;
  flat: number;
  cum: number;
}
async function topRows(args: string[]): Promise<Row[]> {
  const r = await runCli(['top', '--format', 'json', '-n', '1000', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).rows as Row[];
}

describe('--by line', () => {
  it("top: a row per function and line, each function's lines adding up to its row", async () => {
    const lines = await topRows(['--by', 'line', '--symbols', WORKLOAD, JEMALLOC]);
    const functions = await topRows(['--symbols', WORKLOAD, JEMALLOC]);
    expect(lines.slice(0, 3).map((r) => r.name)).toEqual([expect.stringMatching(/^leak_site workload\.c:\d+$/), expect.stringMatching(/^odd_size_site workload\.c:\d+$/), expect.stringMatching(/^steady_site workload\.c:\d+$/)]);
    const flatOf = new Map<string, number>();
    for (const r of lines) {
      const fn = r.name.replace(/ [^ ]+:\d+$/, '');
      flatOf.set(fn, (flatOf.get(fn) ?? 0) + r.flat);
    }
    for (const r of functions) expect(flatOf.get(r.name), r.name).toBeCloseTo(r.flat, 6);
  });

  it.skipIf(!HAVE_GO)('top --by line agrees with go tool pprof at line granularity', async () => {
    const pb = join(scratch, 'lines.pb.gz');
    expect((await runCli(['convert', '--to', 'pprof', '-o', pb, '--symbols', WORKLOAD, JEMALLOC])).code).toBe(0);
    const go = goPprofTops(pb, ['inuse_space'], goEnv(scratch), ['granularity=lines']).get('inuse_space')!;
    const ours = await topRows(['--by', 'line', pb]);
    // pprof names a line "fn path/file.c:N"; heapscope "fn file.c:N".
    const key = (name: string) => name.replace(/ (?:\S*\/)?([^/ ]+:\d+)$/, ' $1');
    const theirs = new Map(go.rows.map((r) => [key(r.name), r]));
    const workloadRows = ours.filter((r) => / workload\.c:\d+$/.test(r.name));
    expect(workloadRows.length).toBeGreaterThan(5);
    for (const r of workloadRows) {
      const t = theirs.get(r.name);
      expect(t, `${r.name} not in\n${go.text}`).toBeDefined();
      expect(Math.abs(r.flat - t!.flat), r.name).toBeLessThan(1);
      expect(Math.abs(r.cum - t!.cum), r.name).toBeLessThan(1);
    }
  });

  it('keeps function names, or module+0xoffset, where the input has no lines', async () => {
    const unsymbolized = await topRows(['--by', 'line', '--no-symbolize', JEMALLOC]);
    const byFunction = await topRows(['--no-symbolize', JEMALLOC]);
    expect(unsymbolized).toEqual(byFunction);
    expect(unsymbolized[0].name).toMatch(/^workload\+0x[0-9a-f]+$/);
  });

  it('flamegraph --by line: frames named by function and line; pprof output refuses it', async () => {
    const out = join(scratch, 'lines.html');
    const r = await runCli(['flamegraph', '--by', 'line', '-o', out, '--symbols', WORKLOAD, JEMALLOC]);
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(/<script type="application\/json" class="flame-data">(.*?)<\/script>/s.exec(readFileSync(out, 'utf8'))![1]) as { names: string[] };
    expect(data.names).toContainEqual(expect.stringMatching(/^leak_site workload\.c:\d+$/));
    expect(data.names).toContainEqual(expect.stringMatching(/^main workload\.c:\d+$/));
    const collapsed = await runCli(['convert', '--to', 'collapsed', '--by', 'line', '--symbols', WORKLOAD, JEMALLOC]);
    expect(collapsed.stdout).toMatch(/;main workload\.c:\d+;leak_site workload\.c:\d+ 5242880\n/);
    const pprof = await runCli(['convert', '--to', 'pprof', '--by', 'line', '-o', join(scratch, 'x.pb.gz'), JEMALLOC]);
    expect(pprof.code).toBe(2);
    expect(pprof.stderr).toMatch(/--by line does not apply to pprof output/);
  });
});
