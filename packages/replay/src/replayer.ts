/**
 * heapscope-replayer, the native half of this package (native/main.c):
 * where it is, and one run of each of its modes — a replay of an op stream
 * under one allocator, a probe of which library provides malloc, and a
 * launch of a command. Each run is a fresh process whose environment is the
 * caller's without LD_PRELOAD, plus the allocator's library and variables.
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ResolvedAllocator } from './allocators.js';

const BINARY = 'heapscope-replayer';
/** How much of a run's stderr is kept for its error message. */
const STDERR_TAIL_BYTES = 4096;

/** The replayer binary is not there (the package's install script did not run). */
export class ReplayerMissingError extends Error {
  override readonly name = 'ReplayerMissingError';
}

/**
 * The replayer binary: `$HEAPSCOPE_REPLAYER`, else `build/heapscope-replayer`
 * of this package (found beside these sources, or through the package's
 * name when they are bundled into another file).
 */
export function replayerPath(): string {
  const override = process.env.HEAPSCOPE_REPLAYER;
  if (override) {
    if (!existsSync(override)) throw new ReplayerMissingError(`HEAPSCOPE_REPLAYER names ${override}, which does not exist`);
    return override;
  }
  const candidates = [fileURLToPath(new URL(`../build/${BINARY}`, import.meta.url))];
  try {
    const manifest = createRequire(import.meta.url).resolve('@heapscope/replay/package.json');
    candidates.push(join(dirname(manifest), 'build', BINARY));
  } catch {
    // not resolvable by name from here: only the first candidate
  }
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) {
    throw new ReplayerMissingError(`the allocator replayer is not built (no ${candidates.join(' or ')}); packages/replay/native/build.mjs builds it, and pnpm install runs that`);
  }
  return found;
}

/** The environment of a run under `allocator`: ours without LD_PRELOAD, then its library and variables. */
export function allocatorEnvironment(allocator: ResolvedAllocator): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LD_PRELOAD;
  if (allocator.path !== null) env.LD_PRELOAD = allocator.path;
  return { ...env, ...allocator.env };
}

/** How a process ended. */
export interface ProcessEnd {
  /** Exit status, or null when a signal killed it. */
  code: number | null;
  /** The signal's name (SIGSEGV, …), or null. */
  signal: string | null;
  /** The last lines of its stderr. */
  stderrTail: string;
}

/** The signal number → name (SIGABRT, …). */
export function signalName(signal: number | string | null): string | null {
  if (signal === null) return null;
  if (typeof signal === 'string') return signal;
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signal);
  return entry ? entry[0] : `signal ${signal}`;
}

/** Keeps the last `STDERR_TAIL_BYTES` of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private bytes = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.chunks.length > 1 && this.bytes - this.chunks[0].length >= STDERR_TAIL_BYTES) this.bytes -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - STDERR_TAIL_BYTES)).toString('utf8').trim();
  }
}

/** Splits a stream into lines, calling `onLine` for each complete one. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  return {
    push(chunk) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop()!;
      for (const line of lines) if (line !== '') onLine(line);
    },
    end() {
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** The first line of a stderr tail that says something (ld.so's error, an allocator's abort message). */
export function firstMessage(stderrTail: string): string {
  return stderrTail.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

/** What one replay run printed, and how it ended. */
export interface ReplayerOutput extends ProcessEnd {
  /** The library that provided malloc in the run. */
  mallocFrom: string | null;
  /** [ops, rss, va, liveBytes] samples, in order. */
  samples: [number, number, number, number][];
  /** The result line's fields; null when the run did not get there. */
  result: Record<string, number> | null;
  /** The first output line that was not the replayer's JSON, if any. */
  strayOutput: string | null;
}

/** Runs the replayer on an op stream under one allocator. */
export function runReplayer(
  binary: string,
  opsPath: string,
  allocator: ResolvedAllocator,
  options: { singleThread: boolean; sampleEvery: number },
): Promise<ReplayerOutput> {
  const args = ['replay', '--sample-every', String(options.sampleEvery)];
  if (options.singleThread) args.push('--single-thread');
  args.push(opsPath);
  const out: ReplayerOutput = { code: null, signal: null, stderrTail: '', mallocFrom: null, samples: [], result: null, strayOutput: null };
  const lines = lineSplitter((line) => {
    let message: { start?: { malloc: string }; sample?: [number, number, number, number]; result?: Record<string, number> };
    try {
      message = JSON.parse(line);
    } catch {
      // Only the replayer writes to this pipe; anything else is a fault worth showing.
      out.strayOutput ??= line.slice(0, 200);
      return;
    }
    if (message.sample) out.samples.push(message.sample);
    else if (message.start) out.mallocFrom = message.start.malloc;
    else if (message.result) out.result = message.result;
  });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { env: allocatorEnvironment(allocator), stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = new Tail();
    child.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      lines.end();
      out.code = code;
      out.signal = signalName(signal);
      out.stderrTail = tail.text();
      resolvePromise(out);
    });
  });
}

/** Which file provides malloc when the replayer runs under `allocator` (null: the probe failed; see its end). */
export function probeAllocator(binary: string, allocator: ResolvedAllocator): Promise<{ mallocFrom: string | null; end: ProcessEnd }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, ['probe'], { env: allocatorEnvironment(allocator), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const tail = new Tail();
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const end = { code, signal: signalName(signal), stderrTail: tail.text() };
      let mallocFrom: string | null = null;
      try {
        mallocFrom = (JSON.parse(stdout) as { probe: { malloc: string } }).probe.malloc;
      } catch {
        // no answer: the end says why
      }
      resolvePromise({ mallocFrom, end });
    });
  });
}

/**
 * Why a run's malloc is not the allocator's, or null when it is: the
 * preloaded library must define the malloc the process calls (a library
 * that failed to load leaves libc's, and ld.so only warns), and the system
 * allocator's run must get libc's.
 */
export function wrongMalloc(allocator: ResolvedAllocator, mallocFrom: string, stderrTail: string): string | null {
  const same = (a: string, b: string) => {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return a === b;
    }
  };
  if (allocator.path === null) {
    return /^libc[.-]/.test(basename(mallocFrom)) ? null : `${allocator.name}: malloc comes from ${mallocFrom || 'an unknown object'}, not libc (is /etc/ld.so.preload set?)`;
  }
  if (mallocFrom !== '' && same(mallocFrom, allocator.path)) return null;
  const loader = firstMessage(stderrTail);
  return `${allocator.name}: preloading ${allocator.path} did not replace malloc (it comes from ${mallocFrom || 'an unknown object'})${loader ? `: ${loader}` : ''}`;
}

/** What one launch of a command measured. */
export interface LaunchResult extends ProcessEnd {
  /** Null when the command ran; else why it could not be started (exec failed). */
  error: string | null;
  wallNs: number;
  userNs: number;
  systemNs: number;
  maxRssBytes: number;
  /** The command's own exit status and signal (the launcher's are in `code`/`signal` of ProcessEnd). */
  exitCode: number | null;
  exitSignal: string | null;
}

/** Options of a launch. */
export interface LaunchOptions {
  cwd?: string;
  /** Receives the command's output; without it, its stdout is discarded and its stderr kept only for error messages. */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

/** Runs `argv` once under `allocator` through the replayer's launch mode. */
export function launchCommand(binary: string, argv: readonly string[], allocator: ResolvedAllocator, options: LaunchOptions = {}): Promise<LaunchResult> {
  // The allocator's library and variables go to the command only, not to the launcher.
  const args = ['launch', '--result-fd', '3'];
  if (allocator.path !== null) args.push('--preload', allocator.path);
  for (const [k, v] of Object.entries(allocator.env)) args.push('--env', `${k}=${v}`);
  args.push('--', ...argv);
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, {
      env,
      cwd: options.cwd,
      stdio: ['ignore', options.onOutput ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const tail = new Tail();
    let result = '';
    child.stdout?.on('data', (chunk: Buffer) => options.onOutput?.(chunk, 'stdout'));
    child.stderr!.on('data', (chunk: Buffer) => {
      tail.push(chunk);
      options.onOutput?.(chunk, 'stderr');
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (result += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const launched: LaunchResult = {
        code,
        signal: signalName(signal),
        stderrTail: tail.text(),
        error: null,
        wallNs: 0,
        userNs: 0,
        systemNs: 0,
        maxRssBytes: 0,
        exitCode: null,
        exitSignal: null,
      };
      let parsed: { launch: { error?: string; wallNs: number; userNs: number; systemNs: number; maxRss: number; exitCode: number | null; signal: number | null } } | undefined;
      try {
        parsed = JSON.parse(result);
      } catch {
        launched.error = `the launcher ended without a result (${code !== null ? `status ${code}` : signalName(signal)})${firstMessage(launched.stderrTail) ? `: ${firstMessage(launched.stderrTail)}` : ''}`;
      }
      if (parsed) {
        const l = parsed.launch;
        if (l.error !== undefined) launched.error = l.error;
        else {
          launched.wallNs = l.wallNs;
          launched.userNs = l.userNs;
          launched.systemNs = l.systemNs;
          launched.maxRssBytes = l.maxRss;
          launched.exitCode = l.exitCode;
          launched.exitSignal = signalName(l.signal);
        }
      }
      resolvePromise(launched);
    });
  });
}
