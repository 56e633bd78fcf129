/**
 * Input `perf-1g`: more than 1 GiB of `perf script` text of malloc, calloc,
 * realloc and free uprobe records with frame-pointer callchains, to measure
 * the perf importer and the replay at scale (MB/s, and memory that follows
 * the distinct stacks and the live pointers, not the file's length).
 *
 * No real capture that long is kept, so this one is **synthesized from the
 * real capture fixtures/perf/workload.fp.perf.txt.gz** (perf 6.1 on the
 * fixture workload, one phase: 63,540 records, 20 MB; fixtures/perf/README.md).
 * Its records are repeated in order, and repetition k = 0, 1, 2, … changes
 * only these fields of them:
 *
 * - times: k × SPAN_SECONDS seconds later (SPAN_SECONDS exceeds the
 *   capture's length, so time keeps increasing);
 * - tids: + 1000 × (k mod 16), so records come from 32 threads in all (the
 *   capture's main thread and worker, 16 times), comms unchanged;
 * - non-NULL pointers (`ptr=0x…` and decimal `ptr=…`, in the form each record
 *   has): + k × 2^40, so every repetition's blocks are its own and each one
 *   leaves its 1,438 still-live blocks (2.5 MiB) behind — the live set grows
 *   slowly with the length, as in a process that keeps a little of every
 *   round of work;
 * - the outermost frame (`__libc_start_call_main+0x7a`, `start_thread+0x305`,
 *   …, the last frame of each callchain, when it has an offset): its ip and
 *   offset + (k mod 64), so there are many more distinct stacks than in the
 *   capture (1,624 against 34).
 *
 * Everything else — events, payload forms, sizes, order, frames, comms,
 * spacing — is the capture's, byte for byte.
 *
 *   bench/inputs/perf-1g.txt   REPETITIONS repetitions, ≥ 1 GiB
 */
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

export const id = 'perf-1g';
export const description =
  'perf script text (≥ 1 GiB) of malloc/calloc/realloc/free uprobe records with callchains, synthesized by repeating the real fixtures/perf capture with shifted times, tids, pointers and root frames';
export const outputs = { text: 'bench/inputs/perf-1g.txt' };
export const sources = ['fixtures/perf/workload.fp.perf.txt.gz'];

export const SOURCE = 'fixtures/perf/workload.fp.perf.txt.gz';
export const REPETITIONS = 54;
const SPAN_SECONDS = 10;
const POINTER_STRIDE = 2n ** 40n;
const MIN_BYTES = 2 ** 30;

/**
 * The capture as templates: literal text, and the fields that vary.
 * `kind`: 0 literal; 1 time seconds (decimal); 2 tid; 3 hex pointer (after
 * `0x`); 4 decimal pointer; 5 root-frame ip (hex); 6 root-frame offset (hex).
 */
function templates(text) {
  const pieces = [];
  const literal = [];
  const flush = () => {
    if (literal.length) pieces.push([0, literal.join('')]);
    literal.length = 0;
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const sample = /^(.*?\s)(\d+)(\s+\[\d+\]\s+)(\d+)(\.\d+:.*)$/;
  const pointer = /ptr=(0x[0-9a-f]+|\d+)/g;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = sample.exec(line);
    if (m) {
      literal.push(m[1]);
      flush();
      pieces.push([2, Number(m[2])]);
      literal.push(m[3]);
      flush();
      pieces.push([1, Number(m[4])]);
      let rest = m[5];
      let last = 0;
      for (const p of rest.matchAll(pointer)) {
        const value = p[1].startsWith('0x') ? BigInt(p[1]) : BigInt(p[1]);
        literal.push(rest.slice(last, p.index + 4));
        last = p.index + p[0].length;
        if (value === 0n) {
          literal.push(p[1]);
          continue;
        }
        if (p[1].startsWith('0x')) {
          literal.push('0x');
          flush();
          pieces.push([3, value]);
        } else {
          flush();
          pieces.push([4, value]);
        }
      }
      literal.push(`${rest.slice(last)}\n`);
      continue;
    }
    // The outermost frame: a frame line followed by the blank line that ends the record.
    const root = /^(\s+)([0-9a-f]+)( .*\+0x)([0-9a-f]+)( \(.*\))$/.exec(line);
    if (root && (lines[i + 1] ?? '') === '') {
      literal.push(root[1]);
      flush();
      pieces.push([5, BigInt(`0x${root[2]}`), root[2].length]);
      literal.push(root[3]);
      flush();
      pieces.push([6, BigInt(`0x${root[4]}`)]);
      literal.push(`${root[5]}\n`);
      continue;
    }
    literal.push(`${line}\n`);
  }
  flush();
  return { pieces, records: lines.filter((l) => sample.test(l)).length };
}

function render(pieces, k) {
  const out = new Array(pieces.length);
  const shift = BigInt(k) * POINTER_STRIDE;
  const rootDelta = BigInt(k % 64);
  for (let i = 0; i < pieces.length; i++) {
    const [kind, value, width] = pieces[i];
    switch (kind) {
      case 0: out[i] = value; break;
      case 1: out[i] = String(value + k * SPAN_SECONDS); break;
      case 2: out[i] = String(value + 1000 * (k % 16)); break;
      case 3: out[i] = (value + shift).toString(16); break;
      case 4: out[i] = (value + shift).toString(); break;
      case 5: out[i] = (value + rootDelta).toString(16).padStart(width, ' '); break;
      case 6: out[i] = (value + rootDelta).toString(16); break;
    }
  }
  return out.join('');
}

export async function generate({ root, log }) {
  const source = path.join(root, SOURCE);
  const text = gunzipSync(readFileSync(source)).toString('utf8');
  const { pieces, records } = templates(text);
  const durations = [...text.matchAll(/\s(\d+\.\d{6}):/g)].map((m) => Number(m[1]));
  const span = Math.max(...durations) - Math.min(...durations);
  if (!(span < SPAN_SECONDS)) throw new Error(`${SOURCE} spans ${span} s, more than SPAN_SECONDS (${SPAN_SECONDS})`);
  const outFile = path.join(root, outputs.text);
  const fd = openSync(outFile, 'w');
  try {
    for (let k = 0; k < REPETITIONS; k++) {
      const chunk = render(pieces, k);
      if (k === 0 && chunk !== text) throw new Error('repetition 0 differs from the capture (template bug)');
      writeSync(fd, chunk);
      if (k % 10 === 9) log(`${k + 1}/${REPETITIONS} repetitions`);
    }
  } finally {
    closeSync(fd);
  }
  const bytes = statSync(outFile).size;
  if (bytes < MIN_BYTES) throw new Error(`${outputs.text} has ${bytes} bytes, less than 1 GiB; raise REPETITIONS`);
  return {
    source: SOURCE,
    repetitions: REPETITIONS,
    recordsPerRepetition: records,
    records: records * REPETITIONS,
    bytes,
    summary: `${(bytes / 2 ** 30).toFixed(2)} GiB, ${(records * REPETITIONS).toLocaleString('en-US')} records: ${REPETITIONS} repetitions of the real capture ${SOURCE} (${records.toLocaleString('en-US')} records) with shifted times, tids, pointers and root frames`,
  };
}
