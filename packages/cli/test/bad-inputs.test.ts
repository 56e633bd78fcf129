/**
 * The bad-input corpus, run against every importer and every command: each
 * input gives either a correct result (exit 0) or one line
 * `heapscope: FILE:LINE: message` with exit 1 — never an uncaught exception,
 * a stack trace (without --debug), a hang, or a partial output file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { importers } from '@heapscope/parser';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { zstdSync } from '@heapscope/testkit/inputs';

const dir = mkdtempSync(join(tmpdir(), 'heapscope-bad-'));
const jemallocDump = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.f\.heap$/)[0];
const gperfDump = findFiles(join(FIXTURES, 'gperftools'), /0005\.heap$/)[0];
const jemallocText = readFileSync(jemallocDump, 'utf8');
const heaptrackZst = readFileSync(findFiles(join(FIXTURES, 'heaptrack'), /^heaptrack\.workload\.\d+\.zst$/)[0]);
/** The interpreted heaptrack fixture's first 400 lines (it is about 250,000). */
const heaptrackText = execFileSync('zstd', ['-dc'], { input: heaptrackZst, maxBuffer: 1 << 26 }).toString('utf8').split('\n').slice(0, 400).join('\n') + '\n';

/** A deterministic byte generator (xorshift32). */
function noise(n: number, seed = 42): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);
const gz = gzipSync(enc(jemallocText));

/** name → bytes. Format-independent bad inputs. */
const generic: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  'blank lines': enc('\n\n\n'),
  garbage: enc('hello world\nthis is not a heap profile\n'),
  'binary noise': noise(4096),
  'truncated gzip': gz.subarray(0, gz.length >> 1),
  'gzip of garbage': gzipSync(enc('not a profile either\n')),
  'zip without members': zipSync({}),
  'truncated zstd': heaptrackZst.subarray(0, heaptrackZst.length >> 1),
  'zstd of garbage': zstdSync(enc('not a profile either\n')),
  'corrupt zstd': Uint8Array.from(heaptrackZst, (b, i) => (i >= 40 && i < 80 ? b ^ 0x5a : b)),
  'truncated zip': zipSync({ 'a.heap': enc(jemallocText) }, { level: 0 }).subarray(0, 600),
  'invalid UTF-8': new Uint8Array([...enc('heap_v2/1\n  t*: 1: 16 [0: 0]\n@ 0x10\n  t*: 1: 16 [0: 0] '), 0xff, 0xfe, 10]),
  'long line': enc(`heap_v2/1\n@ ${'0x1234 '.repeat(300_000)}\n  t*: 1: 16 [0: 0]\n`),
  CRLF: enc(jemallocText.replace(/\n/g, '\r\n')),
};

/** Bad variants of a jemalloc dump (docs/formats.md#jemalloc). */
const jemallocBad: Record<string, string> = {
  'truncated last record': jemallocText.slice(0, jemallocText.indexOf('MAPPED_LIBRARIES') - 40),
  'non-numeric count': jemallocText.replace(/t\*: (\d+):/, 't*: many:'),
  'negative count': jemallocText.replace(/(@[^\n]*\n  t\*: )(\d+):/, '$1-$2:'),
  'count beyond 2^53': jemallocText.replace(/(@[^\n]*\n  t\*: )(\d+):/, '$199999999999999999:'),
  'stack line with no counts': jemallocText.replace(/(@[^\n]*\n)/, '$1@ 0x1 0x2\n'),
  'bad address': jemallocText.replace(/@ 0x/, '@ 0xzz 0x'),
};

/** Bad variants of an interpreted heaptrack recording (docs/formats.md, heaptrack). */
const heaptrackBad: Record<string, string> = {
  'truncated last record': heaptrackText.slice(0, heaptrackText.lastIndexOf('\ns ') + 5),
  'undefined allocation info': heaptrackText.replace(/\n\+ [0-9a-f]+\n/, '\n+ fffff\n'),
  'undefined trace': heaptrackText.replace(/\nt ([0-9a-f]+) [0-9a-f]+\n/, '\nt $1 fffff\n'),
  'non-hexadecimal field': heaptrackText.replace(/\na ([0-9a-f]+) /, '\na 12zz '),
  'unknown record': heaptrackText.replace(/\ni /, '\nQ '),
  'raw record in an interpreted recording': heaptrackText.replace(/\nt /, '\nm 1 -\nt '),
};

const files: { name: string; path: string }[] = [];
for (const [name, bytes] of Object.entries(generic)) {
  const path = join(dir, `${name.replace(/\W+/g, '-')}.in`);
  writeFileSync(path, bytes);
  files.push({ name, path });
}
for (const [name, text] of Object.entries(heaptrackBad)) {
  const path = join(dir, `heaptrack-${name.replace(/\W+/g, '-')}.txt`);
  writeFileSync(path, text);
  files.push({ name: `heaptrack: ${name}`, path });
}
for (const [name, text] of Object.entries(jemallocBad)) {
  const path = join(dir, `jemalloc-${name.replace(/\W+/g, '-')}.heap`);
  writeFileSync(path, text);
  files.push({ name: `jemalloc: ${name}`, path });
}

const ONE_LINE_ERROR = /^heapscope: [^\n]+:\d+: [^\n]+\n$/;

function expectCalm(r: { code: number; stdout: string; stderr: string }, what: string): void {
  expect([0, 1, 2], `${what}: exit ${r.code}\n${r.stderr}`).toContain(r.code);
  expect(r.stderr, what).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/); // no stack trace
  expect(r.stderr, what).not.toMatch(/internal error/);
  if (r.code === 1) {
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('heapscope: ') && !l.startsWith('heapscope: warning: '));
    expect(errors.length, `${what}: ${r.stderr}`).toBe(1);
    expect(`${errors[0]}\n`, what).toMatch(ONE_LINE_ERROR);
  }
}

describe('bad inputs give a result or one located error line', () => {
  for (const { name, path } of files) {
    it(`${name}: detected format`, async () => {
      expectCalm(await runCli(['info', '--no-symbolize', path]), name);
      expectCalm(await runCli(['top', '--no-symbolize', '--lenient', path]), `${name} --lenient`);
    });
    it(`${name}: forced through every importer`, async () => {
      for (const importer of importers) {
        expectCalm(await runCli(['info', '--no-symbolize', '--input-format', importer.id, path]), `${name} as ${importer.id}`);
      }
    });
  }

  it('a valid dump of another format, forced through the wrong importer, is rejected at its first line', async () => {
    for (const importer of importers) {
      for (const dump of [jemallocDump, gperfDump]) {
        const r = await runCli(['info', '--no-symbolize', '--input-format', importer.id, dump]);
        expectCalm(r, `${dump} as ${importer.id}`);
      }
    }
    const r = await runCli(['info', '--input-format', 'gperftools', jemallocDump]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^heapscope: [^\n]+jeprof[^\n]+\.heap:1: expected "heap profile:/);
  });

  it('every command stays calm on every bad input, and a failed run leaves no output file', async () => {
    const out = join(dir, 'out');
    const commands = [
      ['info'], ['top'], ['sizes'], ['churn'], ['peak'], ['growth', gperfDump], ['diff', gperfDump],
      ['convert', '--to', 'pprof', '-o', `${out}.pb.gz`], ['convert', '--to', 'speedscope', '-o', `${out}.json`],
      ['flamegraph', '-o', `${out}.html`], ['merge', '-o', `${out}.merged.pb.gz`], ['diagnose'],
    ];
    for (const { name, path } of files) {
      for (const command of commands) {
        const r = await runCli([...command, '--no-symbolize', path]);
        expectCalm(r, `${command[0]} ${name}`);
        if (r.code !== 0) expect(readdirSync(dir).filter((f) => f.startsWith('out')), `${command.join(' ')} ${name}`).toEqual([]);
        rmSync(`${out}.pb.gz`, { force: true });
        rmSync(`${out}.json`, { force: true });
        rmSync(`${out}.html`, { force: true });
        rmSync(`${out}.merged.pb.gz`, { force: true });
      }
      // view serves a valid input until stopped: on the inputs that fail to read, it fails the same way.
      const info = await runCli(['info', '--no-symbolize', path]);
      if (info.code !== 0) {
        const view = await runCli(['view', '--no-open', '--no-symbolize', path]);
        expectCalm(view, `view ${name}`);
        expect(view.code, `view ${name}`).toBe(info.code);
      }
    }
  });

  it('a 100 MB line without a newline stops at the 64 MiB line limit with a located error', async () => {
    const huge = join(dir, 'huge-line.heap');
    writeFileSync(huge, Buffer.concat([Buffer.from('heap_v2/1\n@ '), Buffer.alloc(100 * 2 ** 20, '0x1234 ')]));
    const r = await runCli(['info', '--no-symbolize', huge]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/huge-line\.heap:2: line longer than 67108864 bytes/);
    rmSync(huge);
  });

  it('a dump cut in its memory map section says so, and growth calls it truncated', async () => {
    for (const dump of [jemallocDump, gperfDump]) {
      const text = readFileSync(dump, 'latin1');
      const maps = text.indexOf('MAPPED_LIBRARIES:');
      expect(maps, dump).toBeGreaterThan(0);
      const cut = join(dir, `maps-cut-${dump.endsWith('f.heap') ? 'jemalloc' : 'gperftools'}.heap`);
      // Cut in the middle of the third map line.
      const third = text.indexOf('\n', text.indexOf('\n', text.indexOf('\n', maps) + 1) + 1);
      writeFileSync(cut, text.slice(0, third + 20), 'latin1');
      const top = await runCli(['top', '--no-symbolize', cut]);
      expect(top.code, cut).toBe(0);
      expect(top.stderr, cut).toMatch(/warning: the input ends in the middle of a line \(truncated\?\); that line was dropped: "[0-9a-f]+-[^"]*" \(at .*:\d+\)/);
      const growth = await runCli(['growth', '--no-symbolize', '--order', 'given', dump, cut]);
      expect(growth.stderr, cut).toMatch(/warning: .*maps-cut-.*\.heap looks truncated/);
    }
  });

  it('--lenient: the counted warning is in the JSON of every command that writes JSON', async () => {
    const bad = join(dir, 'lenient-json.heap');
    writeFileSync(bad, jemallocText.replace(/(@[^\n]*\n  t\*: )(\d+):/g, (m, a, b, offset: number) => (offset % 3 === 0 ? `${a}x${b}:` : m)));
    const skipped = /^skipped malformed record: .*\(\d+ times; first at .*lenient-json\.heap:\d+/;
    for (const command of [['top'], ['sizes'], ['churn'], ['diff', jemallocDump], ['growth', jemallocDump]]) {
      const r = await runCli([command[0], '--format', 'json', '--no-symbolize', '--lenient', ...command.slice(1), bad]);
      expect(r.code, command[0]).toBe(0);
      const warnings: string[] = JSON.parse(r.stdout).warnings;
      expect(warnings.some((w) => skipped.test(w)), `${command[0]}: ${JSON.stringify(warnings)}`).toBe(true);
    }
  });

  it('CRLF line endings give the same result as LF', async () => {
    const crlf = files.find((f) => f.name === 'CRLF')!.path;
    const a = JSON.parse((await runCli(['top', '--format', 'json', '--no-symbolize', crlf])).stdout);
    const b = JSON.parse((await runCli(['top', '--format', 'json', '--no-symbolize', jemallocDump])).stdout);
    expect(a.total).toBe(b.total);
    expect(a.rows).toEqual(b.rows);
  });

  it('specific errors name what was expected and where', async () => {
    const at = (name: string) => files.find((f) => f.name === name)!.path;
    const cases: [string, RegExp][] = [
      ['empty', /:1: input is empty$/m],
      ['garbage', /:1: unrecognized input format: "hello world"$/m],
      ['binary noise', /:1: unrecognized binary input/m],
      ['truncated gzip', /:\d+: (corrupt or )?truncated gzip data/m],
      ['zip without members', /:1: zip archive has no members$/m],
      ['truncated zstd', /:\d+: truncated zstd data \(the stream ends early\)$/m],
      ['corrupt zstd', /:\d+: corrupt zstd data/m],
      ['heaptrack: undefined allocation info', /\.txt:\d+: allocation info fffff is not defined \(\d+ "a" records so far\): "\+ fffff"$/m],
      ['heaptrack: undefined trace', /\.txt:\d+: parent trace fffff is not defined/m],
      ['heaptrack: non-hexadecimal field', /\.txt:\d+: expected "a <size> <trace>": "a 12zz /m],
      ['heaptrack: unknown record', /\.txt:\d+: unknown record "Q"/m],
      ['heaptrack: raw record in an interpreted recording', /\.txt:\d+: a raw record \("x", "m"\) in an interpreted recording/m],
      ['invalid UTF-8', /:4: invalid UTF-8$/m],
      ['jemalloc: non-numeric count', /\.heap:2: expected "@ <addresses>"/m],
      ['jemalloc: negative count', /\.heap:\d+: negative count/m],
      ['jemalloc: count beyond 2^53', /\.heap:\d+: count exceeds 2\^53/m],
      ['jemalloc: stack line with no counts', /\.heap:\d+: stack has no "t\*:" totals line$/m],
      ['jemalloc: bad address', /\.heap:\d+: expected hexadecimal addresses after "@"/m],
    ];
    for (const [name, re] of cases) {
      const r = await runCli(['top', '--no-symbolize', at(name)]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toMatch(re);
    }
    // A truncated last record is a warning, not a failure.
    const truncated = await runCli(['top', '--no-symbolize', at('jemalloc: truncated last record')]);
    expect(truncated.code).toBe(0);
    expect(truncated.stderr).toMatch(/warning: the dump ends inside a stack record/);
    const cut = await runCli(['top', '--no-symbolize', at('heaptrack: truncated last record')]);
    expect(cut.code).toBe(0);
    expect(cut.stderr).toMatch(/warning: the input ends in the middle of a line \(truncated\?\); that line was dropped: "s /);
  });

  it('--lenient counts malformed records and keeps going; without it the first one stops the run', async () => {
    const bad = join(dir, 'many-bad.heap');
    writeFileSync(bad, jemallocText.replace(/(@[^\n]*\n  t\*: )(\d+):/g, (m, a, b, offset: number) => (offset % 3 === 0 ? `${a}x${b}:` : m)));
    const strict = await runCli(['top', '--no-symbolize', bad]);
    expect(strict.code).toBe(1);
    const lenient = await runCli(['top', '--format', 'json', '--no-symbolize', '--lenient', bad]);
    const info = JSON.parse((await runCli(['info', '--format', 'json', '--no-symbolize', '--lenient', bad])).stdout);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(/heapscope: warning: skipped malformed record: expected .*\(\d+ times; first at .*many-bad\.heap:\d+/);
    expect(info.inputs[0].warnings[0].count).toBeGreaterThan(0);
  });

  it('--max-stacks stops an input with too many stacks, with a clear message', async () => {
    const r = await runCli(['top', '--no-symbolize', '--max-stacks', '10', jemallocDump]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/more than 10 distinct stacks \(raise the limit with --max-stacks\)/);
  });

  it('no output file is left behind by a failed run', async () => {
    const out = join(dir, 'out.json');
    writeFileSync(out, 'previous');
    const r = await runCli(['top', '--format', 'json', '-o', out, files[0].path]);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
