/**
 * Mutation fuzzing of every importer (fast-check): a real seed input per
 * importer, mutated (bytes flipped, spans deleted or repeated, random bytes
 * and huge numbers inserted, truncation), is read with that importer forced,
 * strictly and with --lenient. The only acceptable outcomes: a profile that
 * passes the integrity check, or a ParseError (file, line, message). Any
 * other exception — or a hang, caught by the time limit — is a bug; each one
 * found became a regression case in packages/cli/test/bad-inputs.test.ts or
 * the importer's own tests.
 *
 * It lives with the CLI's tests because its pprof seed is written by the
 * CLI's pprof writer (render/pprof.ts): a test sits in the package whose
 * code it needs, and imports other packages by their names only.
 *
 * Bounded in time: each importer gets FUZZ_MS (default 1500 ms, env
 * HEAPSCOPE_FUZZ_MS) or FUZZ_RUNS runs, whichever ends first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ParseError, checkIntegrity, importers, openBytes, openInput } from '@heapscope/parser';
import { readOpened } from '@heapscope/analyzer';
import { encodePprof } from '../src/render/pprof.js';
import { FIXTURES } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { MEMRAY_CSV } from '@heapscope/testkit/hand-written';

const FUZZ_MS = Number(process.env.HEAPSCOPE_FUZZ_MS ?? 1500);
const FUZZ_RUNS = Number(process.env.HEAPSCOPE_FUZZ_RUNS ?? 400);

const read = (path: string) => new Uint8Array(readFileSync(path));
const text = (s: string) => new TextEncoder().encode(s);
const gunzipped = (path: string) => gunzipSync(read(path));
/** A compressed file's content, decompressed by heapscope's input layer (zstd has no decoder in Node). */
const decompressedText = async (path: string) => new TextDecoder().decode(await (await openInput(path)).readAll());

/** The bytes up to and including the first `end` marker (one dump of a series). */
function firstDump(bytes: Uint8Array, end: string): Uint8Array {
  const s = new TextDecoder().decode(bytes);
  return text(s.slice(0, s.indexOf(end) + end.length));
}

/** A small real (or grammar-following, for formats without a small real file) seed per importer. */
async function seeds(): Promise<Record<string, Uint8Array>> {
  const jemallocDump = fixtureFile('jemalloc/all', /\.f\.heap$/);
  const perf = new TextDecoder().decode(gunzipped(join(FIXTURES, 'perf', 'workload.dwarf-worker.perf.txt.gz')));
  const jemallocProfile = (await readOpened(await openBytes('seed', read(jemallocDump)))).profile;
  return {
    jemalloc: read(jemallocDump),
    gperftools: read(fixtureFile('gperftools', /^workload\.0005\.heap$/)),
    pprof: encodePprof(jemallocProfile),
    // No small real record_allocs trace exists (the corpus ones are 20–60 MB): lines of the grammar, docs/formats.md#record-allocs.
    'android-record-allocs': text(
      '186: malloc 0xb6027400 1024 100 200\n186: calloc 0xb6003090 4 8 210 220\n186: realloc 0xb60b4d90 0x0 12 230 240\n' +
        '187: memalign 0xae42d080 16 104 250 260\n186: free 0xb6027400 270 280 4096\n186: free 0x0 290 300\n' +
        '187: realloc 0xb4000070a8000000 0xae42d080 64 310 320 64\n187: thread_done 0x0 330\n',
    ),
    // No real native heap dump exists in any public source: the grammar of docs/formats.md#android-heap-dump.
    'android-heap-dump': text(
      "Android Native Heap Dump v1.2\n\nBuild fingerprint: 'test'\n\nTotal memory: 1900\nAllocation records: 3\nBacktrace size: 16\n\n" +
        'z 0  sz      400  num    1  bt a2a0 b510\n  bt_info {"/system/libc.so" 2a0 "abort" 24} {"/system/libutils.so" 510 "" 0}\n' +
        'z 1  sz      500  num    3  bt b000 c000\nz 0  sz        0  num    1  bt\nMAPS\n' +
        '7fe9181000-7fe91a2000 rw-p 00000000 00:00 0                              /system/lib/libc.so\nEND\n',
    ),
    'perf-script': text(perf.slice(0, perf.indexOf('\n\n', 20000) + 2)),
    // No real memray export could be made here (testkit/src/hand-written.ts): memray's writer's rows.
    memray: text(MEMRAY_CSV),
    // The interpreted heaptrack fixture's first 300 lines (strings, frames, stacks and events).
    heaptrack: text((await decompressedText(fixtureFile('heaptrack', /^heaptrack\.workload\.\d+\.zst$/))).split('\n').slice(0, 300).join('\n') + '\n'),
    'jemalloc-stats': firstDump(gunzipped(join(FIXTURES, 'stats', 'jemalloc', 'leak', 'jemalloc-stats.txt.gz')), '--- End jemalloc statistics ---\n'),
    'jemalloc-stats-json': gunzipped(join(FIXTURES, 'stats', 'jemalloc', 'exit', 'jemalloc-stats.json.gz')),
    'glibc-malloc-info': read(join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-info.xml')),
    'glibc-malloc-stats': read(join(FIXTURES, 'stats', 'glibc', 'leak', 'malloc-stats.txt')),
    'tcmalloc-stats': read(join(FIXTURES, 'stats', 'tcmalloc', 'leak', 'tcmalloc-stats.txt')),
    'mimalloc-stats': read(join(FIXTURES, 'stats', 'mimalloc', 'leak', 'mimalloc-stats.txt')),
    proc: read(join(FIXTURES, 'stats', 'glibc', 'leak', 'proc.txt')),
  };
}

/** One mutation of a byte array. */
const mutation = fc.record({
  kind: fc.constantFrom('flip', 'delete', 'repeat', 'insert', 'huge', 'newline', 'truncate', 'minus'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  length: fc.integer({ min: 1, max: 200 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
});

function mutate(seed: Uint8Array, mutations: { kind: string; at: number; length: number; bytes: Uint8Array }[]): Uint8Array {
  let b = seed;
  for (const m of mutations) {
    const at = Math.min(b.length, Math.floor(m.at * b.length));
    const end = Math.min(b.length, at + m.length);
    const cat = (...parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    switch (m.kind) {
      case 'flip':
        b = cat(b.subarray(0, at), m.bytes.subarray(0, end - at), b.subarray(at + Math.min(m.bytes.length, end - at)));
        break;
      case 'delete':
        b = cat(b.subarray(0, at), b.subarray(end));
        break;
      case 'repeat':
        b = cat(b.subarray(0, end), b.subarray(at, end), b.subarray(end));
        break;
      case 'insert':
        b = cat(b.subarray(0, at), m.bytes, b.subarray(at));
        break;
      case 'huge':
        b = cat(b.subarray(0, at), text('99999999999999999999999'), b.subarray(at));
        break;
      case 'newline':
        b = cat(b.subarray(0, at), text('\n'), b.subarray(at));
        break;
      case 'minus':
        b = cat(b.subarray(0, at), text('-'), b.subarray(at));
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
    }
  }
  return b;
}

describe('fuzzing every importer', async () => {
  const inputs = await seeds();

  it('has a seed for every importer', () => {
    expect(importers.map((i) => i.id).filter((id) => !(id in inputs))).toEqual([]);
  });

  for (const importer of importers) {
    it(`${importer.id}: mutated inputs give a valid profile or a located ParseError`, async () => {
      const seed = inputs[importer.id];
      // The seed itself is read without errors.
      const clean = await readOpened(await openBytes('seed', seed), { inputFormat: importer.id });
      expect(checkIntegrity(clean.profile)).toEqual([]);
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.boolean(), async (mutations, lenient) => {
          runs++;
          const bytes = mutate(seed, mutations);
          try {
            const loaded = await readOpened(await openBytes('fuzzed', bytes, { chunkBytes: 4096 }), { inputFormat: importer.id, lenient });
            const problems = checkIntegrity(loaded.profile);
            if (problems.length) throw new Error(`integrity: ${problems.join('; ')}`);
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
            if (!/^fuzzed:\d+: \S/.test(error.message)) throw new Error(`badly located ParseError: ${error.message}`);
          }
        }),
        { numRuns: FUZZ_RUNS, interruptAfterTimeLimit: FUZZ_MS, markInterruptAsFailure: false, seed: 20261122 },
      );
      expect(runs).toBeGreaterThan(10);
    });
  }
});
