/**
 * Warnings as a user of many inputs reads them: each names the input it
 * concerns (also when it has no line), on stderr and in JSON alike, once per
 * input; binaries not found are one warning that counts them; and the ±
 * column of sampled estimates never shows an estimate as exact.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote, findFiles } from '@heapscope/testkit/paths';

const dir = mkdtempSync(join(tmpdir(), 'heapscope-warning-places-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const series = findFiles(join(FIXTURES, 'gperftools'), /^.*workload\.\d+\.heap$/);
const sampled = findFiles(join(FIXTURES, 'jemalloc', 'sampled'), /\.f\.heap$/)[0];
const unsampled = findFiles(join(FIXTURES, 'gperftools'), /0005\.heap$/)[0];

/** A copy of a gperftools dump without its first row: its header then disagrees with its rows (a warning with no line). */
function withoutFirstRow(path: string): string {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out = join(dir, path.replace(/.*\//, ''));
  writeFileSync(out, [lines[0], ...lines.slice(2)].join('\n'));
  return out;
}

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('heapscope: warning: '));

describe('a warning without a line names its input', () => {
  // Two dumps of the series damaged the same way: the same message, twice, once for each.
  const damaged = series.map((p, i) => (i === 2 || i === 4 ? withoutFirstRow(p) : p));

  it('growth: each damaged dump is named in its own warning, once, on stderr and in JSON', async () => {
    const text = await runCli(['growth', '--no-symbolize', ...damaged]);
    expect(text.code).toBe(0);
    const header = warningLines(text.stderr).filter((l) => l.includes('the header says'));
    expect(header).toHaveLength(2);
    expect(header[0]).toMatch(new RegExp(`\\(at ${damaged[2]}\\)$`));
    expect(header[1]).toMatch(new RegExp(`\\(at ${damaged[4]}\\)$`));

    const json = await runCli(['growth', '--no-symbolize', '--format', 'json', ...damaged]);
    const warnings = JSON.parse(json.stdout).warnings as string[];
    expect(warnings.filter((w) => w.includes('the header says'))).toEqual(header.map((l) => l.replace('heapscope: warning: ', '')));
  });

  it('merge: the sum keeps which inputs a warning came from, and info of it names them', async () => {
    const out = join(dir, 'merged.pb.gz');
    const r = await runCli(['merge', '--no-symbolize', '--format', 'json', '-o', out, damaged[2], damaged[4]]);
    expect(r.code).toBe(0);
    const header = (JSON.parse(r.stdout).warnings as string[]).filter((w) => w.includes('the header says'));
    expect(header).toHaveLength(2);
    const info = await runCli(['info', '--no-symbolize', '--format', 'json', out]);
    const kept = JSON.parse(info.stdout).inputs[0].warnings.filter((w: { message: string }) => w.message.includes('the header says'));
    expect(kept.flatMap((w: { locations: { file: string; line: number }[] }) => w.locations)).toEqual([
      { file: damaged[2], line: 0 },
      { file: damaged[4], line: 0 },
    ]);
  });

  it('top and diff of several inputs: the warning says which input it concerns', async () => {
    for (const command of [['top'], ['diff']]) {
      const r = await runCli([...command, '--no-symbolize', series[0], damaged[2]]);
      expect(r.code, command[0]).toBe(0);
      const header = warningLines(r.stderr).filter((l) => l.includes('the header says'));
      expect(header, command[0]).toEqual([expect.stringMatching(new RegExp(`\\(at ${damaged[2]}\\)$`))]);
    }
  });
});

describe('binaries not found', () => {
  // The sampled jemalloc dump with every mapping moved where no file is: five binaries with locations.
  const moved = join(dir, 'moved.heap');
  writeFileSync(moved, readFileSync(sampled, 'utf8').replace(/ \/\S+\/(\S+)$/gm, ' /nonexistent/$1'));

  it('are one warning: counted, the three with most locations named, the rest in JSON', async () => {
    const r = await runCli(['top', '--no-symbol-cache', moved]);
    expect(r.code).toBe(0);
    const lines = warningLines(r.stderr).filter((l) => l.includes('not found'));
    expect(lines).toHaveLength(1);
    const [, count, named, more] = /(\d+) binaries not found, \d+ locations shown as module\+offset \(give the files with --symbols\): (.*) and (\d+) more \(--format json lists every one\) \(at /.exec(lines[0]) ?? [];
    expect(Number(count)).toBeGreaterThan(3);
    expect(named.split('), ')).toHaveLength(3);
    expect(Number(more)).toBe(Number(count) - 3);
    const figures = [...named.matchAll(/\((\d+) locations?\)/g)].map((m) => Number(m[1]));
    expect(figures).toEqual([...figures].sort((a, b) => b - a));

    const json = await runCli(['top', '--no-symbol-cache', '--format', 'json', moved]);
    const [all] = (JSON.parse(json.stdout).warnings as string[]).filter((w) => w.includes('not found'));
    expect(all.match(/\/nonexistent\/\S+ \(\d+ locations?\)/g)).toHaveLength(Number(count));
    expect(all).not.toContain('more');
  });

  it('a sum keeps every one: info of a merge lists them all', async () => {
    const out = join(dir, 'moved-merged.pb.gz');
    expect((await runCli(['merge', '--no-symbol-cache', '--quiet', '-o', out, moved])).code).toBe(0);
    const info = JSON.parse((await runCli(['info', '--no-symbolize', '--format', 'json', out])).stdout);
    const [kept] = info.inputs[0].warnings.filter((w: { message: string }) => w.message.includes('binaries not found'));
    expect(kept.details.length).toBeGreaterThan(3);
    expect(kept.details.every((d: string) => d.startsWith('/nonexistent/'))).toBe(true);
    expect(kept.locations).toEqual([{ file: moved, line: 0 }]);
  });

  it.skipIf(!HAVE_CORPUS)('a desktop program recorded elsewhere (heaptrack_gui): one line, not one per library', async () => {
    const r = await runCli(['top', '--no-symbol-cache', join(CORPUS, 'heaptrack', 'heaptrack.heaptrack_gui.99454.zst')]);
    expect(r.code).toBe(0);
    expect(warningLines(r.stderr)).toEqual([expect.stringMatching(/^heapscope: warning: \d{2} binaries not found, .* and \d{2} more /)]);
  });
  if (!HAVE_CORPUS) corpusSkipNote();
});

describe('the ± column', () => {
  it('a standard error under one unit reads ±<1, never ±0 as if exact', async () => {
    const json = JSON.parse((await runCli(['top', '-n', '0', '-t', 'inuse_objects', '--no-symbolize', '--format', 'json', sampled])).stdout);
    const tiny = json.rows.filter((row: { stderr: number }) => row.stderr > 0 && row.stderr < 0.5).map((row: { name: string }) => row.name);
    expect(tiny.length).toBeGreaterThan(0);
    const text = (await runCli(['top', '-n', '0', '-t', 'inuse_objects', '--no-symbolize', sampled])).stdout;
    for (const name of tiny) expect(text).toMatch(new RegExp(`^\\s*\\S+\\s+±<1\\s.*\\s${name.replace(/[.+]/g, '\\$&')}$`, 'm'));
    expect(text).not.toMatch(/±0\b/);
  });

  it('a blank ± beside a value is exact, and the note says so; only then', async () => {
    // The unsampled gperftools dump's own sites sit beside the sampled dump's: their values are exact.
    const mixed = await runCli(['top', '-n', '0', '--no-symbolize', sampled, unsampled]);
    const json = JSON.parse((await runCli(['top', '-n', '0', '--no-symbolize', '--format', 'json', sampled, unsampled])).stdout);
    const exact = json.rows.filter((row: { flat: number; stderr: number }) => row.flat !== 0 && row.stderr === 0);
    expect(exact.length).toBeGreaterThan(0);
    expect(mixed.stdout).toContain('a blank ± is exact: every allocation behind it was recorded');
    const alone = await runCli(['top', '-n', '0', '--no-symbolize', sampled]);
    expect(alone.stdout).toContain('± one standard error of flat');
    expect(alone.stdout).not.toContain('a blank ± is exact');
  });
});
