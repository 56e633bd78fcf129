/**
 * The CLI's window on the world. `main()` takes one, so tests run the CLI in
 * process and read what it wrote; `bin.ts` passes the real process streams.
 */
import { unlinkSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, basename, join } from 'node:path';

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

/**
 * Temporary files being written. Signals are process-wide, so this registry
 * is too: on Ctrl-C, `removeTemporaryFiles()` deletes them before exiting.
 */
const temporaryFiles = new Set<string>();

/** Deletes every temporary output file still being written (synchronously: for signal handlers). */
export function removeTemporaryFiles(): void {
  for (const temp of temporaryFiles) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  temporaryFiles.clear();
}

/**
 * Writes a file whole or not at all: the data goes to a temporary file in
 * the same directory, which is then renamed over the target. A failure
 * leaves any existing file untouched and no partial file behind.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  // Loaded here: runs that write no file do not load node:crypto.
  const { randomBytes } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  temporaryFiles.add(temp);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  } finally {
    temporaryFiles.delete(temp);
  }
}

/**
 * Where a command's report goes: stdout, or with `-o FILE` a buffer written
 * atomically when the command succeeds.
 */
export class ReportOutput {
  private readonly parts: (string | Uint8Array)[] = [];

  constructor(
    private readonly io: CliIo,
    /** `-o` path, or undefined for stdout. */
    readonly path: string | undefined,
  ) {}

  /** Whether the report would land on a terminal. */
  get isTerminal(): boolean {
    return this.path === undefined && this.io.stdout.isTTY === true;
  }

  write(chunk: string | Uint8Array): void {
    if (this.path === undefined) this.io.stdout.write(chunk);
    else this.parts.push(chunk);
  }

  /**
   * Writes a text report. On a terminal of known width, a line longer than
   * the terminal (a long C++ name) is cut to its width and ends in `…`,
   * rather than wrapping into the next row; files, pipes and JSON get every
   * line whole.
   */
  writeText(text: string): void {
    const width = this.io.stdout.columns;
    if (!this.isTerminal || width === undefined || !(width > 1)) {
      this.write(text);
      return;
    }
    this.write(text.replace(/^.*$/gm, (line) => ([...line].length > width ? `${[...line].slice(0, width - 1).join('')}…` : line)));
  }

  /** Writes the buffered report to `-o FILE` (no-op for stdout). */
  async close(): Promise<void> {
    if (this.path === undefined) return;
    const buffers = this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p));
    await writeFileAtomic(this.path, Buffer.concat(buffers));
  }
}
