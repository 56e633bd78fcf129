import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { renderTable } from '../src/render/table.js';

const dir = mkdtempSync(join(tmpdir(), 'heapscope-cli-'));
const dump = join(dir, 'jeprof.4242.7.m3.heap');
writeFileSync(
  dump,
  `heap_v2/1
  t*: 6: 6144 [9: 9216]
  t0: 6: 6144 [9: 9216] main
@ 0x1000 0x2000 0x3000
  t*: 4: 4096 [4: 4096]
  t0: 4: 4096 [4: 4096]
@ 0x1100 0x3000
  t*: 2: 2048 [5: 5120]
  t0: 2: 2048 [5: 5120]

MAPPED_LIBRARIES:
`,
);

describe('heapscope CLI', () => {
  it('info prints format, sample types, totals and the dump name facts', async () => {
    const r = await runCli(['info', '--no-symbolize', dump]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('format         jemalloc');
    expect(r.stdout).toContain('pid 4242, dump #7, kind m');
    const json = JSON.parse((await runCli(['info', '--format', 'json', dump])).stdout);
    expect(json.inputs[0]).toMatchObject({ file: dump, format: 'jemalloc', sampleTypes: ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'], samplingPeriod: 1, peak: null, warnings: [] });
    // R = 1 and 1 KiB objects: the Poisson scale 1/(1 − e^−1024) is exactly 1 in doubles.
    expect(json.inputs[0].totals.inuse_space).toBe(6144);
  });

  it('top ranks by flat value, and JSON follows the contract', async () => {
    const r = await runCli(['top', '--format', 'json', '--no-symbolize', dump]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ sampleType: 'inuse_space', unit: 'bytes' });
    expect(report.rows.map((row: { name: string }) => row.name)).toEqual(['0x1000', '0x1100', '0x3000', '0x2000']);
    expect(report.rows[2].flat).toBe(0);
    expect(report.rows[2].cum).toBeCloseTo(report.total, 6);
    expect(report.rows[0].flat + report.rows[1].flat).toBeCloseTo(report.total, 6);
  });

  it('top -t alloc_objects --by stack -n 1', async () => {
    const r = await runCli(['top', '-t', 'alloc_objects', '--by', 'stack', '-n', '1', '--format', 'json', dump]);
    const report = JSON.parse(r.stdout);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0].name).toBe('0x1100 < 0x3000');
    expect(report.rowCount).toBe(2);
  });

  it('--focus and --ignore filter samples; several inputs are summed', async () => {
    const focus = JSON.parse((await runCli(['top', '--format', 'json', '--focus', '^0x2000$', dump])).stdout);
    expect(focus.rows.map((r: { name: string }) => r.name)).toEqual(['0x1000', '0x2000', '0x3000']);
    const ignore = JSON.parse((await runCli(['top', '--format', 'json', '--ignore', '0x2000', dump])).stdout);
    expect(ignore.rows.map((r: { name: string }) => r.name)).toEqual(['0x1100', '0x3000']);
    const one = JSON.parse((await runCli(['top', '--format', 'json', dump])).stdout);
    const two = JSON.parse((await runCli(['top', '--format', 'json', dump, dump])).stdout);
    expect(two.total).toBeCloseTo(2 * one.total, 6);
  });

  it('reads stdin for "-"', async () => {
    const r = await runCli(['top', '--format', 'json', '-'], { stdin: readFileSync(dump) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toHaveLength(4);
  });

  it('text top has aligned columns and a header line', async () => {
    const r = await runCli(['top', dump]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/inuse_space total 6\.\d+ KiB; 4 rows by function/);
    expect(lines[1]).toMatch(/^\s*flat\s+flat%\s+sum%\s+cum\s+cum%\s+name$/);
    const nameColumn = lines[1].indexOf('name');
    for (const line of lines.slice(2)) expect(line.indexOf('0x')).toBe(nameColumn);
  });

  it('bad input: one line "heapscope: FILE:LINE: message", exit 1', async () => {
    const bad = join(dir, 'bad.heap');
    writeFileSync(bad, 'heap_v2/1\n@ 0x10\n  t*: 1: oops [0: 0]\n');
    const r = await runCli(['top', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`heapscope: ${bad}:3: expected "@ <addresses>", "t<thread>: <count>: <bytes> [<count>: <bytes>]" or "MAPPED_LIBRARIES:": "  t*: 1: oops [0: 0]"\n`);
  });

  it('usage errors exit 2: unknown option, missing sample type, bad regex, no input', async () => {
    expect((await runCli(['top', '--nope', dump])).code).toBe(2);
    const missing = await runCli(['top', '-t', 'alloc_space', join(dir, 'noalloc.heap')]);
    expect(missing.code).toBe(1); // the file does not exist: input error
    const noType = join(dir, 'noalloc.heap');
    writeFileSync(noType, 'heap_v2/1\n@ 0x10\n  t*: 1: 16 [0: 0]\n');
    const r = await runCli(['top', '-t', 'alloc_space', noType]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no sample type "alloc_space" \(this dump has no cumulative allocation counts\); it has: inuse_objects, inuse_space/);
    expect((await runCli(['top', '--focus', '(', dump])).code).toBe(2);
    expect((await runCli(['top'])).code).toBe(2);
    expect((await runCli([])).code).toBe(2);
  });

  it('-o writes the report whole, and not at all on failure', async () => {
    const out = join(dir, 'report.json');
    expect((await runCli(['top', '--format', 'json', '-o', out, dump])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).sampleType).toBe('inuse_space');
    const failed = join(dir, 'failed.json');
    expect((await runCli(['top', '-o', failed, join(dir, 'bad.heap')])).code).toBe(1);
    expect(existsSync(failed)).toBe(false);
  });

  it('demangles C++ names an input gives mangled (perf samples), keeping the mangled name as the system name', async () => {
    const perf = join(dir, 'cpu.perf.txt');
    writeFileSync(perf, 'prog 123 1.000000:          1 cycles: \n\t          401000 _Z4betav+0x10 (/bin/prog)\n\t          401100 main+0x20 (/bin/prog)\n\n');
    const report = JSON.parse((await runCli(['top', '--format', 'json', perf])).stdout);
    expect(report.rows.map((r: { name: string }) => r.name)).toEqual(['beta()', 'main']);
  });

  it('--help of each command shows an example; --version prints the version', async () => {
    for (const command of ['info', 'top']) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples?:\n\s+\$ heapscope /);
    }
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('renders a table of a million rows (a dump with a million sites), aligned', () => {
    const rows = Array.from({ length: 1_000_000 }, (_, i) => [String(i), `site_${i}`]);
    const text = renderTable([{ header: 'n', align: 'right' }, { header: 'name', align: 'left' }], rows);
    const lines = text.split('\n');
    expect(lines.length).toBe(1_000_002);
    expect(lines[1]).toBe('     0  site_0');
    expect(lines[1_000_000]).toBe('999999  site_999999');
  });
});
