/**
 * Input `android-record-allocs-13m`: record_allocs traces of 2.5, 6.5 and 13
 * million operations (13 M is the size of Android's system_server trace),
 * to show that heapscope's memory follows the live set, not the length of
 * the trace.
 *
 * No real trace that long is public, so these are **synthesized from the
 * real surfaceflinger trace** (input android-surfaceflinger, docs/formats.md#record-allocs):
 * its 2,455,240 lines are repeated in order, and repetition k (0, 1, 2, …)
 * moves every non-NULL pointer into its own 4 GiB region —
 * `0x<70+k><8 hex digits of the original>`, so the traces have 64-bit
 * pointers — with tids, operation types, sizes and order unchanged; the
 * output stops after exactly N lines (in the middle of a repetition). The
 * operation mix, sizes, lifetimes and per-repetition live set are thus
 * surfaceflinger's; each repetition leaves its 3,567 still-live blocks
 * (1.45 MiB) behind, so the live set grows slowly with the length, as in a
 * process that keeps a little of every round of work. The one
 * `thread_done` per repetition makes that tid a new thread in the next one.
 *
 *   bench/inputs/android-record-allocs-2.5m.txt   2,500,000 lines
 *   bench/inputs/android-record-allocs-6.5m.txt   6,500,000 lines
 *   bench/inputs/android-record-allocs-13m.txt    13,000,000 lines
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { corpusZip, countOps, firstMember } from './android-surfaceflinger.mjs';

export const id = 'android-record-allocs-13m';
export const description =
  'record_allocs traces of 2.5 M, 6.5 M and 13 M operations synthesized by repeating the real surfaceflinger trace, each repetition in its own pointer range';
export const outputs = {
  ops2_5m: 'bench/inputs/android-record-allocs-2.5m.txt',
  ops6_5m: 'bench/inputs/android-record-allocs-6.5m.txt',
  ops13m: 'bench/inputs/android-record-allocs-13m.txt',
};
export const sources = ['bench/generate/android-surfaceflinger.mjs'];

/** Output name → line count. */
const LENGTHS = { ops2_5m: 2_500_000, ops6_5m: 6_500_000, ops13m: 13_000_000 };

/**
 * Splits each line around its pointers once: `parts[i]` holds the text
 * between pointers and `ptrs[i]` the pointers' 8 hex digits ('' for NULL).
 */
function templates(text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const pointer = /0x([0-9a-f]+)/g;
  return lines.map((line) => {
    const parts = [];
    const ptrs = [];
    let last = 0;
    for (const m of line.matchAll(pointer)) {
      parts.push(line.slice(last, m.index));
      ptrs.push(m[1] === '0' ? '' : m[1].padStart(8, '0'));
      last = m.index + m[0].length;
    }
    parts.push(`${line.slice(last)}\n`);
    return { parts, ptrs };
  });
}

/**
 * Writes prefixes of the repeated surfaceflinger stream described above:
 * `files` maps a name to { path (repo-relative), lines }, and each file gets
 * the stream's first `lines` lines (so a shorter file is a prefix of a
 * longer one). Checks the line counts it wrote; resolves to
 * { sourceLines, [name]: { bytes, lines, malloc, calloc, … } }.
 */
export async function writeRepeatedTraces(root, files, log) {
  const source = corpusZip(root);
  if (!existsSync(source)) throw new Error(`${source} not found: the shared corpus is needed (set HEAPSCOPE_CORPUS to its directory)`);
  const { data } = firstMember(readFileSync(source));
  const lines = templates(data.toString('latin1'));
  if (lines.some((l) => l.ptrs.some((p) => p.length > 8))) throw new Error('the source trace has 64-bit pointers; this generator expects the 32-bit surfaceflinger trace');
  log(`${source}: ${lines.length} lines; writing ${Object.values(files).map((f) => f.lines).join(', ')} lines`);

  const outs = Object.entries(files).map(([name, f]) => ({ name, rel: f.path, n: f.lines, fd: openSync(path.join(root, f.path), 'w') }));
  const total = Math.max(...outs.map((f) => f.n));
  let written = 0;
  let chunk = '';
  let chunkLines = 0;
  const flush = () => {
    for (const f of outs) {
      // Each file gets the prefix of the stream up to its own length.
      const before = written - chunkLines;
      if (before >= f.n) continue;
      if (written <= f.n) writeSync(f.fd, chunk);
      else {
        let cut = 0;
        for (let i = 0; i < f.n - before; i++) cut = chunk.indexOf('\n', cut) + 1;
        writeSync(f.fd, chunk.slice(0, cut));
      }
    }
    chunk = '';
    chunkLines = 0;
  };
  for (let rep = 0; written < total; rep++) {
    const region = (0x70 + rep).toString(16);
    for (let i = 0; i < lines.length && written < total; i++) {
      const { parts, ptrs } = lines[i];
      let line = parts[0];
      for (let k = 0; k < ptrs.length; k++) line += (ptrs[k] === '' ? '0x0' : `0x${region}${ptrs[k]}`) + parts[k + 1];
      chunk += line;
      chunkLines++;
      written++;
      if (chunk.length > 1 << 20) flush();
    }
  }
  flush();
  for (const f of outs) closeSync(f.fd);

  // Check what was written: the line counts, and the mix of operations.
  const result = { sourceLines: lines.length };
  for (const f of outs) {
    const file = path.join(root, f.rel);
    const counts = countOps(readFileSync(file));
    if (counts.lines !== f.n) throw new Error(`${file}: ${counts.lines} lines, expected ${f.n}`);
    result[f.name] = { bytes: statSync(file).size, ...counts };
    log(`${f.rel}: ${counts.lines} lines, ${statSync(file).size} bytes`);
  }
  return result;
}

export async function generate({ root, log }) {
  const result = await writeRepeatedTraces(root, Object.fromEntries(Object.entries(LENGTHS).map(([name, n]) => [name, { path: outputs[name], lines: n }])), log);
  const mib = (n) => (result[n].bytes / 2 ** 20).toFixed(0);
  return {
    summary: `2.5 M / 6.5 M / 13 M operations (${mib('ops2_5m')} / ${mib('ops6_5m')} / ${mib('ops13m')} MiB), the surfaceflinger trace repeated with each repetition's pointers in their own range`,
    ...result,
  };
}
