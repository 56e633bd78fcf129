/**
 * Zstandard decompression of a stream (RFC 8878; heaptrack writes its
 * recordings zstd-compressed), with zstddec: the reference C decoder
 * compiled to WebAssembly and shipped inside the npm package (no native
 * build, nothing fetched at run time). On heaptrack recordings it decodes
 * faster than fzstd, the pure-JavaScript decoder
 * (docs/BENCHMARKS.md#zstd-decompression).
 *
 * zstddec's streaming decoder is a synchronous generator that pulls the
 * compressed chunks from an `Iterable`. Inputs arrive asynchronously, so the
 * bridge below keeps one compressed chunk queued ahead of the decoder: each
 * step of the generator makes one ZSTD_decompressStream call and takes at
 * most one new (non-empty) chunk, so the queue is never empty while the
 * input goes on, and an empty queue means the input ended. Memory stays
 * bounded by the frame's window (at most 8 MiB at the zstd CLI's default
 * levels) plus one chunk in and one 128 KiB block out.
 */
import { ZSTDDecoder } from 'zstddec/stream';
import { StreamError } from './lines.js';

/** The zstd frame magic number, 0xFD2FB528 little-endian (RFC 8878 §3.1.1). */
export function isZstd(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}

let decoder: Promise<ZSTDDecoder> | undefined;

/** The decoder, its WebAssembly compiled when the first zstd input is met (most inputs are not). */
function zstdDecoder(): Promise<ZSTDDecoder> {
  decoder ??= (async () => {
    const d = new ZSTDDecoder();
    await d.init();
    return d;
  })();
  return decoder;
}

/**
 * Steps of the decoder in a row that produce nothing without taking a new
 * chunk. zstddec does not report ZSTD_decompressStream's error codes: on
 * corrupt data it keeps calling it on the same bytes. A valid stream makes
 * progress at every call (one call decodes until its input is used up or
 * its output is full); only a run of empty or skippable frames inside one
 * chunk gives empty steps, never this many.
 */
const MAX_IDLE_STEPS = 64;

/**
 * Decompresses a zstd stream (one or more frames). A stream cut short is a
 * {@link StreamError} ("truncated zstd data"), so is corrupt data.
 */
export async function* unzstd(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const zstd = await zstdDecoder();
  const it = source[Symbol.asyncIterator]();
  const queue: Uint8Array[] = [];
  let ended = false;
  let outOfTurn = false;
  const input: Iterable<Uint8Array> = {
    [Symbol.iterator]: () => ({
      next: (): IteratorResult<Uint8Array> => {
        const chunk = queue.shift();
        if (chunk !== undefined) return { value: chunk, done: false };
        if (!ended) outOfTurn = true;
        return { value: undefined, done: true };
      },
    }),
  };
  const steps = zstd.decodeStreaming(input);
  let idle = 0;
  for (;;) {
    while (queue.length === 0 && !ended) {
      const next = await it.next();
      if (next.done) ended = true;
      else if (next.value.length > 0) queue.push(next.value);
    }
    const queued = queue.length;
    let step: IteratorResult<Uint8Array>;
    try {
      step = steps.next();
    } catch (error) {
      // zstddec throws only when the input ends inside a frame.
      const message = error instanceof Error ? error.message : String(error);
      throw new StreamError(/Incomplete/.test(message) ? 'truncated zstd data (the stream ends early)' : `corrupt zstd data (${message})`);
    }
    if (outOfTurn) throw new Error('zstd: the decoder asked for input while a chunk was still being read (zstddec changed its stepping)');
    if (step.done) return;
    if (step.value.length > 0 || queue.length < queued) idle = 0;
    else if (++idle > MAX_IDLE_STEPS) throw new StreamError('corrupt zstd data (the decoder makes no progress)');
    if (step.value.length > 0) yield step.value;
  }
}
