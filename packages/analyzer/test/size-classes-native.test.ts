/**
 * The size-class tables against the real allocators: a small C program
 * (test/native/usable-size.c, built here with gcc) runs under each
 * LD_PRELOADed allocator and prints `malloc_usable_size` for every request
 * from 1 byte to 64 KiB, and for sample sizes beyond; every answer must be
 * what the allocator's table says. The libraries are the ones
 * scripts/setup.sh installs; a missing one fails the test (ld.so would
 * only warn and leave glibc answering, which the program's first line
 * catches).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIZE_CLASS_RULES, TCMALLOC_CLASSES, type AllocatorName } from '@heapscope/analyzer';

const SOURCE = fileURLToPath(new URL('./native/usable-size.c', import.meta.url));
const KiB = 1024;
const MiB = KiB * KiB;
const MAX = 64 * KiB;
/** Beyond the full range: every 4 KiB to 1 MiB, and points around mimalloc's and glibc's steps. */
const SAMPLES = [
  ...Array.from({ length: (MiB - MAX) / (4 * KiB) }, (_, i) => MAX + (i + 1) * 4 * KiB + 1),
  2 * MiB - 1, 2 * MiB + 1, 4 * MiB + 1, 8 * MiB - 1, 8 * MiB + 1, 16 * MiB + 1, 32 * MiB - 1, 32 * MiB + 1, 64 * MiB + 1,
];

const LIBRARIES: { allocator: AllocatorName; preload: string }[] = [
  { allocator: 'glibc', preload: '' },
  { allocator: 'jemalloc', preload: 'libjemalloc.so.2' },
  { allocator: 'tcmalloc', preload: 'libtcmalloc_minimal.so.4' },
  { allocator: 'mimalloc', preload: 'libmimalloc.so.2' },
];

let dir: string;
let binary: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'heapscope-usable-size-'));
  binary = join(dir, 'usable-size');
  execFileSync('gcc', ['-O2', '-o', binary, SOURCE, '-ldl']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function measure(preload: string): { allocator: string; usable: Map<number, number> } {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(preload ? { LD_PRELOAD: preload } : {}) };
  const out = execFileSync(binary, [String(MAX), ...SAMPLES.map(String)], { env, maxBuffer: 64 * MiB, encoding: 'utf8' });
  const lines = out.trimEnd().split('\n');
  const usable = new Map<number, number>();
  for (const line of lines.slice(1)) {
    const [size, bytes] = line.split(' ').map(Number);
    usable.set(size, bytes);
  }
  return { allocator: lines[0].replace(/^allocator /, ''), usable };
}

describe('size-class tables agree with malloc_usable_size of the real allocators', () => {
  for (const { allocator, preload } of LIBRARIES) {
    it(`${allocator}${preload ? ` (LD_PRELOAD=${preload})` : ' (the system malloc)'}: every size from 1 byte to 64 KiB, and samples to 64 MiB`, () => {
      const { allocator: answered, usable } = measure(preload);
      expect(answered).toBe(allocator);
      expect(usable.size).toBe(MAX + SAMPLES.length);
      const rules = SIZE_CLASS_RULES[allocator];
      const wrong: string[] = [];
      for (const [size, bytes] of usable) {
        if (rules.usableBytes(size) !== bytes) wrong.push(`${size}: table ${rules.usableBytes(size)}, real ${bytes}`);
        if (rules.blockBytes(size) < bytes || bytes < size) wrong.push(`${size}: block ${rules.blockBytes(size)} is not ≥ usable ${bytes} ≥ size`);
      }
      expect(wrong.slice(0, 10)).toEqual([]);
    });
  }

  it('the table rules hold for the Android allocators that cannot run here: classes are monotone, never below the request', () => {
    for (const name of ['scudo', 'bionic-jemalloc'] as const) {
      const rules = SIZE_CLASS_RULES[name];
      let last = 0;
      for (let size = 1; size <= 2 * MAX; size++) {
        const block = rules.blockBytes(size);
        expect(block >= size && block >= last).toBe(true);
        last = block;
      }
    }
    // scudo: the header is inside the class; 16 bytes of data take the 32-byte class, 17 the 48-byte one.
    expect([1, 16, 17, 65536, 65537].map(SIZE_CLASS_RULES.scudo.blockBytes)).toEqual([32, 32, 48, 0x10010, 69632]);
  });

  it("tcmalloc's derived table has gperftools 2.10's 85 classes up to 256 KiB (class 5 is 64 bytes, as its statistics print)", () => {
    expect(TCMALLOC_CLASSES.length).toBe(85);
    expect(TCMALLOC_CLASSES.slice(0, 6)).toEqual([8, 16, 32, 48, 64, 80]);
    expect(TCMALLOC_CLASSES[TCMALLOC_CLASSES.length - 1]).toBe(256 * KiB);
  });
});
