/**
 * `growth --plot` and `diagnose --plot` draw memory over time per top site
 * with the one chart renderer (render/memory-chart.ts): for event traces
 * (x in seconds or operations) and series of dumps (one point per dump),
 * with the values of the analysis; diagnose keeps its allocator chart for
 * statistics.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFiles } from '@heapscope/testkit/inputs';
import { runCli } from './run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-memory-plot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const PERF = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
const SERIES = fixtureFiles('jemalloc/all', /\.m\d+\.heap$/);
const STATS = join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml');

/** The chart's axis and its areas (site → values), read from the SVG. */
function areas(svg: string): { axis: string | undefined; series: Map<string, number[]> } {
  const axis = /class="memory-chart" data-axis="(\w+)"/.exec(svg)?.[1];
  const series = new Map<string, number[]>();
  for (const m of svg.matchAll(/<path class="area" data-series="([^"]*)" data-values="([^"]*)"/g)) series.set(m[1], m[2].split(',').map(Number));
  return { axis, series };
}

/** Live bytes at the end of the trace, as `info` reports them. */
async function liveAtEnd(path: string): Promise<number> {
  const r = await runCli(['info', '--format', 'json', '--quiet', path]);
  return JSON.parse(r.stdout).inputs[0].trace.liveBytes;
}

describe('memory over time on the command line', () => {
  it('growth --windows N --plot on a perf trace: x in seconds, N+1 points, ending at the live bytes', async () => {
    const plot = join(scratch, 'growth-perf.svg');
    const r = await runCli(['growth', '--quiet', '--windows', '12', '--plot', plot, PERF]);
    expect(r.code).toBe(0);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    const { axis, series } = areas(svg);
    expect(axis).toBe('seconds');
    const values = [...series.values()];
    expect(values.every((v) => v.length === 13)).toBe(true);
    expect(values.reduce((s, v) => s + v[12], 0)).toBe(await liveAtEnd(PERF));
    expect(svg).toMatch(/allocation rate \(bytes per second\)/);
  });

  it('growth --plot on a series of dumps: one point per dump, the growing site first', async () => {
    const plot = join(scratch, 'growth-series.svg');
    expect((await runCli(['growth', '--quiet', '--plot', plot, ...SERIES])).code).toBe(0);
    const { axis, series } = areas(readFileSync(plot, 'utf8'));
    expect(axis).toBe('dumps');
    const [first] = series;
    expect(first[1].length).toBe(SERIES.length);
    expect(readFileSync(plot, 'utf8')).toMatch(/allocated between dumps/);
  });

  it('diagnose reads an event trace as its windows and --plot draws memory per top site; statistics keep the allocator chart', async () => {
    const plot = join(scratch, 'diagnose-perf.svg');
    const r = await runCli(['diagnose', '--quiet', '--format', 'json', '--windows', '8', '--plot', plot, PERF]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).points).toBe(8);
    const { axis, series } = areas(readFileSync(plot, 'utf8'));
    expect(axis).toBe('seconds');
    expect([...series.values()][0].length).toBe(9);
    const statsPlot = join(scratch, 'diagnose-stats.svg');
    expect((await runCli(['diagnose', '--quiet', '--plot', statsPlot, STATS])).code).toBe(0);
    const stats = readFileSync(statsPlot, 'utf8');
    expect(stats).not.toMatch(/memory-chart/);
    expect(stats).toMatch(/allocated/);
  });

  it('diagnose refuses a trace with dumps, or two traces', async () => {
    const mixed = await runCli(['diagnose', PERF, SERIES[0]]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/one event trace, or heap profiles/);
    expect((await runCli(['diagnose', PERF, PERF])).code).toBe(2);
  });
});
