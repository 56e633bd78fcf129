import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ParseError, openBytes, openInput, type LineBatch, type LineReading } from '@heapscope/parser';

const enc = (s: string) => new TextEncoder().encode(s);

async function collect(bytes: Uint8Array, chunkBytes?: number, maxLineBytes?: number, reading: LineReading = { finalLine: 'whole' }) {
  const input = await openBytes('in.txt', bytes, { chunkBytes, maxLineBytes });
  const source = input.lines(reading);
  const lines: string[] = [];
  const numbers: number[] = [];
  for await (const batch of source as AsyncIterable<LineBatch>) {
    batch.lines.forEach((l, i) => {
      lines.push(l);
      numbers.push(batch.firstLine + i);
    });
  }
  return { lines, numbers, cutLine: source.cutLine, compression: input.compression };
}

describe('input layer', () => {
  const text = 'first line\nsecond\r\n\nfourth — ünïcode\nlast without newline';
  const expected = ['first line', 'second', '', 'fourth — ünïcode', 'last without newline'];

  for (const chunk of [1, 2, 3, 7, 1 << 20]) {
    it(`splits lines across ${chunk}-byte chunks, dropping CR; a final line without newline is kept only when the reader allows it`, async () => {
      const r = await collect(enc(text), chunk);
      expect(r.lines).toEqual(expected);
      expect(r.numbers).toEqual([1, 2, 3, 4, 5]);
      expect(r.cutLine).toBe(0);
      const cuts: [number, string][] = [];
      const cut = await collect(enc(text), chunk, undefined, { onCut: (line, t) => cuts.push([line, t]) });
      expect(cut.lines).toEqual(expected.slice(0, 4));
      expect(cut.cutLine).toBe(5);
      expect(cuts).toEqual([[5, 'last without newline']]);
    });
  }

  it('does not invent an empty line after a final newline', async () => {
    const r = await collect(enc('a\nb\n'), 1, undefined, {});
    expect(r.lines).toEqual(['a', 'b']);
    expect(r.cutLine).toBe(0);
  });

  it('reads gzip (also multi-member) and the first member of a zip', async () => {
    const gz = await collect(gzipSync(enc(text)), 5);
    expect(gz.lines).toEqual(expected);
    expect(gz.compression).toBe('gzip');
    const two = new Uint8Array([...gzipSync(enc('a\n')), ...gzipSync(enc('b\n'))]);
    expect((await collect(two, 3)).lines).toEqual(['a', 'b']);
    const zip = await collect(zipSync({ 'first.txt': enc(text), 'second.txt': enc('other\n') }), 11);
    expect(zip.lines).toEqual(expected);
    expect(zip.compression).toBe('zip');
  });

  it('rejects truncated gzip at every cut point, with the line where reading stopped', async () => {
    const full = gzipSync(enc('line\n'.repeat(2000)));
    for (const cut of [3, 20, full.length >> 1, full.length - 9, full.length - 4, full.length - 1]) {
      const error = await collect(full.subarray(0, cut), 64).catch((e) => e);
      expect(error, `cut at ${cut}`).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/^in\.txt:\d+: (corrupt or )?truncated gzip data/);
    }
  });

  it('reads a deflated zip from a file, whether the archive ends in the same read as the member or later', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-zip-'));
    try {
      for (const [lines, chunkBytes] of [[10, undefined], [20_000, undefined], [20_000, 4096], [20_000, 7]] as const) {
        const body = Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}`).join('\n') + '\n';
        const path = join(dir, `t${lines}.zip`);
        writeFileSync(path, zipSync({ 'member.txt': enc(body), 'other.txt': enc('not read\n') }));
        const input = await openInput(path, { chunkBytes });
        const got: string[] = [];
        for await (const batch of input.lines() as AsyncIterable<LineBatch>) got.push(...batch.lines);
        expect(input.compression).toBe('zip');
        expect(got.length).toBe(lines);
        expect(got[lines - 1]).toBe(`line ${lines - 1} ${'x'.repeat((lines - 1) % 17)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an empty zip and a truncated zip member', async () => {
    await expect(collect(zipSync({}))).rejects.toThrow('in.txt:1: zip archive has no members');
    const zip = zipSync({ 'a.txt': enc('x'.repeat(5000) + '\n') }, { level: 0 });
    await expect(collect(zip.subarray(0, 2000), 100)).rejects.toThrow(/in\.txt:1: (corrupt or truncated zip data|truncated zip data \(member a\.txt is incomplete\))/);
  });

  it('names the line of invalid UTF-8', async () => {
    const bytes = new Uint8Array([...enc('ok\nfine\n'), 0xff, 0xfe, ...enc('\nmore\n')]);
    for (const chunk of [1, 4, 1024]) {
      await expect(collect(bytes, chunk)).rejects.toThrow('in.txt:3: invalid UTF-8');
    }
  });

  it('rejects a line longer than the limit, with its number', async () => {
    await expect(collect(enc(`a\nb\n${'x'.repeat(5000)}\n`), 100, 1000)).rejects.toThrow('in.txt:3: line longer than 1000 bytes');
    await expect(collect(enc(`a\n${'x'.repeat(5000)}`), 64 * 1024, 1000)).rejects.toThrow('in.txt:2: line longer than 1000 bytes');
  });

  it('reads stdin for "-" and reports a missing file', async () => {
    const input = await openInput('-', { stdin: Readable.from([Buffer.from('a\n'), Buffer.from('b')]) });
    const lines: string[] = [];
    for await (const b of input.lines({ finalLine: 'whole' })) lines.push(...b.lines);
    expect(lines).toEqual(['a', 'b']);
    await expect(openInput('/definitely/not/here.heap')).rejects.toThrow('/definitely/not/here.heap:1: cannot read input: no such file');
  });
});
