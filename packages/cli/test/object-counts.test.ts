/**
 * Whole objects: an unsampled count is an estimate with a fraction (the
 * sampled jemalloc fixture holds 2,568.82 objects in use). JSON keeps the
 * fraction; everything a person or another tool reads — heapscope's text,
 * pprof, collapsed stacks, speedscope — gets whole objects, the exact value
 * rounded to the nearest with each total the exact total rounded, so
 * `go tool pprof` on the converted file shows heapscope's total. jeprof
 * prints its own (identical) estimate truncated: one less here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { HAVE_GO, goEnv, goPprofTops, readReferenceText } from '@heapscope/testkit/reference-tools';

const DUMP = join(FIXTURES, 'jemalloc', 'sampled', 'jeprof.31497.5.f.heap');
const GOLDEN = join(FIXTURES, 'jemalloc', 'sampled', 'golden', `${basename(DUMP)}.inuse_objects.jeprof.txt`);
const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const scratch = mkdtempSync(join(tmpdir(), 'heapscope-counts-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

interface TopJson {
  total: number;
  rows: { name: string; flat: number; cum: number }[];
}

describe('object counts: fractions in JSON, whole objects everywhere else', () => {
  const exact = async () => JSON.parse(await cli(['top', '--format', 'json', '-t', 'inuse_objects', '--symbols', WORKLOAD, DUMP])) as TopJson;

  it('the estimate has a fraction of at least a half, so rounding and truncating differ', async () => {
    const { total } = await exact();
    expect(total - Math.floor(total)).toBeGreaterThanOrEqual(0.5);
    // jeprof (recorded by fixtures/generate.sh) prints the same estimate truncated.
    expect(readReferenceText(readFileSync(GOLDEN, 'utf8')).total).toBe(Math.trunc(total));
  });

  it('text: the total and every row rounded to the nearest object', async () => {
    const json = await exact();
    const text = await cli(['top', '-t', 'inuse_objects', '--symbols', WORKLOAD, DUMP]);
    const total = Math.round(json.total);
    expect(text.split('\n')[0]).toContain(`inuse_objects total ${total.toLocaleString('en-US')};`);
    for (const row of json.rows) {
      const line = text.split('\n').find((l) => l.endsWith(`  ${row.name}`));
      expect(line, row.name).toBeDefined();
      expect(line!.trim().split(/\s+/)[0]).toBe(Math.round(row.flat).toLocaleString('en-US'));
    }
  });

  it('pprof: whole objects adding up to the rounded total, which heapscope and go tool pprof read back', async () => {
    const { total } = await exact();
    const out = join(scratch, 'sampled.pb.gz');
    await cli(['convert', '--to', 'pprof', '--symbols', WORKLOAD, '-o', out, DUMP]);
    const back = JSON.parse(await cli(['top', '--format', 'json', '-t', 'inuse_objects', out])) as TopJson;
    expect(back.total).toBe(Math.round(total));
    for (const row of back.rows) expect(Number.isInteger(row.flat)).toBe(true);
    if (HAVE_GO) expect(goPprofTops(out, ['inuse_objects'], goEnv(scratch)).get('inuse_objects')!.total).toBe(Math.round(total));
  });

  it('collapsed stacks and speedscope: whole objects, the rounded total', async () => {
    const { total } = await exact();
    const collapsed = join(scratch, 'sampled.collapsed');
    await cli(['convert', '--to', 'collapsed', '-t', 'inuse_objects', '--symbols', WORKLOAD, '-o', collapsed, DUMP]);
    const values = readFileSync(collapsed, 'utf8')
      .trim()
      .split('\n')
      .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
    for (const v of values) expect(Number.isInteger(v)).toBe(true);
    expect(values.reduce((a, b) => a + b, 0)).toBe(Math.round(total));

    const speedscope = join(scratch, 'sampled.speedscope.json');
    await cli(['convert', '--to', 'speedscope', '--symbols', WORKLOAD, '-o', speedscope, DUMP]);
    const file = JSON.parse(readFileSync(speedscope, 'utf8')) as { profiles: { name: string; endValue: number; weights: number[] }[] };
    const objects = file.profiles.find((p) => p.name.startsWith('inuse_objects'))!;
    for (const w of objects.weights) expect(Number.isInteger(w) && w > 0).toBe(true);
    expect(objects.endValue).toBe(Math.round(total));
    expect(objects.weights.reduce((a, b) => a + b, 0)).toBe(Math.round(total));
  });
});
