/**
 * A separate process that ingests into a store, for the tests of Ctrl-C and
 * of concurrent ingests (packages/store/test/faults.test.ts). Uses the
 * built package.
 *
 *   node ingest-child.mjs DB LABEL=VALUE LOCK_TIMEOUT_MS BATCH_ROWS FILE...
 *
 * Prints `written N` after each batch, `done I P` at the end (ingested,
 * present), and `heapscope: MESSAGE` with exit 1 on an error.
 */
import { openStore } from '../dist/index.js';

const [db, label, lockTimeoutMs, batchRows, ...files] = process.argv.slice(2);
const [key, value] = label.split('=');
try {
  const store = await openStore(db, { lockTimeoutMs: Number(lockTimeoutMs) });
  process.stdout.write('opened\n');
  const report = await store.ingestFiles(files, {
    labels: { [key]: value },
    symbolize: false,
    batchRows: Number(batchRows),
    workers: 1,
    onProgress: (p) => process.stdout.write(`written ${p.done}\n`),
  });
  await store.close();
  process.stdout.write(`done ${report.ingested} ${report.present}\n`);
} catch (error) {
  process.stderr.write(`heapscope: ${error.message}\n`);
  process.exit(1);
}
