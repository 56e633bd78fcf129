/**
 * Writing an output file (`-o FILE`, `diagnose --plot FILE`) the way the
 * path asks for:
 *
 * - a regular file, or a new one, is written whole or not at all: the data
 *   goes to a temporary file beside it, which is renamed over it when
 *   complete. An existing file keeps its mode (and, for root, its owner);
 *   one we may not write is an error, as it is for the shell's `>`.
 * - a symbolic link is followed: the file it points to is replaced (the
 *   temporary file is made beside the target), and the link stays.
 * - a device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written
 *   in place: renaming over it would replace the device node or leave the
 *   pipe's reader with nothing.
 *
 * Errors name the path as given, never the temporary file.
 *
 * Ctrl-C: a temporary file exists only while it is written, and only then
 * are signal handlers installed (when {@link removeTemporaryFilesOnSignals}
 * was called: the executable does, tests running `main()` in process do
 * not). Why not always: Node runs signal handlers on the event loop, so a
 * handler installed while the main thread computes for minutes delays
 * Ctrl-C until the computation ends — or forever, if it never does. Without
 * a handler, the signal's default action ends the process at once, and
 * then there is nothing to clean up.
 */
import { closeSync, constants, fchmodSync, fchownSync, openSync, unlinkSync, write, type Stats } from 'node:fs';
import { access, lstat, readlink, realpath, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/** A file that could not be written, named as the user named it. */
export class OutputError extends Error {
  override readonly name = 'OutputError';

  constructor(
    /** The output as the user named it (`out.json`, `standard output`). */
    readonly output: string,
    /** The errno code (`ENOSPC`), when there was one. */
    readonly code: string | undefined,
    reason: string,
  ) {
    super(`${output}: ${reason}`);
  }
}

/** An errno error's reason without its code and syscall: "no space left on device". */
function reasonOf(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  return /^E[A-Z0-9]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

/** `error` as an {@link OutputError} about `output` (unchanged when it already is one, or is not a system error). */
export function outputError(output: string, error: unknown): Error {
  if (error instanceof OutputError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string') return error as Error;
  return new OutputError(output, code, reasonOf(error));
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT_CODES: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Temporary files being written; signals are process-wide, so this registry is too. */
const temporaryFiles = new Set<string>();
let cleanUpOnSignals = false;

function onSignal(signal: (typeof SIGNALS)[number]): void {
  removeTemporaryFiles();
  process.exit(EXIT_CODES[signal] ?? 1);
}

/**
 * From now on, a signal that ends the process while an output is being
 * written first deletes its temporary file (see the module comment).
 */
export function removeTemporaryFilesOnSignals(): void {
  cleanUpOnSignals = true;
}

/** Deletes every temporary output file still being written (synchronously: for signal handlers). */
function removeTemporaryFiles(): void {
  for (const temp of temporaryFiles) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
  temporaryFiles.clear();
}

/** Registers `temp` and creates it, in one synchronous step: no signal handler can run between the two. */
function createTemporary(temp: string, mode: number): number {
  if (cleanUpOnSignals && temporaryFiles.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
  temporaryFiles.add(temp);
  try {
    return openSync(temp, 'wx', mode);
  } catch (error) {
    forgetTemporary(temp);
    throw error;
  }
}

function forgetTemporary(temp: string): void {
  temporaryFiles.delete(temp);
  if (temporaryFiles.size === 0) for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Writes all of `bytes` to `fd`, asynchronously (the event loop stays free for signals). */
async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const written = await new Promise<number>((done, fail) => write(fd, bytes, offset, bytes.length - offset, null, (error, n) => (error ? fail(error) : done(n))));
    if (written === 0) throw Object.assign(new Error('EIO: the file accepted no more data, write'), { code: 'EIO' });
    offset += written;
  }
}

/** Where writing `path` lands: the path at the end of its symbolic links, and what is there (undefined: nothing yet). */
async function resolveTarget(path: string): Promise<{ path: string; stats?: Stats }> {
  let current = path;
  // The kernel's own limit on links followed in one lookup.
  for (let hops = 0; hops <= 40; hops++) {
    let stats: Stats;
    try {
      stats = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path: current };
      throw error;
    }
    if (!stats.isSymbolicLink()) return { path: current, stats };
    const link = await readlink(current);
    // Relative to the link's real directory, as the kernel resolves it (not lexically: "dir/../x" through a linked dir).
    current = isAbsolute(link) ? link : resolve(await realpath(dirname(current)), link);
  }
  throw Object.assign(new Error('ELOOP: too many levels of symbolic links, open'), { code: 'ELOOP' });
}

/** Replaces (or creates) the regular file `target` with `bytes` through a temporary file beside it. */
async function replaceFile(target: string, bytes: Uint8Array, existing: Stats | undefined): Promise<void> {
  if (existing) await access(target, constants.W_OK);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  // A new file gets the usual mode (0666 less the umask); an existing file's
  // content is written unreadable to others until it has that file's mode.
  const fd = createTemporary(temp, existing ? 0o600 : 0o666);
  let open = true;
  try {
    await writeAll(fd, bytes);
    if (existing) {
      fchmodSync(fd, existing.mode & 0o7777);
      if (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.()) {
        try {
          fchownSync(fd, existing.uid, existing.gid);
        } catch {
          // Only root may give a file away; the mode is still kept.
        }
      }
    }
    closeSync(fd);
    open = false;
    await rename(temp, target);
  } catch (error) {
    if (open) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already gone
    }
    throw error;
  } finally {
    forgetTemporary(temp);
  }
}

/**
 * Writes `data` to the output `path` as the module comment says: whole or
 * not at all to a regular file (through its symbolic links, keeping its
 * mode), in place to a device or FIFO. Errors are {@link OutputError}s
 * naming `path`.
 */
export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  try {
    const target = await resolveTarget(path);
    const stats = target.stats;
    if (stats?.isDirectory()) throw Object.assign(new Error('EISDIR: is a directory, open'), { code: 'EISDIR' });
    if (stats && !stats.isFile()) {
      // A device, FIFO or socket: opened and written as it is (a FIFO's open waits for its reader).
      await writeFile(target.path, bytes);
      return;
    }
    await replaceFile(target.path, bytes, stats);
  } catch (error) {
    throw outputError(path, error);
  }
}
