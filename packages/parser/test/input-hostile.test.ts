/**
 * The input layer against damaged and hostile bytes: lines cut short, runs
 * of empty lines, invalid UTF-8 under --lenient, byte order marks,
 * compressions heapscope does not read (zstd, which it does, is in
 * zstd-input.test.ts), zip members whose CRC-32 or sizes
 * disagree with their data (plain and through stdin), decompression bombs,
 * and the listener leak of backpressure waits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseError, openBytes, openInput, type Input, type LineReading } from '@heapscope/parser';
import { zstdSync } from '@heapscope/testkit/inputs';

const enc = (s: string) => new TextEncoder().encode(s);
const dir = mkdtempSync(join(tmpdir(), 'hs-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every line of an input with its number, and what the reader was told. */
async function read(input: Input, reading: LineReading = {}) {
  const lines: [number, string][] = [];
  const reports: [number, string][] = [];
  const cuts: [number, string][] = [];
  const source = input.lines({ ...reading, report: (m, l) => reports.push([l, m]), onCut: (l, t) => cuts.push([l, t]) });
  for await (const batch of source) batch.lines.forEach((l, i) => lines.push([batch.firstLine + i, l]));
  return { lines, reports, cuts };
}

/** The same, read as undecoded bytes through the byte cursor. */
async function readBytes(input: Input, reading: LineReading = {}) {
  const lines: [number, string][] = [];
  const reports: [number, string][] = [];
  for await (const cursor of input.lines({ ...reading, report: (m, l) => reports.push([l, m]) }).bytes()) {
    while (cursor.advance()) lines.push([cursor.lineNo, cursor.text()]);
  }
  return { lines, reports };
}

describe('a last line without a newline', () => {
  it('is dropped and reported as cut short; a line that still parses is not taken as whole', async () => {
    for (const chunkBytes of [1, 7, 1 << 20]) {
      const r = await read(await openBytes('t.perf', enc('a\nptr=0x555555555772\nptr=0x5555555'), { chunkBytes }));
      expect(r.lines).toEqual([[1, 'a'], [2, 'ptr=0x555555555772']]);
      expect(r.cuts).toEqual([[3, 'ptr=0x5555555']]);
    }
  });

  it('fails when it is the first line (a header cut mid-line leaves nothing to read)', async () => {
    for (const text of ['heap profile:    500:  41', '\n\n  heap profile: 5']) {
      const error = await read(await openBytes('g.heap', enc(text))).catch((e) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/^g\.heap:\d+: the input ends in the middle of its first line \(truncated\?\)$/);
    }
  });

  it('is an error for a reader that does not listen for it: nothing is dropped unheard', async () => {
    const source = (await openBytes('t.txt', enc('a\nb'))).lines();
    const read = async () => {
      for await (const batch of source) void batch;
    };
    await expect(read()).rejects.toThrow('t.txt:2: the input ends in the middle of a line (truncated?); that line was dropped: "b"');
  });

  it('is read as whole where the format allows it', async () => {
    const r = await read(await openBytes('s.json', enc('{"jemalloc":{}}')), { finalLine: 'whole' });
    expect(r.lines).toEqual([[1, '{"jemalloc":{}}']]);
    expect(r.cuts).toEqual([]);
  });
});

describe('runs of empty lines', () => {
  const body = (eol: string) => `a${eol}${eol.repeat(10_000)}b${eol}${eol.repeat(100)}c${eol}`;
  for (const eol of ['\n', '\r\n']) {
    for (const chunkBytes of [1, 7, 4096, 1 << 20]) {
      it(`are handed on as one empty line, numbered right (${JSON.stringify(eol)}, ${chunkBytes}-byte chunks)`, async () => {
        const bytes = enc(body(eol));
        for (const r of [await read(await openBytes('e.txt', bytes, { chunkBytes })), await readBytes(await openBytes('e.txt', bytes, { chunkBytes }))]) {
          const numbered = new Map(r.lines);
          // Whatever the chunking, the lines with text keep their numbers.
          expect(numbered.get(1)).toBe('a');
          expect(numbered.get(10_002)).toBe('b');
          expect(numbered.get(10_103)).toBe('c');
          expect(r.lines.filter(([, l]) => l !== '').map(([n]) => n)).toEqual([1, 10_002, 10_103]);
          // Far fewer empty lines than in the input: a run costs one line per chunk at most.
          expect(r.lines.length).toBeLessThan(chunkBytes === 1 ? 20_300 : 40);
        }
      });
    }
  }

  it('keep short runs as they are', async () => {
    const r = await read(await openBytes('e.txt', enc('a\n\n\nb\n')));
    expect(r.lines).toEqual([[1, 'a'], [2, ''], [3, ''], [4, 'b']]);
  });
});

describe('invalid UTF-8', () => {
  const bytes = new Uint8Array([...enc('ok\n'), ...enc('comm '), 0xff, 0xfe, ...enc(' 1234\nfine\n')]);

  it('is an error at its line, and under lenient a counted replacement', async () => {
    await expect(read(await openBytes('u.txt', bytes))).rejects.toThrow('u.txt:2: invalid UTF-8');
    for (const r of [await read(await openBytes('u.txt', bytes), { lenient: true }), await readBytes(await openBytes('u.txt', bytes), { lenient: true })]) {
      expect(r.lines).toEqual([[1, 'ok'], [2, 'comm \uFFFD\uFFFD 1234'], [3, 'fine']]);
      expect(r.reports).toEqual([[2, 'invalid UTF-8, replaced by U+FFFD']]);
    }
  });
});

describe('a byte order mark', () => {
  it('is not content: the head and the lines start after it, plain and gzipped', async () => {
    const text = '\uFEFFheap_v2/1\n  t*: 1: 16 [0: 0]\n';
    for (const bytes of [enc(text), gzipSync(enc(text))]) {
      const input = await openBytes('b.heap', bytes);
      expect(input.headText().startsWith('heap_v2/1')).toBe(true);
      expect((await read(input)).lines[0]).toEqual([1, 'heap_v2/1']);
    }
  });
});

describe('compressions heapscope does not read', () => {
  const tools: [string, string[], RegExp][] = [
    ['bzip2', ['-c'], /bzip2-compressed input: heapscope reads plain, gzip, zstd and zip inputs \(decompress it first, e\.g\. with bunzip2/],
    ['xz', ['-c'], /xz-compressed input: .*unxz/],
    ['lz4', ['-c', '-q'], /lz4-compressed input: .*unlz4/],
  ];
  const plain = join(dir, 'plain.heap');
  writeFileSync(plain, 'heap_v2/1\n  t*: 1: 16 [0: 0]\n');
  for (const [tool, args, message] of tools) {
    it(`${tool}: an error that names the compression`, async (ctx) => {
      let bytes: Buffer;
      try {
        bytes = execFileSync(tool, [...args, plain]);
      } catch {
        ctx.skip();
        return;
      }
      const error = await openBytes('x.heap', bytes).catch((e) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(new RegExp(`^x\\.heap:1: ${message.source}`));
    });
  }
});

describe('zip members are checked against their CRC-32 and sizes', () => {
  const text = Array.from({ length: 200 }, (_, i) => `${100 + i}: malloc 0x${(0x7000 + i * 16).toString(16)} ${i + 1}`).join('\n') + '\n';
  const body = enc(text);

  async function readAll(bytes: Uint8Array, chunkBytes = 64, viaStdin = false) {
    const input = viaStdin
      ? await openInput('-', { stdin: Readable.from(Array.from({ length: Math.ceil(bytes.length / chunkBytes) }, (_, i) => Buffer.from(bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes)))) })
      : await openBytes('t.zip', bytes, { chunkBytes });
    return read(input);
  }

  it('reads good members, stored and deflated, from bytes and through stdin', async () => {
    for (const level of [0, 6] as const) {
      for (const viaStdin of [false, true]) {
        const r = await readAll(zipSync({ 'trace.txt': body }, { level }), 13, viaStdin);
        expect(r.lines.length).toBe(200);
      }
    }
  });

  it('a changed digit in a stored member: a located error naming the member', async () => {
    const zip = zipSync({ 'trace.txt': body }, { level: 0 });
    const at = zip.indexOf(enc('0x7010')[0], 40 + zip.indexOf(0x37)); // a digit inside the data
    const bad = zip.slice();
    bad[at] = bad[at] === 0x31 ? 0x32 : 0x31;
    for (const viaStdin of [false, true]) {
      const error = await readAll(bad, 64, viaStdin).catch((e) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/^(t\.zip|-):\d+: zip member trace\.txt is corrupt: its CRC-32 is 0x[0-9a-f]{8}, its data's is 0x[0-9a-f]{8}$/);
    }
  });

  it('a size that disagrees with the data: a located error naming the member', async () => {
    for (const level of [0, 6] as const) {
      const zip = zipSync({ 'trace.txt': body }, { level });
      const bad = zip.slice();
      // The uncompressed size field of the local header (offset 22), one more.
      new DataView(bad.buffer).setUint32(22, new DataView(zip.buffer).getUint32(22, true) + 1, true);
      const error = await readAll(bad).catch((e) => e);
      expect(error, `level ${level}`).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/zip member trace\.txt is corrupt: \d+ bytes, where its header says \d+$/);
    }
  });

  it('a member written with a data descriptor (zip reading stdin) is checked against it', async (ctx) => {
    let zip: Buffer;
    try {
      zip = execFileSync('zip', ['-q', '-', '-'], { input: Buffer.from(body) });
    } catch {
      ctx.skip();
      return;
    }
    expect(zip[6] & 8).toBe(8); // flag bit 3: sizes and CRC follow the data
    for (const chunkBytes of [1, 7, 1 << 20]) expect((await readAll(zip, chunkBytes)).lines.length).toBe(200);
    // The descriptor's CRC (after its signature), changed.
    const bad = Buffer.from(zip);
    const descriptor = bad.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]));
    bad[descriptor + 4] ^= 0xff;
    const error = await readAll(bad).catch((e) => e);
    expect(error).toBeInstanceOf(ParseError);
    expect(error.message).toMatch(/zip member - is corrupt: its CRC-32 is/);
  });
});

describe('decompression bombs', () => {
  it('stop at the decompressed-bytes limit, with the option that raises it, for gzip, zstd and zip', async () => {
    const bomb = new Uint8Array(4 << 20).fill(10);
    for (const bytes of [gzipSync(bomb), zstdSync(bomb), zipSync({ 'bomb.txt': bomb })]) {
      expect(bytes.length).toBeLessThan(64 << 10);
      const input = await openBytes('bomb', bytes, { maxDecompressedBytes: 1 << 20 });
      const error = await read(input).catch((e) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/^bomb:\d+: more than 1048576 bytes after decompression \(raise the limit with --max-decompressed-bytes\)$/);
    }
    // Under the limit, the same bytes are read: 4 million empty lines as a
    // few per decompressed chunk (gzip's are 1 MiB, zstd's 128 KiB blocks).
    for (const [bytes, chunks] of [[gzipSync(bomb), 4], [zstdSync(bomb), 32]] as const) {
      const lines = (await read(await openBytes('bomb', bytes, { maxDecompressedBytes: 8 << 20 }))).lines;
      expect(lines.length).toBeLessThan(4 * chunks);
    }
  });
});

describe('backpressure waits', () => {
  it('leave no listener behind (no MaxListenersExceededWarning on a large gzip input)', async () => {
    // Pseudo-random lines compress poorly: the inflater's input side fills up again and again.
    let x = 12345;
    const next = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x.toString(16));
    const text = Array.from({ length: 250_000 }, () => `${next()} ${next()} ${next()} ${next()}`).join('\n') + '\n';
    const path = join(dir, 'big.txt.gz');
    writeFileSync(path, gzipSync(enc(text), { level: 1 }));
    expect(readFileSync(path).length).toBeGreaterThan(4 << 20);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      let count = 0;
      for await (const batch of (await openInput(path, { chunkBytes: 16 << 10 })).lines()) count += batch.lines.length;
      expect(count).toBe(250_000);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
  });
});
