/**
 * Every real heap dump goes through the same checks: model integrity, a
 * golden summary, the same result without a file name (detection must not
 * depend on it), the same result fed in 1-byte and 7-byte chunks (line joins
 * across chunk boundaries), and the same result gzipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, detectImporter, loadSnapshot, openBytes, parseDumpName, parseSnapshot, type HeapProfile } from '@heapscope/parser';
import { corpusSkipNote, displayName } from '@heapscope/testkit/paths';
import { snapshotInputs } from '@heapscope/testkit/inputs';
import { expectGolden, summarize } from './helpers/summary.js';

corpusSkipNote();

async function fromBytes(bytes: Uint8Array, chunkBytes?: number): Promise<HeapProfile> {
  const input = await openBytes('unnamed', bytes, { chunkBytes });
  return parseSnapshot(input, detectImporter(input) as never);
}

/**
 * Everything the import produced — every table and every fact of `meta` —
 * minus what the file name contributes: the name itself (also in warning
 * locations) and the pid, dump sequence and dump kind read from a dump's
 * name (`parseDumpName`). Read from bytes named `unnamed`, a profile must be
 * this and nothing else.
 */
function nameless(p: HeapProfile) {
  const { file, pid, dumpSeq, dumpKind, warnings, ...meta } = p.meta;
  const fromName = parseDumpName(file);
  return {
    strings: p.strings,
    functions: p.functions,
    locations: p.locations,
    mappings: p.mappings,
    stacks: p.stacks,
    threads: p.threads,
    sampleTypes: p.sampleTypes,
    defaultSampleType: p.defaultSampleType,
    samples: p.samples,
    meta: {
      ...meta,
      // Facts the content gave stay; those the name gave go.
      ...(pid !== undefined && pid !== fromName.pid ? { pid } : {}),
      ...(dumpSeq !== undefined && dumpSeq !== fromName.seq ? { dumpSeq } : {}),
      ...(dumpKind !== undefined && dumpKind !== fromName.kind ? { dumpKind } : {}),
      warnings: warnings.map((w) => ({ message: w.message, count: w.count, lines: w.locations.map((l) => l.line) })),
    },
  };
}

const inputs = snapshotInputs();

describe('every snapshot input', () => {
  it('has inputs to check', () => {
    expect(inputs.length).toBeGreaterThan(0);
  });

  it.skipIf(process.env.UPDATE_GOLDEN === '1')('a missing golden is a failure, and nothing writes one unless UPDATE_GOLDEN=1', () => {
    expect(() => expectGolden('no such input', { samples: 1 })).toThrow(/golden .* is missing: run the test with UPDATE_GOLDEN=1/);
    expect(existsSync(new URL('./golden/no such input.json', import.meta.url))).toBe(false);
  });

  for (const path of inputs) {
    const name = displayName(path);
    describe(name, () => {
      it('imports with integrity and matches its golden summary', async () => {
        const p = await loadSnapshot(path);
        expect(checkIntegrity(p)).toEqual([]);
        expect(p.samples.length).toBeGreaterThan(0);
        expectGolden(name, summarize(p));
      });

      it('gives the same result detected without a file name, in 7-byte chunks, and gzipped or zipped', async () => {
        const bytes = new Uint8Array(readFileSync(path));
        const expected = nameless(await loadSnapshot(path));
        expect(nameless(await fromBytes(bytes))).toEqual(expected);
        expect(nameless(await fromBytes(bytes, 7))).toEqual(expected);
        expect(nameless(await fromBytes(gzipSync(bytes), 7))).toEqual(expected);
        expect(nameless(await fromBytes(zipSync({ 'member.heap': bytes }), 4096))).toEqual(expected);
      });

      it('gives the same result in 1-byte chunks', async () => {
        const bytes = new Uint8Array(readFileSync(path));
        if (bytes.length > 64 * 1024) return; // 1-byte chunks of large files are covered by the 7-byte run
        expect(nameless(await fromBytes(bytes, 1))).toEqual(nameless(await loadSnapshot(path)));
      });
    });
  }
});
