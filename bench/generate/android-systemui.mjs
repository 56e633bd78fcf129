/**
 * Input `android-systemui`: the real Android `record_allocs` trace of
 * systemui from the shared corpus (docs/formats.md#record-allocs-corpus), copied as AOSP keeps
 * it:
 *
 *   bench/inputs/android-systemui.zip   a copy of ../shared/corpus/android-record-allocs/systemui.zip
 *
 * 786,454 lines (one operation each) of a 32-bit process without
 * timestamps, from 393 threads (357 of which exit). Needs the corpus: set
 * HEAPSCOPE_CORPUS when it is not at ../shared/corpus.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { countOps, firstMember } from './android-surfaceflinger.mjs';

export const id = 'android-systemui';
export const description = 'real Android record_allocs trace of systemui (shared corpus), zipped';
export const outputs = { zip: 'bench/inputs/android-systemui.zip' };
export const sources = ['bench/generate/android-surfaceflinger.mjs'];

export async function generate({ root, log }) {
  const corpus = process.env.HEAPSCOPE_CORPUS ?? path.resolve(root, '..', 'shared', 'corpus');
  const source = path.join(corpus, 'android-record-allocs', 'systemui.zip');
  if (!existsSync(source)) throw new Error(`${source} not found: the shared corpus is needed (set HEAPSCOPE_CORPUS to its directory)`);
  const zip = readFileSync(source);
  const { name, data } = firstMember(zip);
  const counts = countOps(data);
  log(`${source}: member ${name}, ${data.length} bytes, ${counts.lines} lines`);
  if (name !== 'systemui.txt' || counts.lines !== 786_454 || counts.thread_done !== 357) {
    throw new Error(`${source} is not the corpus systemui trace (member ${name}, ${JSON.stringify(counts)})`);
  }
  writeFileSync(path.join(root, outputs.zip), zip);
  return {
    summary: `${data.length.toLocaleString('en-US')} bytes unzipped (${(zip.length / 2 ** 20).toFixed(1)} MiB zipped), ${counts.lines.toLocaleString('en-US')} operations (32-bit pointers, no timestamps)`,
    member: name,
    bytes: data.length,
    ...counts,
  };
}
