/**
 * The messages between the main thread and the zstd decompression worker
 * (zstd-thread.ts, zstd-worker.ts), and how far each side may run ahead:
 * memory stays bounded whatever the input's length.
 */

/** Compressed chunks the main thread sends ahead of what the worker took. */
export const INPUT_AHEAD = 4;
/** Bytes of decompressed output in the first message (at least), doubled for each next one up to OUTPUT_BYTES. */
export const FIRST_OUTPUT_BYTES = 64 * 1024;
/** Bytes of decompressed output per message (at least) once the first few were sent. */
export const OUTPUT_BYTES = 1 << 20;
/** Output messages the worker sends ahead of what the main thread took. */
export const OUTPUT_AHEAD = 4;

/** Main thread → worker: a compressed chunk, the end of the input, or "an output message was taken". */
export type ToWorker = { kind: 'chunk'; bytes: Uint8Array } | { kind: 'end' } | { kind: 'taken' };

/**
 * Worker → main thread: it took a compressed chunk (send the next), pieces
 * of output in order, the end of the output, or the failure that stopped it
 * (`stream`: a truncated or corrupt stream, a StreamError).
 */
export type FromWorker =
  | { kind: 'took' }
  | { kind: 'output'; pieces: Uint8Array[] }
  | { kind: 'end' }
  | { kind: 'failed'; stream: boolean; message: string };
