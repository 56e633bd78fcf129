/**
 * The zstd decompression worker (zstd-thread.ts starts it): decompresses
 * the compressed chunks the main thread sends with {@link unzstd}, and sends
 * the decoder's output back in messages of up to {@link OUTPUT_BYTES},
 * transferred, never more than {@link OUTPUT_AHEAD} messages ahead of what
 * the main thread took. A failure of
 * the stream (truncated or corrupt) is sent after all the output before it,
 * as its message.
 */
import { parentPort } from 'node:worker_threads';
import { StreamError } from './lines.js';
import { unzstd } from './zstd.js';
import { FIRST_OUTPUT_BYTES, OUTPUT_AHEAD, OUTPUT_BYTES, type ToWorker, type FromWorker } from './zstd-protocol.js';

const port = parentPort!;
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** Compressed chunks received and not yet decompressed; `ended` once the main thread sent the last. */
const queue: Uint8Array[] = [];
let ended = false;
/** Output chunks sent and not yet taken by the main thread. */
let ahead = 0;
/** Resolves the wait for a chunk (input) or for the main thread to take one (output). */
let wake: (() => void) | undefined;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'chunk') queue.push(message.bytes);
  else if (message.kind === 'end') ended = true;
  else ahead--;
  const w = wake;
  wake = undefined;
  w?.();
});

const waitForMessage = () => new Promise<void>((resolve) => (wake = resolve));

async function* compressed(): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = queue.shift();
    if (chunk !== undefined) {
      // The main thread sends the next one.
      send({ kind: 'took' });
      yield chunk;
    } else if (ended) return;
    else await waitForMessage();
  }
}

async function decompress(): Promise<void> {
  // The decoder's pieces, sent a few at a time (their buffers moved, not copied); the first
  // messages are small, so that the main thread can detect the format and start parsing early.
  let size = FIRST_OUTPUT_BYTES;
  let pieces: Uint8Array[] = [];
  let bytes = 0;
  const flush = async () => {
    while (ahead >= OUTPUT_AHEAD) await waitForMessage();
    ahead++;
    send({ kind: 'output', pieces }, pieces.map((p) => p.buffer as ArrayBuffer));
    size = Math.min(size * 2, OUTPUT_BYTES);
    pieces = [];
    bytes = 0;
  };
  try {
    for await (const piece of unzstd(compressed())) {
      // A piece of its own buffer (zstddec copies each out of its memory) moves as it is; another is copied.
      pieces.push(piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength ? piece : piece.slice());
      bytes += piece.length;
      if (bytes >= size) await flush();
    }
    if (bytes > 0) await flush();
    send({ kind: 'end' });
  } catch (error) {
    // What was decompressed before the failure goes first, as the main thread's own decoder would have yielded it.
    if (bytes > 0) await flush();
    const message = error instanceof Error ? error.message : String(error);
    send({ kind: 'failed', stream: error instanceof StreamError, message });
  }
}

void decompress();
