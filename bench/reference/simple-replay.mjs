/**
 * The reference for record_allocs traces: a replay written as simply as it
 * can be, independent of heapscope's code — Node's readline over the file,
 * a Map from pointer to size, and the running total of live bytes. It
 * prints one JSON line: operations, live blocks and bytes at the end, peak
 * live bytes, frees of unknown pointers.
 *
 *   node bench/reference/simple-replay.mjs TRACE.txt
 *
 * Line grammar (docs/formats.md#record-allocs): `tid: malloc ptr size`,
 * `tid: calloc ptr nmemb size`, `tid: memalign ptr align size`,
 * `tid: realloc new old size`, `tid: free ptr`, `tid: thread_done 0x0`,
 * each optionally followed by timestamps (ignored here).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/reference/simple-replay.mjs TRACE.txt\n');
  process.exit(2);
}

const live = new Map();
let operations = 0;
let liveBytes = 0;
let peakBytes = 0;
let unknownFrees = 0;

function release(ptr) {
  if (ptr === '0x0') return;
  const size = live.get(ptr);
  if (size === undefined) unknownFrees++;
  else {
    liveBytes -= size;
    live.delete(ptr);
  }
}

function keep(ptr, size) {
  if (ptr === '0x0') return;
  live.set(ptr, size);
  liveBytes += size;
  if (liveBytes > peakBytes) peakBytes = liveBytes;
}

for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
  if (line === '') continue;
  operations++;
  const [, op, a, b, c] = line.split(' ');
  if (op === 'malloc') keep(a, Number(b));
  else if (op === 'calloc') keep(a, Number(b) * Number(c));
  else if (op === 'memalign') keep(a, Number(c));
  else if (op === 'free') release(a);
  else if (op === 'realloc') {
    release(b);
    keep(a, Number(c));
  } else if (op !== 'thread_done') throw new Error(`${file}: line ${operations}: unknown operation ${op}`);
}

process.stdout.write(`${JSON.stringify({ operations, liveObjects: live.size, liveBytes, peakBytes, unknownFrees })}\n`);
