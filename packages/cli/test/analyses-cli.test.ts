import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { ODD_PER_PHASE, ODD_SIZE } from '@heapscope/testkit/workload';

const S = ['--symbols', join(FIXTURES, 'bin', 'workload')];
const manual = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.m\d+\.heap$/);
const gperf = findFiles(join(FIXTURES, 'gperftools'), /^workload\.000[1-5]\.heap$/);
const sampled = findFiles(join(FIXTURES, 'jemalloc', 'sampled'), /\.heap$/).sort((x, y) => x.localeCompare(y, 'en', { numeric: true }));

describe('analysis commands', () => {
  it('growth: verdict on top, JSON per the contract', async () => {
    const text = await runCli(['growth', ...S, ...manual]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toBe('leak_site grew 1.00 MiB per point over 5 points (4.00 MiB in all), r²=1.00');
    const json = JSON.parse((await runCli(['growth', '--format', 'json', ...S, ...[...manual].reverse()])).stdout);
    expect(json.points).toBe(5);
    expect(json.rows[0]).toMatchObject({ name: 'leak_site', delta: 4 * 1048576, slope: 1048576, r2: 1 });
    expect(json.rows[0].values).toEqual([1, 2, 3, 4, 5].map((k) => k * 1048576));
    expect(json.warnings).toEqual([]);
  });

  it('growth --fail-on-growth exits 3 past the threshold, 0 below it', async () => {
    const over = await runCli(['growth', '--fail-on-growth', '1MiB', ...S, ...gperf]);
    expect(over.code).toBe(3);
    expect(over.stderr).toMatch(/^heapscope: 2 sites grew more than 1.00 MiB: leak_site \(\+4.00 MiB\), odd_size_site/m);
    const under = await runCli(['growth', '--fail-on-growth', '10MiB', ...S, ...gperf]);
    expect(under.code).toBe(0);
    expect((await runCli(['growth', '--fail-on-growth', 'lots', ...gperf])).code).toBe(2);
    expect((await runCli(['growth', gperf[0]])).code).toBe(2);
  });

  it('churn: churn_site first, JSON per the contract', async () => {
    const r = JSON.parse((await runCli(['churn', '--format', 'json', ...S, ...gperf])).stdout);
    expect(r.rows[0]).toMatchObject({ name: 'churn_site', allocObjects: 100000, allocBytes: 13600000, liveObjects: 0, liveBytes: 0 });
  });

  it('sizes: JSON rows of size, count, bytes, largest count first; text names what the sizes are', async () => {
    const r = JSON.parse((await runCli(['sizes', '--format', 'json', ...S, gperf[4]])).stdout);
    for (let i = 1; i < r.rows.length; i++) expect(r.rows[i - 1].count).toBeGreaterThanOrEqual(r.rows[i].count);
    expect(r.rows.find((row: { size: number }) => row.size === ODD_SIZE)).toMatchObject({ count: 5 * ODD_PER_PHASE, bytes: 5 * ODD_PER_PHASE * ODD_SIZE });
    const text = await runCli(['sizes', '--by', 'function', '--sites', '2', ...S, gperf[4]]);
    expect(text.stdout).toMatch(/sizes: average object size per stack/);
    expect(text.stdout).toMatch(/\nchurn_site: 100,000 allocations/);
  });

  it('sizes on an Android native heap dump: exact sizes of in-use objects, and -n limits each site too; churn says what to record instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-sizes-'));
    try {
      const dump = join(dir, 'native.txt');
      writeFileSync(
        dump,
        [
          'Android Native Heap Dump v1.2', '', 'Total memory: 2900', 'Allocation records: 4', 'Backtrace size: 16', '',
          'z 0  sz      400  num    1  bt a2a0 b510',
          'z 1  sz      500  num    4  bt a2a0 c000',
          'z 1  sz      100  num    2  bt a2a0 c000',
          'z 1  sz       24  num    1  bt a2a0 c000',
          'MAPS', 'a000-b000 r-xp 00000000 00:00 0        /system/libc.so', 'b000-d000 r-xp 00000000 00:00 0        /system/libutils.so', 'END', '',
        ].join('\n'),
      );
      const r = JSON.parse((await runCli(['sizes', '--format', 'json', '--no-symbolize', dump])).stdout);
      expect(r).toMatchObject({ sizeKind: 'exact', counts: 'in-use objects', totalCount: 8 });
      expect(r.rows.map((row: { size: number; count: number }) => [row.size, row.count])).toEqual([[500, 4], [100, 2], [400, 1], [24, 1]]);
      const bySite = JSON.parse((await runCli(['sizes', '--format', 'json', '--no-symbolize', '--by', 'stack', '-n', '2', dump])).stdout);
      expect(Math.max(...bySite.sites.map((site: { rows: unknown[] }) => site.rows.length))).toBe(2);
      const churn = await runCli(['churn', '--no-symbolize', dump]);
      expect(churn.code).toBe(2);
      expect(churn.stderr).toMatch(/lists live allocations only: record a malloc_debug record_allocs trace/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('diff: signed rows, input minus base', async () => {
    const r = JSON.parse((await runCli(['diff', '--format', 'json', ...S, gperf[4], gperf[0]])).stdout);
    expect(r.rows[0]).toMatchObject({ name: 'leak_site', flat: -4 * 1048576 });
    expect(r.total).toBeLessThan(0);
  });

  it('diff of sampled dumps: error bars from the variances of both', async () => {
    const [before, after] = [sampled[0], sampled[sampled.length - 1]];
    const json = async (...args: string[]) => JSON.parse((await runCli([...args, '--format', 'json', ...S])).stdout);
    const [d, a, b] = [await json('diff', before, after), await json('top', before), await json('top', after)];
    const leak = d.rows.find((r: { name: string }) => r.name === 'leak_site');
    const [ra, rb] = [a, b].map((t) => t.rows.find((r: { name: string }) => r.name === 'leak_site'));
    expect(leak.flat).toBeCloseTo(rb.flat - ra.flat, 3);
    expect(leak.stderr ** 2 / (ra.stderr ** 2 + rb.stderr ** 2)).toBeCloseTo(1, 9);
    expect(leak.cumStderr ** 2 / (ra.cumStderr ** 2 + rb.cumStderr ** 2)).toBeCloseTo(1, 9);
  });

  it('peak refuses a heap dump', async () => {
    const r = await runCli(['peak', gperf[0]]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a heap dump, not an event trace/);
  });
});
