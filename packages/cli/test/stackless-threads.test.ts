/**
 * Traces without call stacks (Android record_allocs, from the shared corpus)
 * get a hint of what to run instead of one "(no stack)" row; `--by thread`
 * heads its column "thread" and names threads where the input has names
 * (perf script's comm, jemalloc's thread names) (issue 17).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const RECORD_ALLOCS = join(CORPUS, 'android-record-allocs/systemui.zip');
const PERF = join(FIXTURES, 'perf/workload.fp.perf.txt.gz');

/** The header cells of a text table: the line after the report's first line. */
const headerCells = (text: string) => text.split('\n')[1].trim().split(/\s+/);

describe.skipIf(!HAVE_CORPUS)('record_allocs traces (no stacks): a hint, not a "(no stack)" row', () => {
  it('top and peak say what to run instead; --by thread ranks threads', async () => {
    for (const args of [['top'], ['top', '--by', 'stack'], ['peak']]) {
      const r = await runCli([...args, RECORD_ALLOCS]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).not.toContain('(no stack)');
      expect(r.stdout).toContain('this trace records no call stacks (Android record_allocs), so there are no call sites to rank. Instead:');
      for (const instead of ['top --by thread', 'sizes', 'peak --by thread', 'churn --by thread']) expect(r.stdout).toContain(`  heapscope ${instead} ${RECORD_ALLOCS}`);
    }
    const json = JSON.parse((await runCli(['top', '--format', 'json', RECORD_ALLOCS])).stdout) as { rows: { name: string }[] };
    // JSON is the analyzer's report: one row holding everything.
    expect(json.rows.map((r) => r.name)).toEqual(['(no stack)']);

    const byThread = await runCli(['top', '--by', 'thread', '-n', '3', RECORD_ALLOCS]);
    expect(byThread.stdout).not.toContain('no call stacks');
    expect(headerCells(byThread.stdout).at(-1)).toBe('thread');
    // record_allocs names threads by tid only.
    for (const line of byThread.stdout.trimEnd().split('\n').slice(2)) expect(line).toMatch(/\s\d+$/);
  });

  it('the commands the hint names work on it', async () => {
    for (const args of [['sizes', '-n', '3'], ['peak', '--by', 'thread', '-n', '3'], ['churn', '--by', 'thread', '-n', '3']]) {
      const r = await runCli([...args, RECORD_ALLOCS]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).not.toContain('(no stack)');
    }
  });
});
if (!HAVE_CORPUS) corpusSkipNote();

describe('--by thread', () => {
  it('heads the column "thread" and names each thread as perf script does (comm and tid)', async () => {
    const text = gunzipSync(readFileSync(PERF)).toString('latin1');
    const threads = new Set([...text.matchAll(/^\s*(\S.*?)\s+(\d+)\s+(?:\[\d+\]\s+)?\d+\.\d+:/gm)].map((m) => `${m[1]} (${m[2]})`));
    expect(threads.size).toBeGreaterThan(1);
    for (const command of ['top', 'churn']) {
      const r = await runCli([command, '--no-symbolize', '--quiet', '--by', 'thread', PERF]);
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      const header = lines.findIndex((l) => /\bthread$/.test(l.trim()));
      expect(header, `${command}: ${r.stdout}`).toBeGreaterThanOrEqual(0);
      const json = JSON.parse((await runCli([command, '--no-symbolize', '--format', 'json', '--by', 'thread', PERF])).stdout) as { rows: { name: string }[] };
      expect(new Set(json.rows.map((row) => row.name))).toEqual(threads);
    }
    // Other groupings keep "name".
    expect(headerCells((await runCli(['top', '--no-symbolize', '--quiet', PERF])).stdout).at(-1)).toBe('name');
  });
});
