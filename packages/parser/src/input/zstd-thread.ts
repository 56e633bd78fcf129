/**
 * zstd decompression on a worker thread (zstd-worker.ts), beside the
 * parser: the same decoder and the same output as {@link unzstd}, its
 * WebAssembly run on the second core while this thread parses. The chunks
 * cross both ways transferred, and each side runs only a few chunks ahead
 * of the other (zstd-protocol.ts), so memory stays bounded by those and
 * the frame's window. A truncated or corrupt stream is the same
 * {@link StreamError}, after the same output, as on this thread.
 *
 * Why not always: starting a worker and compiling the decoder there costs
 * more than decompressing a small input takes (source.ts decides by the
 * compressed size; docs/BENCHMARKS.md#heaptrack-worker-parts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StreamError } from './lines.js';
import { INPUT_AHEAD, type FromWorker, type ToWorker } from './zstd-protocol.js';

/** The worker's script: beside this module when built (or bundled, scripts/bundle.mjs); from the build when running the TypeScript sources (tests). */
function workerScript(): URL {
  const candidates = ['./zstd-worker.js', './heapscope-zstd-worker.cjs', '../../dist/input/zstd-worker.js'].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (!found) throw new Error(`the zstd worker's script is missing (looked for ${candidates.map((u) => fileURLToPath(u)).join(', ')}): build heapscope`);
  return found;
}

/** Workers started and not yet stopped. */
let running = 0;

/** How many decompression workers are running (none once every input was read or dropped). */
export function runningZstdWorkers(): number {
  return running;
}

/** Decompresses a zstd stream (one or more frames) on a worker thread; errors as {@link unzstd}'s. */
export async function* unzstdOnThread(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const worker = new Worker(workerScript());
  running++;
  worker.once('exit', () => running--);
  // The worker keeps the process alive only while this thread waits for it: an input opened and
  // never read to its end (a format not recognized, a reader that failed) leaves no process behind.
  worker.unref();
  const post = (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
  /** Output messages received and not yet handed on. */
  const outputs: Uint8Array[][] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  // The compressed chunks, sent while fewer than INPUT_AHEAD are waiting in the worker.
  const input = source[Symbol.asyncIterator]();
  let sent = 0;
  let taken = 0;
  let inputDone = false;
  let feeding = false;
  const feed = async () => {
    if (feeding) return;
    feeding = true;
    try {
      while (!inputDone && sent - taken < INPUT_AHEAD) {
        const next = await input.next();
        if (next.done) {
          inputDone = true;
          post({ kind: 'end' });
        } else if (next.value.length > 0) {
          // A copy of its own to transfer: a file chunk may share its buffer with others.
          const bytes = next.value.slice();
          post({ kind: 'chunk', bytes }, [bytes.buffer]);
          sent++;
        }
      }
    } catch (error) {
      // The source's own failure (reading the file) is the reader's, after the output before it.
      inputDone = true;
      failure ??= error as Error;
      notify();
    } finally {
      feeding = false;
    }
  };

  worker.on('message', (message: FromWorker) => {
    switch (message.kind) {
      case 'took':
        taken++;
        void feed();
        return;
      case 'output':
        outputs.push(message.pieces);
        break;
      case 'end':
        ended = true;
        break;
      case 'failed':
        failure ??= message.stream ? new StreamError(message.message) : new Error(`zstd worker: ${message.message}`);
        break;
    }
    notify();
  });
  worker.on('error', (error) => {
    failure ??= error;
    notify();
  });
  const stopped = (code: number) => {
    failure ??= new Error(`the zstd worker stopped (exit code ${code})`);
    notify();
  };
  worker.on('exit', stopped);

  void feed();
  try {
    for (;;) {
      const pieces = outputs.shift();
      if (pieces !== undefined) {
        post({ kind: 'taken' });
        for (const piece of pieces) yield piece;
      } else if (ended) return;
      else if (failure) throw failure;
      else {
        worker.ref();
        await new Promise<void>((resolve) => (wake = resolve));
        worker.unref();
      }
    }
  } finally {
    worker.off('exit', stopped);
    void worker.terminate();
    if (!inputDone) void input.return?.();
  }
}
