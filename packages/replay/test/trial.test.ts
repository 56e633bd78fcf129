/**
 * runTrial: real commands under each allocator, through the replayer's
 * launch mode — the A B C A B C order, the measures, a command that fails
 * under one allocator only (the trial goes on), one killed by a signal, one
 * that cannot start, and allocators that cannot be used.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayOptionError, resolveAllocators, runTrial } from '@heapscope/replay';
import { buildReplayer, tempDir, writeTrace } from './helpers.js';

const scratch = tempDir();
beforeAll(buildReplayer);
afterAll(scratch.remove);

describe('runTrial', () => {
  it('runs the command under each allocator in the order A B C A B C, with its preload and variables', async () => {
    const log = join(scratch.dir, 'order.log');
    const report = await runTrial(['sh', '-c', `echo "\${LD_PRELOAD:-none} \${MALLOC_CONF:-}" >> ${log}`], {
      allocators: 'glibc,jemalloc,mimalloc',
      runs: 2,
      env: ['jemalloc:MALLOC_CONF=narenas:1'],
    });
    const [, jemalloc, mimalloc] = resolveAllocators([
      { name: 'glibc', library: null, env: {} },
      { name: 'jemalloc', library: 'libjemalloc.so.2', env: {} },
      { name: 'mimalloc', library: 'libmimalloc.so.2', env: {} },
    ]);
    const round = ['none ', `${jemalloc.path} narenas:1`, `${mimalloc.path} `];
    expect(readFileSync(log, 'utf8').split('\n')).toEqual([...round, ...round, '']);
    expect(report.command).toEqual(['sh', '-c', expect.any(String)]);
    for (const row of report.rows) {
      expect(row).toMatchObject({ runs: 2, failed: false, error: null, exitCode: null, signal: null });
      expect(row.runSeconds).toHaveLength(2);
      expect(row.secondsMin!).toBeLessThanOrEqual(row.seconds!);
      expect(row.seconds!).toBeLessThanOrEqual(row.secondsMax!);
      expect(row.secondsMin!).toBeGreaterThan(0);
      expect(row.maxRss!).toBeGreaterThan(0);
    }
    expect(report.best.seconds).not.toBeNull();
  });

  it("measures the command's peak RSS", async () => {
    const report = await runTrial([process.execPath, '-e', 'const b = Buffer.alloc(96 * 2 ** 20, 1); process.exitCode = b[12345] - 1'], { allocators: 'glibc', runs: 1 });
    expect(report.rows[0]).toMatchObject({ failed: false, runs: 1 });
    expect(report.rows[0].maxRss!).toBeGreaterThan(96 * 2 ** 20);
    expect(report.rows[0].maxRss!).toBeLessThan(1024 * 2 ** 20);
  });

  it('marks an allocator under which the command fails, and goes on with the others', async () => {
    const script = 'case "$LD_PRELOAD" in *jemalloc*) echo "boom under jemalloc" >&2; exit 4;; esac';
    const report = await runTrial(['sh', '-c', script], { allocators: 'glibc,jemalloc,tcmalloc', runs: 2 });
    const [glibc, jemalloc, tcmalloc] = report.rows;
    expect(jemalloc).toMatchObject({ failed: true, exitCode: 4, signal: null, runs: 0, seconds: null, error: 'jemalloc: run 1: the command exited with status 4 (stderr: boom under jemalloc)' });
    expect(glibc).toMatchObject({ failed: false, runs: 2 });
    expect(tcmalloc).toMatchObject({ failed: false, runs: 2 });
    expect(report.best.seconds).not.toBe('jemalloc');
  });

  it('reports a command killed by a signal, and one that cannot start', async () => {
    const killed = await runTrial(['sh', '-c', 'kill -SEGV $$'], { allocators: 'glibc', runs: 1 });
    expect(killed.rows[0]).toMatchObject({ failed: true, signal: 'SIGSEGV', exitCode: null, error: 'glibc: run 1: the command was killed by SIGSEGV' });
    const missing = await runTrial(['/nonexistent/command', 'x'], { allocators: 'glibc', runs: 1 });
    expect(missing.rows[0]).toMatchObject({ failed: true, error: 'glibc: run 1: exec /nonexistent/command: No such file or directory' });
  });

  it('passes the output on when asked, and discards it otherwise', async () => {
    const chunks: string[] = [];
    await runTrial(['sh', '-c', 'echo out; echo err >&2'], { allocators: 'glibc', runs: 1, onOutput: (c, stream) => chunks.push(`${stream}:${c.toString().trim()}`) });
    expect(chunks.sort()).toEqual(['stderr:err', 'stdout:out']);
  });

  it('gives allocators that cannot be used an error before any run', async () => {
    const notElf = writeTrace(scratch.dir, 'fake.so', 'not a library\n');
    const report = await runTrial(['true'], { allocators: 'glibc', preload: ['ghost=/nonexistent/libghost.so', `fake=${notElf}`], runs: 1 });
    expect(report.rows.map((r) => [r.allocator, r.failed, r.runs])).toEqual([
      ['glibc', false, 1],
      ['ghost', true, 0],
      ['fake', true, 0],
    ]);
    expect(report.rows[1].error).toBe('ghost: /nonexistent/libghost.so not found; looked in /nonexistent/libghost.so');
    expect(report.rows[2].error).toMatch(/^fake: preloading .*fake\.so did not replace malloc \(it comes from .*libc\.so\.6\): .*cannot be preloaded/);
  });

  it('needs a command', async () => {
    await expect(runTrial([])).rejects.toThrow(ReplayOptionError);
  });
});
