/**
 * A worker thread of `ingestFiles`: reads, symbolizes and turns dumps into
 * rows (profile-rows.ts), one at a time as the main thread asks, and sends
 * the rows back with their typed arrays transferred, not copied.
 *
 * Each worker keeps one symbolizer (its caches hold across dumps) and the
 * ids of the dictionary rows it already sent (a series of dumps of one
 * binary sends its stacks once per worker).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ParseError } from '@heapscope/parser';
import { loadDump, storeSymbolizer } from './load.js';
import { profileRows, seenIds } from './profile-rows.js';
import { transferables } from './row-batch.js';
import { resolveTime, type WorkerTask, type WorkerReply, type WorkerSetup } from './ingest-protocol.js';

const setup = workerData as WorkerSetup;
const symbolizer = storeSymbolizer(setup.load);
const seen = seenIds();
const port = parentPort!;

port.on('message', (task: WorkerTask) => {
  void handle(task);
});

async function handle(task: WorkerTask): Promise<void> {
  try {
    const dump = await loadDump(task.path, setup.load, symbolizer);
    const time = resolveTime(dump.profile, dump.mtimeMs, setup.timeMs);
    const rows = profileRows(dump.profile, { ...time, labels: setup.labels, buildId: dump.buildId, seen });
    const reply: WorkerReply = { task: task.task, ok: true, rows, bytes: dump.bytes, warnings: dump.profile.meta.warnings.map((w) => w.message) };
    const buffers = [rows.profile, rows.labels, rows.samples, ...Object.values(rows.dictionary)].flatMap(transferables);
    port.postMessage(reply, buffers);
  } catch (error) {
    const e = error as Error;
    const reply: WorkerReply =
      error instanceof ParseError
        ? { task: task.task, ok: false, error: { kind: 'parse', message: e.message, file: error.file, line: error.line, reason: error.reason, format: error.format } }
        : { task: task.task, ok: false, error: { kind: 'other', message: e.message, name: e.name } };
    port.postMessage(reply);
  }
}
