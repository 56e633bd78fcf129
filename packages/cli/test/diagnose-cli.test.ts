/** `heapscope diagnose` end to end, in process, on the fixture runs in fixtures/stats. */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DiagnosePoint, DiagnoseReport } from '@heapscope/analyzer';
import { runCli } from './run-cli.js';
import { renderDiagnosePlot } from '../src/render/diagnose-plot.js';
import { niceStep, xTicks } from '../src/render/chart-axes.js';
import { FIXTURES } from '@heapscope/testkit/paths';

const STATS = join(FIXTURES, 'stats');
const run = (allocator: string, mode: string, ...files: string[]) => files.map((f) => join(STATS, allocator, mode, f));
const tmp = () => mkdtempSync(join(tmpdir(), 'heapscope-diagnose-'));

/** The x-axis tick labels of a diagnose SVG (the labels under the axis, not its title). */
const xLabels = (svg: string) => [...svg.matchAll(/<text [^>]*text-anchor="middle" fill="#57606a">([^<]*)<\/text>/g)].map((m) => m[1]).filter((l) => !/^(time since the first point|point)$/.test(l));

/** A made-up report with points at the given times (seconds). */
function reportAt(times: (number | null)[]): DiagnoseReport {
  const series: DiagnosePoint[] = times.map((t, i) => ({
    label: `p${i + 1}`, timeSec: t, allocated: (10 + i) * 2 ** 20, resident: (12 + i) * 2 ** 20, rss: null, mapped: null, footprint: (12 + i) * 2 ** 20, unpurged: null, ratio: null,
  }));
  return {
    verdict: 'healthy', summary: 'healthy: made up', evidence: [], allocator: 'jemalloc', allocatorVersion: null,
    sources: { allocated: null, footprint: null, footprintKind: 'resident', rss: null, profiles: 0 }, points: series.length, series,
    trends: { allocated: null, footprint: null, waste: null, unpurged: null, rss: null }, thresholdBytes: 2 ** 20,
    waste: { arenas: [], sizeClasses: [] }, sites: [], knobs: [], warnings: [],
  };
}

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

  it('one at-exit dump: inconclusive, not healthy (text and JSON agree; exit 0)', async () => {
    const text = await runCli(['diagnose', ...run('jemalloc', 'exit', 'jemalloc-stats.txt.gz')]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout.split('\n')[0]).toBe('inconclusive: one dump shows no trend (allocated 6.21 MiB of 10.1 MiB resident, 61%)');
    expect(text.stdout).toMatch(/\n {2}- one dump: no trend to judge\n/);
    expect(text.stdout).not.toMatch(/healthy/);
    const json = JSON.parse((await runCli(['diagnose', '--format', 'json', ...run('jemalloc', 'exit', 'jemalloc-stats.json.gz')])).stdout);
    expect(json.verdict).toBe('inconclusive');
    expect(json.points).toBe(1);
    expect(json.evidence).toContain('one dump: no trend to judge');
    for (const [allocator, file] of [
      ['tcmalloc', 'tcmalloc-stats.txt'],
      ['mimalloc', 'mimalloc-stats.txt'],
      ['mimalloc-stat', 'mimalloc-stats.txt'],
    ]) {
      const r = await runCli(['diagnose', '--format', 'json', ...run(allocator, 'exit', file)]);
      expect(`${allocator}: ${r.code} ${JSON.parse(r.stdout).verdict}`).toBe(`${allocator}: 0 inconclusive`);
    }
  });

  it("a small healthy process's at-exit dump, mostly the allocator's metadata, is not fragmentation (jemalloc, tcmalloc)", async () => {
    for (const allocator of ['jemalloc', 'tcmalloc']) {
      const [file] = run(allocator, 'small', allocator === 'jemalloc' ? 'jemalloc-stats.txt.gz' : 'tcmalloc-stats.txt');
      const r = await runCli(['diagnose', '--format', 'json', file]);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as DiagnoseReport;
      const [p] = report.series;
      // The fixture is what it should be: resident − allocated is most of the heap, and metadata most of that.
      expect((p.resident as number) - (p.allocated as number)).toBeGreaterThan(0.5 * (p.resident as number));
      expect(p.metadata as number).toBeGreaterThan(0.5 * ((p.resident as number) - (p.allocated as number)));
      expect(`${allocator}: ${report.verdict}`).toBe(`${allocator}: inconclusive`);
      expect(report.evidence).toContainEqual(expect.stringMatching(/^the waste \(resident − allocated − metadata\) is /));
      expect(report.evidence).toContainEqual(expect.stringMatching(/^the allocator's own metadata: [\d.]+ MiB \(\d+% of resident\), not counted as waste/));
    }
  });

  it('Debian mimalloc: a growing series exits 1 and its first dump alone is inconclusive, for the same reason (MI_STAT=0)', async () => {
    const [stats] = run('mimalloc', 'fragment', 'mimalloc-stats.txt');
    const reason = 'mimalloc release builds count no allocations (MI_STAT=0)';
    const whole = await runCli(['diagnose', stats]);
    expect(whole.code).toBe(1);
    expect(whole.stderr).toContain(reason);
    // The series cut down to its first dump (each dump starts with "heap stats:").
    const text = readFileSync(stats, 'utf8');
    const second = text.indexOf('heap stats:', 1);
    expect(second).toBeGreaterThan(0);
    const one = join(tmp(), 'mimalloc-first.txt');
    writeFileSync(one, text.slice(0, second));
    const r = await runCli(['diagnose', one]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`inconclusive: one dump shows no trend, and ${reason}: committed 41.0 MiB`);
    expect(r.stdout).toContain(`  - allocated: not known; ${reason}\n`);
    expect(r.stdout).toMatch(/What moves it \(mimalloc\):\n {2}- a mimalloc built with MI_STAT=1/);
  });

  it('--plot: x-axis labels of a short run are distinct, at nice steps, in ms', async () => {
    const dir = tmp();
    const svg = join(dir, 'memory.svg');
    const r = await runCli(['diagnose', '--plot', svg, ...run('jemalloc', 'fragment', 'jemalloc-stats.txt.gz', 'proc.txt')]);
    expect(r.code).toBe(0);
    const labels = xLabels(readFileSync(svg, 'utf8'));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels[0]).toBe('0 ms');
    for (const l of labels) expect(l).toMatch(/^\d+ ms$/);
    const values = labels.map((l) => Number.parseFloat(l));
    const step = values[1] - values[0];
    expect([1, 2, 5, 10, 20, 50]).toContain(step);
    values.forEach((v, i) => expect(v).toBe(i * step));
  });

  it('plot ticks: no two labels equal, whatever the span (µs … hours), and nice 1/2/5 steps', () => {
    // The case: seven points 1.5 ms apart (labels used to read "0.00 s, 0.00 s, 0.01 s, 0.01 s…").
    const spans = [0.009, 0.0004, 0.0031, 0.06, 0.75, 1, 2.5, 9.99, 37, 600, 7200, 86400];
    for (const span of spans) {
      const times = [0, 1, 2, 3, 4, 5, 6].map((i) => 1000 + (span * i) / 6);
      const labels = xLabels(renderDiagnosePlot(reportAt(times)));
      expect(labels.length, `span ${span}`).toBeGreaterThanOrEqual(2);
      expect(labels.length, `span ${span}`).toBeLessThanOrEqual(9);
      expect(new Set(labels).size, `span ${span}: ${labels.join(', ')}`).toBe(labels.length);
      const unit = labels[0].split(' ')[1];
      expect(unit).toBe(span < 1e-3 ? 'µs' : span < 1 ? 'ms' : 's');
    }
    expect(xTicks(0.009, true).map((t) => t.label)).toEqual(['0 ms', '1 ms', '2 ms', '3 ms', '4 ms', '5 ms', '6 ms', '7 ms', '8 ms', '9 ms'].filter((_, i) => i % 2 === 0));
    expect(xTicks(0.0031, true).map((t) => t.label)).toEqual(['0.0 ms', '0.5 ms', '1.0 ms', '1.5 ms', '2.0 ms', '2.5 ms', '3.0 ms']);
    expect(xTicks(7200, true).map((t) => t.label)).toEqual(['0 s', '1000 s', '2000 s', '3000 s', '4000 s', '5000 s', '6000 s', '7000 s']);
    for (const [range, max, step] of [
      [9, 8, 2],
      [0.3, 8, 0.05],
      [100, 10, 10],
      [7, 8, 1],
      [1e-5, 8, 2e-6],
    ] as const) {
      expect(niceStep(range, max).step).toBeCloseTo(step, 12);
    }
    // Without times: point numbers, each once.
    expect(xTicks(6, false).map((t) => t.label)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(xTicks(29, false).map((t) => t.label)).toEqual(['1', '5', '10', '15', '20', '25', '30']);
    expect(xLabels(renderDiagnosePlot(reportAt([null, null, null])))).toEqual(['1', '2', '3']);
    expect(xLabels(renderDiagnosePlot(reportAt([5])))).toEqual(['1']);
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

  it('a dump that lacks a figure (damaged) leaves a gap, not a series without it: the trend is fitted over the other dumps at their places', async () => {
    const dir = tmp();
    const json = async (file: string) => JSON.parse((await runCli(['diagnose', '--format', 'json', file])).stdout) as DiagnoseReport;
    for (const [allocator, file, line] of [
      ['jemalloc', 'jemalloc-stats.txt.gz', /^Allocated: .*\n/m],
      ['tcmalloc', 'tcmalloc-stats.txt', /^MALLOC: = +\d+ \( *[\d.]+ MiB\) Actual memory used.*\n/m],
    ] as const) {
      const [one] = run(allocator, 'leak', file);
      const whole = await json(one);
      const text = file.endsWith('.gz') ? gunzipSync(readFileSync(one)).toString('utf8') : readFileSync(one, 'utf8');
      // The third dump's line gone: its allocated (jemalloc) or its resident figure (tcmalloc) is missing.
      let seen = 0;
      const damaged = join(dir, `gap-${allocator}.txt`);
      writeFileSync(damaged, text.replace(new RegExp(line.source, 'gm'), (m) => (++seen === 3 ? '' : m)));
      const gap = await json(damaged);
      expect(gap.verdict).toBe(whole.verdict);
      expect(gap.series).toHaveLength(whole.series.length);
      const figure = allocator === 'jemalloc' ? 'allocated' : 'footprint';
      expect(gap.series[2][figure]).toBeNull();
      const [a, b] = [gap.trends[figure], whole.trends[figure]];
      expect(a).not.toBeNull();
      expect(Math.abs((a?.rise as number) - (b?.rise as number))).toBeLessThan(0.05 * (b?.rise as number));
      expect(gap.warnings.some((w) => /a dump lacks the .* figure the file's other dumps have|a tcmalloc dump ends before its/.test(w))).toBe(true);
    }
  });

  it('inputs that are not one run say so: two runs appended to one file, a file given twice, /proc samples of two processes', async () => {
    const dir = tmp();
    const json = async (...files: string[]) => JSON.parse((await runCli(['diagnose', '--format', 'json', ...files])).stdout) as DiagnoseReport;
    // Two runs appended: the producer's clock (jemalloc's uptime, mimalloc's elapsed) goes back.
    for (const [allocator, file] of [
      ['jemalloc', 'jemalloc-stats.txt.gz'],
      ['jemalloc', 'jemalloc-stats.json.gz'],
      ['mimalloc-stat', 'mimalloc-stats.txt'],
    ]) {
      const [one] = run(allocator, 'leak', file);
      const whole = readFileSync(one);
      const twice = join(dir, `twice-${allocator}-${file}`);
      writeFileSync(twice, Buffer.concat([whole, whole]));
      expect((await json(one)).warnings).toEqual([]);
      expect((await json(twice)).warnings).toEqual([expect.stringMatching(/^the time goes back from twice-[^ ]+#7 \([\d.]+\) to twice-[^ ]+#8 \([\d.]+\): these are not the dumps of one run/)]);
    }
    // …or a figure that never decreases in one run does: glibc's max system bytes, tcmalloc's virtual address space.
    for (const [allocator, file, figure] of [
      ['glibc', 'malloc-info.xml', "glibc's max system bytes"],
      ['tcmalloc', 'tcmalloc-stats.txt', "tcmalloc's virtual address space"],
    ]) {
      const [one] = run(allocator, 'leak', file);
      const twice = join(dir, `twice-${allocator}-${file}`);
      writeFileSync(twice, Buffer.concat([readFileSync(one), readFileSync(one)]));
      for (const mode of ['leak', 'fragment', 'steady', 'retain']) expect((await json(...run(allocator, mode, file))).warnings).toEqual([]);
      expect((await json(twice)).warnings).toEqual([expect.stringMatching(new RegExp(`^${figure} goes back from twice-[^ ]+#7 \\(\\d+\\) to twice-[^ ]+#8 \\(\\d+\\): these are not the dumps of one run`))]);
    }
    const [stats] = run('tcmalloc', 'leak', 'tcmalloc-stats.txt');
    expect((await json(stats, stats)).warnings).toEqual([`${stats} is given more than once: its points are counted twice`]);
    const procs = join(dir, 'proc.txt');
    writeFileSync(procs, Buffer.concat([readFileSync(run('tcmalloc', 'leak', 'proc.txt')[0]), readFileSync(run('glibc', 'leak', 'proc.txt')[0])]));
    const mixed = (await json(stats, procs)).warnings;
    expect(mixed).toContainEqual(expect.stringMatching(/^the \/proc samples come from 2 processes \(pids \d+, \d+\)/));
    expect(mixed).toContainEqual(expect.stringMatching(/^the time goes back from step 6 /));
  });

  it("JSON warnings are stderr's: the inputs' own warnings too (statistics after the program's output on stderr)", async () => {
    const dir = tmp();
    const stderrFile = join(dir, 'stderr.txt');
    writeFileSync(stderrFile, Buffer.concat([Buffer.from('done: kept 150000\n'), readFileSync(run('mimalloc-stat', 'leak', 'mimalloc-stats.txt')[0])]));
    const r = await runCli(['diagnose', '--format', 'json', stderrFile]);
    expect(r.code).toBe(0);
    const printed = r.stderr.split('\n').filter((l) => l !== '').map((l) => l.replace(/^heapscope: warning: /, ''));
    expect(printed).toEqual([`1 line outside the mimalloc statistics ignored (first: "done: kept 150000") (at ${stderrFile}:1)`]);
    expect(JSON.parse(r.stdout)).toMatchObject({ verdict: 'leak', warnings: printed });
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
