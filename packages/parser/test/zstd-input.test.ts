/**
 * zstd inputs (input/zstd.ts): compressed by the real `zstd` command
 * (installed by scripts/setup.sh), read in any chunking, from a file or
 * stdin, one frame or several; a stream cut short or corrupted is a located
 * error, never a silent short read. Every case runs twice: decompressed on
 * this thread and on a worker thread (input/zstd-thread.ts), which must give
 * the same lines and the same errors at the same lines.
 */
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParseError, ZSTD_THREAD_MIN_BYTES, openBytes, openInput, type LineBatch } from '@heapscope/parser';
import { zstdSync } from '@heapscope/testkit/inputs';
import { runningZstdWorkers } from '../src/input/zstd-thread.js';

const enc = (s: string) => new TextEncoder().encode(s);


/** Whether the cases below decompress on a worker thread. */
let zstdOnThread = false;

async function linesOf(bytes: Uint8Array, chunkBytes?: number): Promise<{ lines: string[]; compression: string }> {
  const input = await openBytes('in.zst', bytes, { chunkBytes, zstdOnThread });
  const lines: string[] = [];
  for await (const batch of input.lines() as AsyncIterable<LineBatch>) lines.push(...batch.lines);
  return { lines, compression: input.compression };
}

const body = Array.from({ length: 5000 }, (_, i) => `+ ${i.toString(16)}\n- ${(i >> 1).toString(16)}`).join('\n') + '\n';
const expected = body.slice(0, -1).split('\n');

for (const onThread of [false, true]) describe(`zstd input, decompressed on ${onThread ? 'a worker thread' : 'this thread'}`, () => {
  beforeAll(() => {
    zstdOnThread = onThread;
  });

  for (const chunk of [1, 7, 4096, 1 << 20]) {
    it(`decompresses in ${chunk}-byte chunks`, async () => {
      const r = await linesOf(zstdSync(enc(body)), chunk);
      expect(r.compression).toBe('zstd');
      expect(r.lines).toEqual(expected);
    });
  }

  it('reads several frames one after another, with and without checksums, at any level', async () => {
    const two = new Uint8Array([...zstdSync(enc('a\nb\n'), '-19', '--check'), ...zstdSync(enc('c\n'), '-1', '--no-check')]);
    expect((await linesOf(two, 3)).lines).toEqual(['a', 'b', 'c']);
  });

  it('reads a long stream whose window is larger than one read (bounded by the window, not the file)', async () => {
    // 6 MB of lines that repeat at long distances: matches reach back across reads.
    const long = Array.from({ length: 300_000 }, (_, i) => `t ${(i % 9973).toString(16)} ${(i % 7919).toString(16)}`).join('\n') + '\n';
    const r = await linesOf(zstdSync(enc(long), '-9'), 64 * 1024);
    expect(r.lines.length).toBe(300_000);
    expect(r.lines[299_999]).toBe(`t ${(299_999 % 9973).toString(16)} ${(299_999 % 7919).toString(16)}`);
  });

  it('reads zstd from stdin', async () => {
    const compressed = zstdSync(enc(body));
    const pieces = [compressed.subarray(0, 5), compressed.subarray(5, 999), compressed.subarray(999)].map((p) => Buffer.from(p));
    const input = await openInput('-', { stdin: Readable.from(pieces), zstdOnThread });
    const lines: string[] = [];
    for await (const b of input.lines()) lines.push(...b.lines);
    expect(input.compression).toBe('zstd');
    expect(lines).toEqual(expected);
  });

  it('rejects a stream cut anywhere, with the line where reading stopped', async () => {
    const full = zstdSync(enc(body), '--check');
    for (const cut of [5, 12, full.length >> 1, full.length - 5, full.length - 1]) {
      for (const chunk of [7, 1 << 20]) {
        const error = await linesOf(full.subarray(0, cut), chunk).catch((e) => e);
        expect(error, `cut at ${cut}`).toBeInstanceOf(ParseError);
        expect(error.message).toMatch(/^in\.zst:\d+: truncated zstd data \(the stream ends early\)$/);
      }
    }
  });

  it('rejects corrupt data and garbage after the magic number', async () => {
    const full = zstdSync(enc(body), '--check');
    const corrupt = full.slice();
    for (let i = 40; i < 80; i++) corrupt[i] ^= 0x5a;
    const garbage = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, ...enc('this is not a zstd frame header at all\n')]);
    for (const bytes of [corrupt, garbage]) {
      const error = await linesOf(bytes, 1 << 20).catch((e) => e);
      expect(error).toBeInstanceOf(ParseError);
      expect(error.message).toMatch(/^in\.zst:\d+: corrupt zstd data/);
    }
  });

  it('rejects bytes after the last frame that are not a frame', async () => {
    const bytes = new Uint8Array([...zstdSync(enc('a\n')), ...enc('trailing text\n')]);
    await expect(linesOf(bytes)).rejects.toThrow(/corrupt zstd data/);
  });
});

describe('zstd on a worker thread', () => {
  // Lines whose numbers say where they are: an error's line is checked against the sequential decoder's.
  const numbered = (n: number) => Array.from({ length: n }, (_, i) => `+ ${i.toString(16)} ${'x'.repeat(i % 61)}`).join('\n') + '\n';

  it('stops at the same line as this thread on a stream cut or corrupted anywhere', async () => {
    const full = zstdSync(enc(numbered(200_000)), '--check', '-3');
    const damaged: Uint8Array[] = [];
    for (const cut of [9, full.length >> 3, full.length >> 1, full.length - 4]) damaged.push(full.subarray(0, cut));
    for (const at of [20, full.length >> 2, (full.length * 3) >> 2]) {
      const corrupt = full.slice();
      for (let i = at; i < at + 64; i++) corrupt[i] ^= 0xa5;
      damaged.push(corrupt);
    }
    for (const bytes of damaged) {
      const messages: string[] = [];
      for (const onThread of [false, true]) {
        let lines = 0;
        const error = await (async () => {
          const input = await openBytes('in.zst', bytes, { chunkBytes: 64 * 1024, zstdOnThread: onThread });
          for await (const batch of input.lines() as AsyncIterable<LineBatch>) lines += batch.lines.length;
        })().catch((e) => e);
        expect(error).toBeInstanceOf(ParseError);
        messages.push(`${error.message} after ${lines} lines`);
      }
      expect(messages[1]).toBe(messages[0]);
      expect(messages[0]).toMatch(/^in\.zst:\d+: (truncated|corrupt) zstd data/);
    }
  });

  it('is the default for a file of at least ZSTD_THREAD_MIN_BYTES, and reads it whole', async () => {
    // Incompressible lines: the compressed file passes the threshold.
    let text = '';
    for (let i = 0; text.length < ZSTD_THREAD_MIN_BYTES * 3; i++) text += `${Math.random().toString(36)}${i}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-zstd-'));
    try {
      const file = join(dir, 'big.zst');
      writeFileSync(file, zstdSync(enc(text), '-1'));
      const input = await openInput(file);
      const lines: string[] = [];
      const workers: number[] = [];
      for await (const b of input.lines()) {
        workers.push(runningZstdWorkers());
        lines.push(...b.lines);
      }
      expect(workers[0]).toBe(1);
      expect(lines).toEqual(text.slice(0, -1).split('\n'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops its worker when the reader stops early', async () => {
    const input = await openBytes('in.zst', zstdSync(enc(numbered(200_000))), { zstdOnThread: true });
    for await (const batch of input.lines() as AsyncIterable<LineBatch>) {
      expect(batch.lines.length).toBeGreaterThan(0);
      break;
    }
    // A worker left running would keep the process alive.
    for (let i = 0; i < 50 && runningZstdWorkers() > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runningZstdWorkers()).toBe(0);
  });
});
