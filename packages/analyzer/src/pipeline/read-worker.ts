/**
 * A reading worker of the loading pipeline (read-pool.ts): reads one input
 * at a time as the main thread asks (`readInput`: open, detect, parse or
 * accumulate; nothing is symbolized), and sends it back packed
 * (packed-input.ts), its columns transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packInput } from './packed-input.js';
import { readInput } from './read-input.js';
import { errorData, type ReadReply, type ReadTask, type ReadWorkerSetup } from './read-protocol.js';

/** Progress is sent at most this often: the main thread draws a line a few times a second. */
const PROGRESS_MS = 100;

const setup = workerData as ReadWorkerSetup;
const port = parentPort!;
const send = (reply: ReadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

port.on('message', (task: ReadTask) => {
  void read(task);
});

async function read({ task, path }: ReadTask): Promise<void> {
  let sent = 0;
  const onProgress = setup.progress
    ? (bytesRead: number, totalBytes: number | undefined) => {
        const now = Date.now();
        if (now - sent < PROGRESS_MS) return;
        sent = now;
        send({ task, kind: 'progress', bytesRead, totalBytes });
      }
    : undefined;
  try {
    const { packed, transfer } = packInput(await readInput(path, { ...setup.options, onProgress }));
    send({ task, kind: 'done', input: packed }, transfer);
  } catch (error) {
    send({ task, kind: 'failed', error: errorData(error) });
  }
}
