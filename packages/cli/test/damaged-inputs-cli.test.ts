/**
 * Damaged inputs through the commands (issue 14, the input side): each must
 * give one located error line (exit 1) or a warning every command prints —
 * never a quiet wrong answer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { ANDROID_HEAP_DUMP_V12 } from '@heapscope/testkit/hand-written';

const dir = mkdtempSync(join(tmpdir(), 'heapscope-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gperf = findFiles(join(FIXTURES, 'gperftools'), /0005\.heap$/)[0];
const gperfEarlier = findFiles(join(FIXTURES, 'gperftools'), /0004\.heap$/)[0];
const jemalloc = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.f\.heap$/)[0];
const write = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ONE_LINE_ERROR = /^heapscope: [^\n]+:\d+: [^\n]+\n$/;

describe('a dump cut short', () => {
  it('a gperftools header cut mid-line (head -c 40) fails, it does not give an empty profile', async () => {
    const cut = write('head-c-40.heap', readFileSync(gperf).subarray(0, 40));
    for (const command of [['info'], ['top'], ['convert', '--to', 'collapsed']]) {
      const r = await runCli([...command, '--no-symbolize', cut]);
      expect(r.code, command[0]).toBe(1);
      expect(r.stderr, command[0]).toMatch(ONE_LINE_ERROR);
      expect(r.stderr).toMatch(/head-c-40\.heap:1: the input ends in the middle of its first line \(truncated\?\)/);
    }
  });

  it('a gperftools dump whose rows stop before its header totals (the 1 MiB dump buffer): every command warns with both figures; growth and diff mark it', async () => {
    // gperftools leaves out the rows that do not fit in its buffer and keeps the header and the maps.
    const lines = readFileSync(gperf, 'utf8').split('\n');
    const maps = lines.indexOf('');
    const cut = write('buffer-cut.0005.heap', [...lines.slice(0, 3), ...lines.slice(maps)].join('\n'));
    const warning = /the header says 2660 objects and 8477562 bytes in use, 126958 and 189556403 allocated; the rows add up to 1530 objects and 7299130 bytes in use, 21280 and 169742880 allocated: rows are missing \(truncated dump: gperftools leaves out the rows that do not fit in its 1 MiB dump buffer, or the file was cut\)/;
    for (const command of [['info'], ['top'], ['sizes'], ['churn'], ['convert', '--to', 'collapsed'], ['flamegraph', '-o', join(dir, 'f.svg')]]) {
      const r = await runCli([...command, '--no-symbolize', cut]);
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(0);
      expect(r.stderr, command[0]).toMatch(new RegExp(`heapscope: warning: ${warning.source}`));
    }
    const json = JSON.parse((await runCli(['info', '--format', 'json', '--no-symbolize', cut])).stdout);
    expect(json.inputs[0].warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(warning);
    const growth = await runCli(['growth', '--no-symbolize', '--order', 'given', gperfEarlier, cut]);
    expect(growth.stderr).toMatch(/warning: .*buffer-cut\.0005\.heap looks truncated/);
    const diff = await runCli(['diff', '--no-symbolize', gperfEarlier, cut]);
    expect(diff.stderr).toMatch(/warning: .*buffer-cut\.0005\.heap looks truncated/);
  });

  it('a jemalloc dump without its MAPPED_LIBRARIES section: a warning, and growth marks it', async () => {
    const text = readFileSync(jemalloc, 'utf8');
    const cut = write('no-maps.heap', text.slice(0, text.indexOf('\nMAPPED_LIBRARIES:') + 1));
    const top = await runCli(['top', '--no-symbolize', cut]);
    expect(top.code).toBe(0);
    expect(top.stderr).toMatch(/warning: the dump has no MAPPED_LIBRARIES section: it was cut short \(truncated\?\)/);
    const growth = await runCli(['growth', '--no-symbolize', '--order', 'given', jemalloc, cut]);
    expect(growth.stderr).toMatch(/no-maps\.heap looks truncated/);
  });

  it('a last line that still parses is not read as whole (a cut hex address is no frame)', async () => {
    const text = readFileSync(gperf, 'utf8');
    const rows = text.slice(0, text.indexOf('\n\nMAPPED_LIBRARIES:'));
    // The last row, cut inside its last address: it would parse, with a bogus frame.
    const cut = write('cut-address.heap', rows.slice(0, rows.lastIndexOf(' 0x') + 6));
    const info = JSON.parse((await runCli(['info', '--format', 'json', '--no-symbolize', cut])).stdout);
    expect(info.inputs[0].warnings.map((w: { message: string }) => w.message).join('\n')).toMatch(/the input ends in the middle of a line \(truncated\?\); that line was dropped: "     0:        0 \[     1:       24\] @ 0x7/);
  });
});

describe('statistics that lost their units or figures', () => {
  const proc = findFiles(join(FIXTURES, 'stats', 'glibc', 'leak'), /proc\.txt$/)[0];

  it('a /proc status cut inside "VmRSS:\\t 1810" (no kB) is an error, not a healthy verdict on bytes', async () => {
    const text = readFileSync(proc, 'utf8');
    // The second snapshot's VmRSS loses its unit (a copy cut there, then the next snapshot appended).
    const second = text.indexOf('VmRSS:', text.indexOf('### ', 1));
    const cut = write('proc-cut.txt', `${text.slice(0, second)}VmRSS:\t 1810\n${text.slice(text.indexOf('### ', second))}`);
    const r = await runCli(['diagnose', cut]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^heapscope: [^\n]*proc-cut\.txt:\d+: VmRSS is a size: its value is "<n> kB": "VmRSS: +1810"\n$/);
  });

  it('a tcmalloc dump cut after "Bytes in use": the warning says which dump lost what', async () => {
    const tc = findFiles(join(FIXTURES, 'stats', 'tcmalloc', 'leak'), /tcmalloc-stats\.txt$/)[0];
    const lines = readFileSync(tc, 'utf8').split('\n');
    const cut = write('tcmalloc-cut.txt', `${lines.slice(0, 3).join('\n')}\n`);
    const r = await runCli(['diagnose', cut]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/a tcmalloc dump ends before its "Actual memory used \(physical \+ swap\)" line \(truncated\?\): its resident figure is missing \(at .*tcmalloc-cut\.txt:2\)/);
  });

  it('malloc_info with size="99999999999999999999999" is an error at its line, not 8881784 PiB', async () => {
    const mi = findFiles(join(FIXTURES, 'stats', 'glibc', 'leak'), /malloc-info\.xml$/)[0];
    const text = readFileSync(mi, 'utf8').replace(/(<system type="current" size=")\d+/, '$199999999999999999999999');
    const r = await runCli(['diagnose', write('mi.xml', text)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mi\.xml:\d+: the value 99999999999999999999999 is beyond 2\^53/);
  });
});

describe('time going backwards in a trace', () => {
  it('record_allocs: counted with the first line; no negative lifetime in the histogram', async () => {
    const trace = write(
      'backwards.txt',
      ['1: malloc 0x10 8 1000 1010', '1: malloc 0x20 8 1100 1110', '1: free 0x20 900 905', '1: free 0x10 1200 1210', ''].join('\n'),
    );
    const info = JSON.parse((await runCli(['info', '--format', 'json', trace])).stdout);
    const warnings = info.inputs[0].warnings.map((w: { message: string; locations: { file: string; line: number }[] }) => `${w.message} (first at ${w.locations[0]?.file}:${w.locations[0]?.line})`).join('\n');
    expect(warnings).toMatch(/timestamps go backwards: .* \(first at .*backwards\.txt:3\)/);
    expect(warnings).toMatch(/blocks freed at a time before their allocation \(timestamps out of order\): their lifetimes in ns are left out \(first at .*backwards\.txt:3\)/);
  });
});

describe('two Android heap dumps appended', () => {
  it('is one error line at the second header (exit 1); with --lenient, the first dump and the warning', async () => {
    const twice = write('twice.txt', ANDROID_HEAP_DUMP_V12 + ANDROID_HEAP_DUMP_V12);
    const second = ANDROID_HEAP_DUMP_V12.split('\n').length;
    const strict = await runCli(['info', twice]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(ONE_LINE_ERROR);
    expect(strict.stderr).toMatch(new RegExp(`twice\\.txt:${second}: another profile starts here, after the first one's memory map \\(dumps concatenated\\?\\)`));
    const lenient = JSON.parse((await runCli(['info', '--lenient', '--format', 'json', twice])).stdout);
    const once = JSON.parse((await runCli(['info', '--format', 'json', write('once.txt', ANDROID_HEAP_DUMP_V12)])).stdout);
    expect(lenient.inputs[0].totals).toEqual(once.inputs[0].totals);
    expect(lenient.inputs[0].warnings.map((w: { message: string; locations: { line: number }[] }) => [w.message.slice(0, 60), w.locations[0]?.line])).toContainEqual([
      'skipped malformed record: another profile starts here, after',
      second,
    ]);
  });
});

describe('record_allocs events that do not fit the trace', () => {
  it('name the first line of each kind, on stderr and in JSON, also when read on worker threads', async () => {
    // A trace after docs/formats.md#record-allocs, damaged: line 3 frees a pointer never allocated,
    // line 4 allocates one that is live, line 5 reallocates one never allocated.
    const lines = ['7: malloc 0x7b00001000 32', '7: malloc 0x7b00002000 64', '7: free 0x7b00009000', '8: malloc 0x7b00001000 16', '8: realloc 0x7b00003000 0x7b0000a000 48', '7: free 0x7b00002000', ''];
    const trace = write('misfits.txt', lines.join('\n'));
    const other = write('misfits-too.txt', lines.join('\n'));
    const text = await runCli(['info', trace, other, '--jobs', '2']);
    expect(text.code).toBe(0);
    for (const file of [trace, other]) {
      const warnings = text.stderr.split('\n').filter((l) => l.startsWith('heapscope: warning: ') && l.includes(file));
      expect(warnings).toEqual([
        `heapscope: warning: allocations of a pointer that was already live: its earlier block is taken as freed (free events missing, or two traces appended?) (at ${file}:4)`,
        `heapscope: warning: frees of pointers not allocated in the trace (allocated before recording started?) (at ${file}:3)`,
        `heapscope: warning: reallocs of pointers not allocated in the trace (allocated before recording started?): only the new block counts (at ${file}:5)`,
      ]);
    }
    const json = JSON.parse((await runCli(['info', '--format', 'json', trace])).stdout);
    expect(json.inputs[0].warnings.map((w: { count: number; locations: unknown[] }) => [w.count, w.locations])).toEqual([
      [1, [{ file: trace, line: 4 }]],
      [1, [{ file: trace, line: 3 }]],
      [1, [{ file: trace, line: 5 }]],
    ]);
  });
});

describe('limits, with the options that raise them', () => {
  it('pprof: a string longer than --max-string-bytes, more samples than --max-samples', async () => {
    // A thread name of 300 bytes: its pprof has a string that long.
    const text = readFileSync(jemalloc, 'utf8').replace(/^( {2}t0: [^\n]*)$/m, `$1 ${'w'.repeat(300)}`);
    const pb = join(dir, 'j.pb.gz');
    expect((await runCli(['convert', '--to', 'pprof', '--no-symbolize', '-o', pb, write('named.heap', text)])).code).toBe(0);
    const long = await runCli(['info', '--max-string-bytes', '200', pb]);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/^heapscope: [^\n]*j\.pb\.gz:1: string_table #\d+ is 300 bytes long, more than 200 \(raise the limit with --max-string-bytes\)\n$/);
    const many = await runCli(['info', '--max-samples', '3', pb]);
    expect(many.code).toBe(1);
    expect(many.stderr).toMatch(/^heapscope: [^\n]*:1: more than 3 samples \(raise the limit with --max-samples\)\n$/);
    expect((await runCli(['info', '--max-samples', '100', '--max-string-bytes', '1MiB', pb])).code).toBe(0);
  });

  it('a compressed input beyond --max-decompressed-bytes (gzip, zstd)', async () => {
    for (const [tool, suffix] of [['gzip', 'gz'], ['zstd', 'zst']]) {
      const path = write(`big.heap.${suffix}`, execFileSync(tool, ['-c', '-q', jemalloc]));
      const r = await runCli(['info', '--max-decompressed-bytes', '1KiB', path]);
      expect(r.code, tool).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`big\\.heap\\.${suffix}:\\d+: more than 1024 bytes after decompression \\(raise the limit with --max-decompressed-bytes\\)`));
      expect((await runCli(['info', '--max-decompressed-bytes', '1GiB', path])).code, tool).toBe(0);
    }
  });

  it('an xz, bzip2 or lz4 input: an error that names the compression', async () => {
    for (const [tool, name] of [['xz', 'xz'], ['bzip2', 'bzip2'], ['lz4', 'lz4']]) {
      let bytes: Buffer;
      try {
        bytes = execFileSync(tool, ['-c', '-q', jemalloc]);
      } catch {
        continue; // the tool is not installed: nothing to make the input with
      }
      const r = await runCli(['top', write(`j.heap.${tool}`, bytes)]);
      expect(r.code, tool).toBe(1);
      expect(r.stderr, tool).toMatch(new RegExp(`:1: ${name}-compressed input: heapscope reads plain, gzip, zstd and zip inputs`));
    }
  });
});

describe('compressed copies of a series (gzip jeprof.*.heap, zstd *.heap)', () => {
  it('keep what the dumps\' names say: pid, sequence and kind, and growth orders them by sequence, not as given', async () => {
    const series = findFiles(join(FIXTURES, 'jemalloc', 'all'), /\.heap$/);
    expect(series.length).toBeGreaterThan(3);
    for (const [tool, suffix] of [['gzip', 'gz'], ['zstd', 'zst']]) {
      const copies = series.map((p) => write(`${p.split('/').at(-1)}.${suffix}`, execFileSync(tool, ['-c', '-q', p])));
      const plain = JSON.parse((await runCli(['info', '--format', 'json', '--no-symbolize', series[0]])).stdout).inputs[0];
      const copy = JSON.parse((await runCli(['info', '--format', 'json', '--no-symbolize', copies[0]])).stdout).inputs[0];
      expect([copy.pid, copy.dumpSeq, copy.dumpKind], tool).toEqual([plain.pid, plain.dumpSeq, plain.dumpKind]);
      expect(copy.pid, tool).toBeGreaterThan(0);
      // Given last to first, as a shell's sort gives `…10.i10.heap.gz` before `…2.i2.heap.gz`.
      const growth = (inputs: string[]) => runCli(['growth', '--format', 'json', '--no-symbolize', ...inputs]);
      const fromCopies = JSON.parse((await growth([...copies].reverse())).stdout);
      const fromDumps = JSON.parse((await growth(series)).stdout);
      const base = (label: string) => label.split('/').at(-1)!.replace(/\.(gz|zst)$/, '');
      expect(fromCopies.labels.map(base), tool).toEqual(fromDumps.labels.map(base));
      expect(fromCopies.rows, tool).toEqual(fromDumps.rows);
    }
  });
});
