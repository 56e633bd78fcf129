/**
 * Input `android-surfaceflinger`: the real Android `record_allocs` trace of
 * surfaceflinger from the shared corpus (docs/formats.md#record-allocs-corpus), the zip as AOSP
 * keeps it and its member unzipped:
 *
 *   bench/inputs/android-surfaceflinger.zip   a copy of
 *                                             ../shared/corpus/android-record-allocs/surfaceflinger.zip
 *   bench/inputs/android-surfaceflinger.txt   its first (only) member, surfaceflinger.txt
 *
 * 58,862,264 bytes, 2,455,240 lines (one operation each) written by a 32-bit
 * surfaceflinger without timestamps. Needs the corpus: set HEAPSCOPE_CORPUS
 * when it is not at ../shared/corpus.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

export const id = 'android-surfaceflinger';
export const description = 'real Android record_allocs trace of surfaceflinger (shared corpus): zip and unzipped member';
export const outputs = {
  zip: 'bench/inputs/android-surfaceflinger.zip',
  text: 'bench/inputs/android-surfaceflinger.txt',
};
export const sources = [];

/** The corpus zip (HEAPSCOPE_CORPUS, as in the tests, else ../shared/corpus beside the repository). */
export function corpusZip(root) {
  const corpus = process.env.HEAPSCOPE_CORPUS ?? path.resolve(root, '..', 'shared', 'corpus');
  return path.join(corpus, 'android-record-allocs', 'surfaceflinger.zip');
}

/** The first member of a zip held in memory (local file header, APPNOTE.TXT 4.3.7), inflated. */
export function firstMember(zip) {
  if (zip.readUInt32LE(0) !== 0x04034b50) throw new Error('not a zip file (no local file header at the start)');
  const method = zip.readUInt16LE(8);
  const start = 30 + zip.readUInt16LE(26) + zip.readUInt16LE(28);
  const name = zip.subarray(30, 30 + zip.readUInt16LE(26)).toString('utf8');
  const data = method === 0 ? zip.subarray(start, start + zip.readUInt32LE(18)) : inflateRawSync(zip.subarray(start));
  return { name, data };
}

/** Lines and operations per type of a record_allocs text. */
export function countOps(data) {
  const counts = { lines: 0, malloc: 0, calloc: 0, memalign: 0, realloc: 0, free: 0, thread_done: 0 };
  let start = 0;
  for (;;) {
    const nl = data.indexOf(10, start);
    if (nl < 0) break;
    counts.lines++;
    const colon = data.indexOf(58, start);
    const end = data.indexOf(32, colon + 2);
    const word = data.toString('latin1', colon + 2, end);
    counts[word] = (counts[word] ?? 0) + 1;
    start = nl + 1;
  }
  return counts;
}

export async function generate({ root, log }) {
  const source = corpusZip(root);
  if (!existsSync(source)) throw new Error(`${source} not found: the shared corpus is needed (set HEAPSCOPE_CORPUS to its directory)`);
  // A copy that is writable (the corpus is read-only), so regenerating can overwrite it.
  writeFileSync(path.join(root, outputs.zip), readFileSync(source));
  const { name, data } = firstMember(readFileSync(source));
  writeFileSync(path.join(root, outputs.text), data);
  const counts = countOps(data);
  log(`${source}: member ${name}, ${data.length} bytes, ${counts.lines} lines`);
  // What docs/formats.md#record-allocs-corpus says of this trace; anything else is not the benchmark's input.
  if (name !== 'surfaceflinger.txt' || data.length !== 58_862_264 || counts.lines !== 2_455_240 || counts.malloc !== 1_142_990 || counts.free !== 1_194_239) {
    throw new Error(`${source} is not the corpus trace docs/formats.md#record-allocs-corpus describes (member ${name}, ${data.length} bytes, ${JSON.stringify(counts)})`);
  }
  return {
    summary: `${data.length.toLocaleString('en-US')} bytes unzipped (${(readFileSync(source).length / 2 ** 20).toFixed(1)} MiB zipped), ${counts.lines.toLocaleString('en-US')} operations (32-bit pointers, no timestamps)`,
    member: name,
    bytes: data.length,
    ...counts,
  };
}
