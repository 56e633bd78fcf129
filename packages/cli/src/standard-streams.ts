/**
 * The process's standard output and error as the CLI's sinks, such that no
 * byte is lost without a word.
 *
 * Why not `process.stdout` alone: when stdout is a file or a device, Node
 * writes to it synchronously and ignores how much each write took — a short
 * write on a nearly full file system drops the rest and the run exits 0
 * with truncated JSON — and reports a failed write (`> /dev/full`) as an
 * 'error' event after the command has moved on, which ends the process with
 * a stack trace. Here files and devices are written with `writeSync` until
 * every byte is out, and a failure is thrown into the command that wrote,
 * which ends the run with one line and exit code 1. Pipes and terminals
 * keep Node's own streams: their failures arrive as events, handled in
 * {@link watchStandardStreams}.
 */
import { fstatSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Sink } from './io.js';
import { OutputError, outputError } from './output-file.js';

/** Writes all of `chunk` to `fd`; throws an {@link OutputError} naming `name` when it cannot. */
function writeAllSync(fd: number, name: string, chunk: string | Uint8Array): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  let offset = 0;
  while (offset < bytes.length) {
    let written: number;
    try {
      written = writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      throw outputError(name, error);
    }
    if (written === 0) throw new OutputError(name, 'EIO', 'the file accepted no more data');
    offset += written;
  }
}

/** Whether `fd` is a file or a device that is not a terminal (Node writes those synchronously). */
function isFileOrDevice(fd: number): boolean {
  if (isatty(fd)) return false;
  try {
    // BigInt stats: Node's realpathSync reads the stat array shared by every
    // other (non-BigInt) stat call, and a FIFO left there (a piped stdout)
    // stops it early, so that a package installed as a symlink (DuckDB's
    // native API, under pnpm) loads by its link's path and its own
    // dependencies are not found (packages/cli/test/store-cli.test.ts).
    const stats = fstatSync(fd, { bigint: true });
    return stats.isFile() || stats.isCharacterDevice() || stats.isBlockDevice();
  } catch {
    return false;
  }
}

/** Set when a write to standard error failed. */
let failedStderr = false;

/** The sink of standard output (fd 1). */
export function standardOutput(): Sink {
  if (isFileOrDevice(1)) return { write: (chunk) => writeAllSync(1, 'standard output', chunk), isTTY: false };
  return process.stdout;
}

/**
 * The sink of standard error (fd 2). A failure to write an error message
 * cannot be reported anywhere: it is remembered, and the run ends with exit
 * code 1 ({@link stderrFailed}).
 */
export function standardError(): Sink {
  if (!isFileOrDevice(2)) return process.stderr;
  return {
    write(chunk) {
      try {
        writeAllSync(2, 'standard error', chunk);
      } catch {
        failedStderr = true;
      }
    },
    isTTY: false,
  };
}

/** Whether a write to standard error failed. */
export function stderrFailed(): boolean {
  return failedStderr;
}

/**
 * Handles failures of pipe and terminal streams, which Node reports as
 * events. A reader that stops early (`heapscope top … | head`) closes the
 * pipe: that ends the report, it is not an error. Any other failure of
 * standard output ends the run with one line and exit code 1.
 */
export function watchStandardStreams(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`heapscope: ${outputError('standard output', error).message}\n`);
    process.exit(1);
  });
  process.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.exit(1);
  });
}
