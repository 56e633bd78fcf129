/**
 * The CLI's window on the world. `main()` takes one, so tests run the CLI in
 * process and read what it wrote; `bin.ts` passes the real process streams.
 */

/** A writable text/binary sink. */
export interface Sink {
  write(chunk: string | Uint8Array): unknown;
  /** True when it is a terminal. */
  isTTY?: boolean;
  /** A terminal's width in characters, when known. */
  columns?: number;
}

/** What the CLI reads from and writes to. */
export interface CliIo {
  /** Report data only ("standard output is reserved for report data"). */
  stdout: Sink;
  /** Errors, warnings, progress. */
  stderr: Sink;
  /** What `-` reads. */
  stdin?: AsyncIterable<Uint8Array>;
}

/** A failure the user caused by how the command was called (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A `--fail-on-…` threshold was crossed (exit 3). */
export class ThresholdError extends Error {
  override readonly name = 'ThresholdError';
}

/** A run that could not do its work, for a reason named in one line (exit 1): an allocator that could not be measured. */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';
}
