/**
 * Every real heap dump goes through the same checks: model integrity, a
 * golden summary, the same result without a file name (detection must not
 * depend on it), the same result fed in 1-byte and 7-byte chunks (line joins
 * across chunk boundaries), and the same result gzipped.
 */
import { readFileSync } from 'node:fs';
import { gzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, detectImporter, loadSnapshot, openBytes, parseSnapshot, type HeapProfile } from '@heapscope/parser';
import { corpusSkipNote, displayName } from './helpers/paths.js';
import { snapshotInputs } from './helpers/inputs.js';
import { expectGolden, summarize } from './helpers/summary.js';

corpusSkipNote();

async function fromBytes(bytes: Uint8Array, chunkBytes?: number): Promise<HeapProfile> {
  const input = await openBytes('unnamed', bytes, { chunkBytes });
  return parseSnapshot(input, detectImporter(input) as never);
}

/** The summary minus what the file name contributes. */
function nameless(p: HeapProfile) {
  return summarize(p);
}

const inputs = snapshotInputs();

describe('every snapshot input', () => {
  it('has inputs to check', () => {
    expect(inputs.length).toBeGreaterThan(0);
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
