/**
 * Reading many inputs on every core: the first stage of the loading
 * pipeline (`readInput`: open, detect, parse or accumulate) run `jobs`
 * inputs at a time — on `jobs − 1` worker threads (read-worker.ts) and on
 * this thread, which reads the next input whenever it is not reading one
 * and no worker is free — the results handed on in the order of the
 * inputs, so that what follows (symbolization with the one symbolizer, the
 * analyses, the warnings) sees exactly what reading them one after the
 * other gives. `jobs: 1` is that sequential path itself.
 *
 * Why this thread reads too: it has the caller's work to do anyway (each
 * input's symbolization and reduction, which the workers cannot take), and
 * each worker is an isolate of its own, with its own heap to collect and
 * the reading code to compile and optimize again; with `jobs` readers of
 * which one is this thread, `jobs` cores are used by `jobs` threads, and
 * the work shares itself out — this thread reads less the more its caller
 * does.
 *
 * Memory: an input is given to a worker only while fewer than `jobs` inputs
 * are read or being read and not yet handed on, so at most `jobs` inputs
 * (and the one the caller holds) are in memory at once, however many there
 * are. Workers send each input packed (packed-input.ts): its columns move,
 * they are not copied.
 *
 * Errors: the first input in order that fails stops the reading with its
 * error, rebuilt as the same kind (read-protocol.ts), after the inputs
 * before it were handed on — as the sequential path does. Standard input
 * (`-`) is always read on this thread: workers have none.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { OpenOptions } from '@heapscope/parser';
import { unpackInput } from './packed-input.js';
import { readInput, type LoadedInput, type ReadOptions } from './read-input.js';
import { rebuildError, type ReadReply, type ReadWorkerSetup } from './read-protocol.js';

/** Options of reading many inputs. */
export interface ReadInputsOptions extends ReadOptions {
  /**
   * Inputs read at once: on `jobs − 1` worker threads and on this thread; 1
   * reads them one after the other on this thread. Default: the available cores, or 1 for inputs
   * smaller than {@link PARALLEL_MIN_BYTES} in all.
   */
  jobs?: number;
  /** Called as each input starts to be read (in parallel: as it becomes the next to hand on); what it returns follows its reading. */
  onInput?: (path: string) => OpenOptions['onProgress'];
  /** Called as reading an input starts, on this thread or on a worker (in parallel, up to `jobs` ahead of the caller). */
  onStart?: (path: string, index: number) => void;
}

/**
 * Inputs smaller than this in all are read on this thread unless `jobs` is
 * given. Why: a worker first compiles the reading code (a fraction of a
 * second), which is about what parsing a few tens of MiB of dumps takes; for
 * a few small inputs, starting workers costs more than it saves.
 */
export const PARALLEL_MIN_BYTES = 32 * 2 ** 20;

/** The default of `jobs`: one input per core, or 1 when the inputs are small in all ({@link PARALLEL_MIN_BYTES}). */
export function defaultJobs(paths: readonly string[]): number {
  let bytes = 0;
  for (const path of paths) {
    if (path === '-') continue;
    try {
      bytes += statSync(path).size;
    } catch {
      continue; // reading it will say what is wrong
    }
  }
  return bytes >= PARALLEL_MIN_BYTES ? availableParallelism() : 1;
}

/** Reads `paths` (`-` is stdin), `jobs` at a time, and yields them in order; nothing is symbolized. */
export async function* readInputs(paths: readonly string[], options: ReadInputsOptions = {}): AsyncGenerator<LoadedInput> {
  const jobs = Math.min(options.jobs ?? defaultJobs(paths), paths.length);
  if (jobs <= 1) {
    for (const [index, path] of paths.entries()) {
      options.onStart?.(path, index);
      yield await readInput(path, { ...options, onProgress: options.onInput?.(path) ?? options.onProgress });
    }
    return;
  }
  const pool = new ReadPool(paths, jobs, options);
  try {
    for (let index = 0; index < paths.length; index++) {
      const input = await pool.take(index);
      yield input;
    }
  } finally {
    await pool.close();
  }
}

/**
 * The reading options that cross to a worker: values, lists and patterns.
 * Callbacks, streams (stdin) and objects with state (the caller's
 * symbolizer, when the options are the whole pipeline's) stay here; the
 * reading stage uses none of those.
 */
function crossingOptions(options: ReadInputsOptions): ReadOptions {
  const crosses = (value: unknown) => {
    if (typeof value === 'function') return false;
    if (typeof value !== 'object' || value === null) return true;
    const proto = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === Array.prototype || proto === RegExp.prototype;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (key !== 'jobs' && crosses(value)) out[key] = value;
  return out as ReadOptions;
}

/** The worker's script: beside this module when built (or bundled, scripts/bundle.mjs); from the build when running the TypeScript sources (tests). */
function workerScript(): URL {
  const candidates = ['./read-worker.js', './heapscope-read-worker.cjs', '../../dist/pipeline/read-worker.js'].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (!found) throw new Error(`the reading worker's script is missing (looked for ${candidates.map((u) => fileURLToPath(u)).join(', ')}): build heapscope`);
  return found;
}

/** One input's reading: settled when it is read. */
interface Slot {
  done: Promise<LoadedInput>;
  resolve(input: LoadedInput): void;
  reject(error: Error): void;
  /** The last progress a worker sent, and where it goes once this input is the next to hand on. */
  progress?: [number, number | undefined];
  onProgress?: OpenOptions['onProgress'];
  worker?: Worker;
}

/** Workers reading inputs, `jobs` ahead of the caller. */
class ReadPool {
  private readonly slots: Slot[] = [];
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly setup: ReadWorkerSetup;
  private next = 0;
  /** Inputs handed on so far. */
  private taken = 0;
  /** A worker that crashed: inputs not yet started fail with its error. */
  private failed: Error | undefined;
  /** Whether this thread is reading a file (standard input aside). */
  private reading = false;
  /** The caller is done (or stopped early): nothing more starts. */
  private closed = false;

  constructor(
    private readonly paths: readonly string[],
    private readonly jobs: number,
    private readonly options: ReadInputsOptions,
  ) {
    this.setup = { options: crossingOptions(options), progress: options.onInput !== undefined || options.onProgress !== undefined };
    const script = workerScript();
    // This thread is one of the `jobs` readers.
    const wanted = Math.min(jobs - 1, paths.filter((p) => p !== '-').length);
    for (let i = 0; i < wanted; i++) {
      const worker = new Worker(script, { workerData: this.setup });
      worker.on('message', (reply: ReadReply) => this.onReply(worker, reply));
      worker.on('error', (error) => this.onFailure(worker, error));
      worker.on('exit', (code) => this.onFailure(worker, new Error(`a reading worker stopped (exit code ${code})`)));
      this.workers.push(worker);
      this.idle.push(worker);
    }
    this.pump();
  }

  /** Input `index`, once read (inputs are taken in order). */
  async take(index: number): Promise<LoadedInput> {
    const slot = this.slots[index];
    slot.onProgress = this.options.onInput?.(this.paths[index]) ?? this.options.onProgress;
    if (slot.progress) slot.onProgress?.(...slot.progress);
    const input = await slot.done;
    this.taken = index + 1;
    delete this.slots[index]; // the caller holds it now
    this.pump();
    return input;
  }

  /** Starts inputs while fewer than `jobs` are read ahead of the caller: on a free worker, else on this thread if it is not reading one. */
  private pump(): void {
    while (!this.closed && this.next < this.paths.length && this.next - this.taken < this.jobs) {
      const path = this.paths[this.next];
      const stdin = path === '-';
      const worker = stdin || this.failed ? undefined : this.idle.pop();
      const here = stdin || (!worker && !this.failed && !this.reading);
      if (!worker && !here && !this.failed) return;
      const index = this.next++;
      const slot = this.newSlot();
      this.slots[index] = slot;
      this.options.onStart?.(path, index);
      if (worker) {
        slot.worker = worker;
        worker.postMessage({ task: index, path });
      } else if (here) this.readHere(index, path, slot);
      else slot.reject(this.failed!);
    }
  }

  /** Reads input `index` on this thread (standard input, or a file while no worker is free). */
  private readHere(index: number, path: string, slot: Slot): void {
    const file = path !== '-';
    if (file) this.reading = true;
    const read = readInput(path, { ...this.options, onProgress: (bytes, total) => this.progress(index, bytes, total) });
    read.then(slot.resolve, slot.reject).finally(() => {
      if (!file) return;
      this.reading = false;
      this.pump();
    });
  }

  private newSlot(): Slot {
    let resolve!: Slot['resolve'];
    let reject!: Slot['reject'];
    const done = new Promise<LoadedInput>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A failure is the caller's once it takes the input; until then it must not count as unhandled.
    done.catch(() => {});
    return { done, resolve, reject };
  }

  private progress(index: number, read: number, total: number | undefined): void {
    const slot = this.slots[index];
    if (!slot) return;
    slot.progress = [read, total];
    slot.onProgress?.(read, total);
  }

  private onReply(worker: Worker, reply: ReadReply): void {
    if (reply.kind === 'progress') return this.progress(reply.task, reply.bytesRead, reply.totalBytes);
    const slot = this.slots[reply.task];
    slot.worker = undefined;
    this.idle.push(worker);
    if (reply.kind === 'done') slot.resolve(unpackInput(reply.input));
    else slot.reject(rebuildError(reply.error));
    this.pump();
  }

  /** A worker that crashed or stopped: the input it was reading fails with that error. */
  private onFailure(worker: Worker, error: Error): void {
    this.failed ??= error;
    for (const slot of this.slots) {
      if (slot?.worker === worker) {
        slot.worker = undefined;
        slot.reject(error);
      }
    }
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    this.pump();
  }

  /** Stops every worker (after the last input, or when the caller stops early). */
  async close(): Promise<void> {
    this.closed = true;
    for (const worker of this.workers) worker.removeAllListeners('exit');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
