/**
 * Allocator statistics after a chatty program's own output: detection finds
 * a dump wherever it starts (past the head it sniffs: 64 KiB, or the first
 * chunk), on every statistics format, from a file, a compressed file and a
 * stream, and reads the file whole as if the dump had been at its top; a
 * text file without statistics is read once before its error. The dumps are
 * the real ones of fixtures/stats; the program output is objdump's, made
 * here. And a log with dumps of two formats: the first is read, and a
 * warning names the other.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAD_BYTES, ParseError, detectImporterIn, openBytes, openInput, parseStats, type AllocatorStats, type Input, type StatsImporter } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { which } from './helpers/elf-tools.js';

const STATS = join(FIXTURES, 'stats');
/** One fixture per statistics importer, and the importer that reads it. */
const DUMPS: [string, string][] = [
  ['jemalloc/leak/jemalloc-stats.txt.gz', 'jemalloc-stats'],
  ['jemalloc/leak/jemalloc-stats.json.gz', 'jemalloc-stats-json'],
  ['glibc/leak/malloc-info.xml', 'glibc-malloc-info'],
  ['glibc/leak/malloc-stats.txt', 'glibc-malloc-stats'],
  ['tcmalloc/leak/tcmalloc-stats.txt', 'tcmalloc-stats'],
  ['mimalloc/leak/mimalloc-stats.txt', 'mimalloc-stats'],
  ['mimalloc-stat/leak/mimalloc-stats.txt', 'mimalloc-stats'],
];
const HAVE_OBJDUMP = which('objdump') !== null;

const dir = mkdtempSync(join(tmpdir(), 'heapscope-past-head-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function text(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** A program's real output, in whole lines, at least `bytes` long: objdump's disassembly of the C++ fixture, as often as needed. */
const disassembly = HAVE_OBJDUMP ? execFileSync('objdump', ['-dl', join(FIXTURES, 'cxx', 'bin', 'cxx-workload')], { encoding: 'utf8', maxBuffer: 64 << 20 }) : '';
function programOutput(bytes: number): string {
  let out = '';
  while (out.length < bytes) out += disassembly;
  return bytes === 0 ? '' : out.slice(0, out.indexOf('\n', bytes - 1) + 1);
}
const linesOf = (s: string) => s.split('\n').length - 1;

async function read(input: Input): Promise<AllocatorStats> {
  const { importer, input: again } = await detectImporterIn(input);
  if (importer.kind !== 'stats') throw new Error(`detected as ${importer.id}`);
  return parseStats(again, importer as StatsImporter);
}

/** The dump read alone, with its lines and warnings moved down by `lines`. */
async function shifted(path: string, lines: number): Promise<{ snapshots: unknown[]; warnings: unknown[] }> {
  const whole = await read(await openInput(join(STATS, path)));
  return {
    snapshots: whole.snapshots.map((s) => ({ ...s, line: s.line + lines })),
    warnings: whole.warnings.map((w) => [w.message, w.locations[0].line + lines]),
  };
}

/** What a log of `preamble` then the dump must read as: the dump's own, and one warning for the program's lines. */
async function expectReadWhole(stats: AllocatorStats, path: string, format: string, preamble: string): Promise<void> {
  const lines = linesOf(preamble);
  const alone = await shifted(path, lines);
  expect(stats.format).toBe(format);
  expect(stats.snapshots).toEqual(alone.snapshots);
  const outside = preamble.split('\n').filter((l) => l.trim() !== '').length;
  const first = preamble.split('\n').findIndex((l) => l.trim() !== '') + 1;
  expect(stats.warnings.map((w) => [w.message, w.locations[0].line])).toEqual([
    [expect.stringMatching(new RegExp(`^${outside} lines outside the .* ignored \\(first: "`)), first],
    ...alone.warnings,
  ]);
}

describe.skipIf(!HAVE_OBJDUMP)(`statistics after more program output than detection sniffs${HAVE_OBJDUMP ? '' : ' (skipped: no objdump)'}`, () => {
  for (const [path, format] of DUMPS) {
    for (const size of [HEAD_BYTES + 1, (1 << 20) + 1, 3 << 20]) {
      const preamble = programOutput(size);
      const log = preamble + text(join(STATS, path));
      it(`${path} after ${preamble.length} bytes: from a file, in chunks smaller than the head, gzipped, and from a stream`, async () => {
        const file = join(dir, `${format}-${size}.log`);
        writeFileSync(file, log);
        await expectReadWhole(await read(await openInput(file)), path, format, preamble);
        await expectReadWhole(await read(await openInput(file, { chunkBytes: 4000 })), path, format, preamble);
        writeFileSync(`${file}.gz`, gzipSync(log));
        await expectReadWhole(await read(await openInput(`${file}.gz`)), path, format, preamble);
        const stdin = Readable.from((function* () {
          for (let i = 0; i < log.length; i += 65536) yield Buffer.from(log.slice(i, i + 65536));
        })());
        await expectReadWhole(await read(await openInput('-', { stdin })), path, format, preamble);
      });
    }
  }

  // The head ends inside a dump's first line, or between the two lines a
  // format's start is told by (glibc's "Arena 0:" and "system bytes",
  // tcmalloc's rule and "Bytes in use by application").
  for (const [path, format] of DUMPS) {
    it(`${path}: a dump that starts across the end of the head`, async () => {
      const dump = text(join(STATS, path));
      // Where the head ends: in or after the dump's first line (its first 100 bytes), and its second.
      const [one, two] = dump.split('\n').map((l) => Math.min(l.length + 1, 100));
      const ends = [1, 2, one - 1, one, one + 1, one + 2, one + two - 1, one + two, one + two + 1];
      const base = programOutput(HEAD_BYTES);
      const cut = base.slice(0, base.lastIndexOf('\n', HEAD_BYTES - 300) + 1);
      for (const offset of ends.map((e) => -e).concat([0, 1, 2])) {
        // A line of the program's own that pads the preamble so the dump's first line starts at HEAD_BYTES + offset.
        const pad = HEAD_BYTES + offset - cut.length - 1;
        const preamble = `${cut}${'x'.repeat(pad)}\n`;
        const input = await openBytes('log.txt', new TextEncoder().encode(preamble + dump), { chunkBytes: HEAD_BYTES });
        await expectReadWhole(await read(input), path, format, preamble);
      }
    });
  }

  it('a text file without statistics is read once, to its end, before its error', async () => {
    const file = join(dir, 'no-stats.log');
    writeFileSync(file, programOutput(3 << 20));
    let read = 0;
    const input = await openInput(file, { onProgress: (bytes) => (read = bytes) });
    const error = await detectImporterIn(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).message).toMatch(/^.*no-stats\.log:1: unrecognized input format: /);
    expect(read).toBe(statSync(file).size);
  });

  it('a log with statistics is read past its head up to them, then again from the start', async () => {
    const file = join(dir, 'read-twice.log');
    const output = programOutput(3 << 20);
    writeFileSync(file, output + text(join(STATS, 'tcmalloc/leak/tcmalloc-stats.txt')) + output);
    let total = 0;
    let last = 0;
    const input = await openInput(file, {
      onProgress: (bytes) => {
        total += bytes < last ? bytes : bytes - last;
        last = bytes;
      },
    });
    const stats = await read(input);
    expect(stats.snapshots).toHaveLength(7);
    // The scan stops where the dump starts (within a chunk of 1 MiB); the import reads the whole file.
    const size = statSync(file).size;
    expect(total).toBeGreaterThan(size + output.length - (1 << 20));
    expect(total).toBeLessThan(size + output.length + (2 << 20));
  });
});

describe('a log with dumps of two formats (one printed on a signal, one at exit)', () => {
  const pairs: [string, string, string, string][] = [
    ['jemalloc/exit/jemalloc-stats.txt.gz', 'jemalloc-stats', 'jemalloc/exit/jemalloc-stats.json.gz', 'jemalloc-stats-json'],
    ['glibc/steady/malloc-stats.txt', 'glibc-malloc-stats', 'glibc/steady/malloc-info.xml', 'glibc-malloc-info'],
    ['tcmalloc/exit/tcmalloc-stats.txt', 'tcmalloc-stats', 'mimalloc/exit/mimalloc-stats.txt', 'mimalloc-stats'],
  ];
  const names: Record<string, string> = {
    'jemalloc-stats': 'jemalloc statistics \\(text\\)',
    'jemalloc-stats-json': 'jemalloc JSON statistics',
    'glibc-malloc-stats': 'malloc_stats output',
    'glibc-malloc-info': 'malloc_info output',
    'tcmalloc-stats': 'tcmalloc statistics',
    'mimalloc-stats': 'mimalloc statistics',
  };
  for (const [a, aFormat, b, bFormat] of pairs) {
    for (const [first, firstFormat, second, secondFormat] of [[a, aFormat, b, bFormat], [b, bFormat, a, aFormat]]) {
      for (const before of HAVE_OBJDUMP ? [0, 1000, (1 << 20) + 1] : [0]) {
        it(`${first} then ${second}, after ${before} bytes of program output: the first is read, and a warning names the second at its line`, async () => {
          const preamble = programOutput(before);
          const one = text(join(STATS, first));
          const head = preamble + (one.endsWith('\n') ? one : `${one}\n`) + 'program: caught SIGTERM\n';
          const log = `${head}${text(join(STATS, second))}\n`;
          const stats = await read(await openBytes('log.txt', new TextEncoder().encode(log)));
          expect(stats.format).toBe(firstFormat);
          const alone = await read(await openInput(join(STATS, first)));
          expect(stats.snapshots.length).toBe(alone.snapshots.length);
          const warning = stats.warnings.find((w) => w.message.includes('not read'));
          expect(warning?.message).toMatch(new RegExp(`^${names[secondFormat]} from this line on not read: a file is read as one format, here `));
          expect(warning?.locations[0].line).toBe(linesOf(head) + 1);
        });
      }
    }
  }
});
