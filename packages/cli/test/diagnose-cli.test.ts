/** `heapscope diagnose` end to end, in process, on the fixture runs in fixtures/stats. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES } from '../../parser/test/helpers/paths.js';

const STATS = join(FIXTURES, 'stats');
const run = (allocator: string, mode: string, ...files: string[]) => files.map((f) => join(STATS, allocator, mode, f));
const tmp = () => mkdtempSync(join(tmpdir(), 'heapscope-diagnose-'));

describe('heapscope diagnose', () => {
  it('text: the verdict first, the series, the evidence and the knobs', async () => {
    const r = await runCli(['diagnose', ...run('jemalloc', 'fragment', 'jemalloc-stats.txt.gz', 'proc.txt')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^fragmentation: resident grew \d+(\.\d+)? MiB while allocated grew \d+ KiB$/);
    expect(lines[1]).toMatch(/^jemalloc 5\.3\.0-\S+; 7 points: allocated and resident from \S*jemalloc-stats\.txt\.gz; RSS from \S*proc\.txt$/);
    expect(r.stdout).toMatch(/\n#\s+allocated\s+resident\s+RSS\s+unpurged\s+alloc\/footprint\s+point\n/);
    expect(r.stdout).toMatch(/\nEvidence:\n {2}- allocated: /);
    expect(r.stdout).toMatch(/\n {2}- arena 1 holds /);
    expect(r.stdout).toMatch(/\nWhat moves it \(jemalloc\):\n {2}- MALLOC_CONF=narenas:<n> \(now 8\): /);
  });

  it('JSON per the contract; the order of the inputs does not matter', async () => {
    const files = run('tcmalloc', 'leak', 'tcmalloc-stats.txt', 'proc.txt');
    const a = JSON.parse((await runCli(['diagnose', '--format', 'json', ...files])).stdout);
    const b = JSON.parse((await runCli(['diagnose', '--format', 'json', ...[...files].reverse()])).stdout);
    expect(a.verdict).toBe('leak');
    expect(Array.isArray(a.evidence)).toBe(true);
    expect(a.series).toHaveLength(7);
    for (const p of a.series) {
      expect(typeof p.allocated).toBe('number');
      expect(typeof p.resident).toBe('number');
      expect(typeof p.rss).toBe('number');
    }
    expect(b).toEqual(a);
  });

  it('tells leak from fragmentation on every allocator that counts its allocations', async () => {
    const cases: [string, string][] = [
      ['glibc', 'malloc-info.xml'],
      ['jemalloc', 'jemalloc-stats.json.gz'],
      ['tcmalloc', 'tcmalloc-stats.txt'],
      ['mimalloc-stat', 'mimalloc-stats.txt'],
    ];
    for (const [allocator, file] of cases) {
      for (const [mode, verdict] of [
        ['leak', 'leak'],
        ['fragment', 'fragmentation'],
        ['steady', 'healthy'],
      ]) {
        const r = await runCli(['diagnose', '--format', 'json', ...run(allocator, mode, file, 'proc.txt')]);
        expect(`${allocator}/${mode}: ${r.code} ${JSON.parse(r.stdout).verdict}`).toBe(`${allocator}/${mode}: 0 ${verdict}`);
      }
    }
  });

  it('--plot writes a self-contained SVG of allocated, resident and RSS; -o writes the report', async () => {
    const dir = tmp();
    const svg = join(dir, 'memory.svg');
    const report = join(dir, 'report.txt');
    const r = await runCli(['diagnose', '--plot', svg, '-o', report, ...run('jemalloc', 'retain', 'jemalloc-stats.txt.gz', 'proc.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(report, 'utf8')).toMatch(/^retained: /);
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(text.trimEnd().endsWith('</svg>')).toBe(true);
    expect(text.match(/<polyline /g)).toHaveLength(3);
    for (const name of ['allocated', 'resident (allocator)', 'RSS']) expect(text).toContain(`>${name}</text>`);
    expect(text).not.toMatch(/<script|href=|url\(/);
    expect(readdirSync(dir).sort()).toEqual(['memory.svg', 'report.txt']); // no temporary files left
  });

  it('names the growing call sites when heap profiles of the same run are given', async () => {
    const heapDir = join(STATS, 'jemalloc', 'leak', 'heap');
    const dumps = readdirSync(heapDir).map((n) => join(heapDir, n));
    const r = await runCli(['diagnose', '--symbols', join(STATS, 'bin', 'stats-workload'), ...run('jemalloc', 'leak', 'jemalloc-stats.txt.gz'), ...dumps]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^leak: allocated grew /);
    expect(r.stdout).toMatch(/growing call sites: leak_site \+\d/);
  });

  it('exit 1, one line, when the inputs cannot tell (mimalloc release build, footprint growing)', async () => {
    const dir = tmp();
    const svg = join(dir, 'memory.svg');
    const files = run('mimalloc', 'fragment', 'mimalloc-stats.txt', 'proc.txt');
    const r = await runCli(['diagnose', '--plot', svg, ...files]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `heapscope: ${files[0]}:1: RSS grew 40.7 MiB over 7 points, but these inputs do not say how much the program itself holds, so a leak cannot be told from fragmentation; mimalloc release builds count no allocations (MI_STAT=0): use a build with MI_STAT=1 or give heap profiles\n`.replace(
        '40.7 MiB',
        r.stderr.match(/RSS grew (\S+ MiB)/)?.[1] ?? '?',
      ),
    );
    expect(existsSync(svg)).toBe(false);
  });

  it('exit 1 at the line of a malformed dump', async () => {
    const dir = tmp();
    const bad = join(dir, 'stats.txt');
    writeFileSync(bad, 'MALLOC:        4268504 (    4.1 MiB) Bytes in use by application\nMALLOC: + lots\n');
    const r = await runCli(['diagnose', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`heapscope: ${bad}:2: not a tcmalloc statistics line: "MALLOC: + lots"\n`);
  });

  it('no input is a usage error (exit 2); statistics of two allocators are bad input (exit 1)', async () => {
    expect((await runCli(['diagnose'])).code).toBe(2);
    const mixed = await runCli(['diagnose', ...run('jemalloc', 'leak', 'jemalloc-stats.txt.gz'), ...run('tcmalloc', 'leak', 'tcmalloc-stats.txt')]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/different allocators \(jemalloc, tcmalloc\)/);
  });

  it('other commands refuse allocator statistics with a pointer to diagnose (exit 2)', async () => {
    for (const command of ['info', 'top', 'growth']) {
      const file = run('glibc', 'leak', 'malloc-info.xml')[0];
      const r = await runCli([command, file, file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`heapscope: ${file} holds allocator statistics, not a heap profile: use heapscope diagnose\n`);
    }
  });
});
