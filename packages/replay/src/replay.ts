/**
 * `replayTrace`: a trace's operations run against real allocators, each in a
 * fresh replayer process (see native/replay.c for what a run does and
 * measures), with the JSON contract's report as the result.
 *
 * The trace is read and encoded once, into an op stream file in a temporary
 * directory, before any allocator runs: a malformed trace fails there. Then
 * the runs go round-robin — run 1 of every allocator, then run 2, … — so that
 * a machine getting busier or quieter affects all alike. An allocator whose
 * library is missing, fails to load or crashes the replayer gets a row with
 * its error, and the others still run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Input, LoadOptions, Warning } from '@heapscope/parser';
import { ReplayOptionError, chooseAllocators, resolveAllocators, type AllocatorSelection, type ResolvedAllocator } from './allocators.js';
import { encodeTrace, type EncodedTrace } from './encode.js';
import { median, medianIndex, positiveInteger, smallest } from './measures.js';
import { firstMessage, replayerPath, runReplayer, wrongMalloc, type ReplayerOutput } from './replayer.js';

/** Operations between two samples of RSS and VA (as AOSP's memory_replay samples). */
export const DEFAULT_SAMPLE_EVERY = 100_000;

/** Options of {@link replayTrace}. */
export interface ReplayTraceOptions extends LoadOptions, AllocatorSelection {
  /** Run every operation on one thread instead of one thread per trace thread. */
  singleThread?: boolean;
  /** Runs per allocator; the report gives medians (default 1). */
  runs?: number;
  /** Operations between samples (default {@link DEFAULT_SAMPLE_EVERY}). */
  sampleEvery?: number;
  /** Where the op stream file goes (default: the system's temporary directory). */
  tmpDir?: string;
  /** Told when each phase starts (the CLI shows it on stderr); `onProgress` reports the bytes of the trace read. */
  onPhase?: (event: ReplayPhase) => void;
}

/** A phase of a replay. */
export type ReplayPhase =
  | { phase: 'encode'; file: string }
  | { phase: 'run'; allocator: string; run: number; runs: number };

/** The trace, as the replay saw it. */
export interface ReplayTraceSummary {
  file: string;
  format: string;
  /** Operations replayed: allocations, frees (free(NULL) included) and reallocs; thread exits not counted. */
  ops: number;
  /** Trace threads that had operations. */
  threads: number;
  /** Size of the encoded op stream the replayer read (bytes). */
  opStreamBytes: number;
  /** The trace's own live bytes (sizes it asked for) at their peak and at its end; null when no run finished. */
  peakLiveBytes: number | null;
  finalLiveBytes: number | null;
  /** `threads`: each trace thread on a thread of its own; `single-thread`: all on one. */
  mode: 'threads' | 'single-thread';
  /** Runs per allocator. */
  runs: number;
  /** Operations the replay could not reproduce as the trace recorded them (null when no run finished). */
  unreproducible: {
    /** Frees of pointers the trace never allocated (allocated before recording started): not replayed. */
    unknownFrees: number;
    /** Reallocs of pointers the trace never allocated: replayed as realloc(NULL, size). */
    unknownReallocs: number;
    /** Allocations at a pointer that was still live (the trace lost a free): the old block is freed first. */
    implicitFrees: number;
  } | null;
  /** Trace records that are not replayable operations. */
  notReplayed: {
    /** Allocations without a returned pointer (perf entry probes without their return). */
    untracked: number;
    /** Profiler samples that are not allocations (perf CPU samples). */
    profilerSamples: number;
  };
  /** The importer's warnings. */
  warnings: Warning[];
}

/** One allocator's results (medians over its runs). Numbers are null when it has an error. */
export interface ReplayRow {
  allocator: string;
  /** The preloaded library (absolute path); null for the system allocator. */
  library: string | null;
  ops: number | null;
  /** Time spent in the operations: each call and the touching of its block, summed over all threads. */
  seconds: number | null;
  /** The spread of `seconds` over the runs (equal to it after one run). */
  secondsMin: number | null;
  secondsMax: number | null;
  nsPerOp: number | null;
  /** Largest and last RSS/VA samples, in bytes. */
  peakRss: number | null;
  /** The spread of `peakRss` over the runs. */
  peakRssMin: number | null;
  peakRssMax: number | null;
  finalRss: number | null;
  peakVa: number | null;
  finalVa: number | null;
  /** RSS and VA before the first operation (the replayer and its libraries). */
  baselineRss: number | null;
  baselineVa: number | null;
  /** The replayer's peak RSS as the kernel counted it (VmHWM), between samples included. */
  maxRss: number | null;
  /** Wall time of the whole replay loop (reading, dispatching and waiting included). */
  wallSeconds: number | null;
  /** Allocations the allocator refused (NULL): sizes beyond the address space, impossible alignments. */
  failedAllocs: number | null;
  /** Most replay threads alive at once. */
  maxThreads: number | null;
  /** Runs that finished. */
  runs: number;
  /** Why this allocator has no figures; null when it ran. */
  error: string | null;
  /** The signal that killed its replayer, when one did (SIGSEGV, SIGABRT, …). */
  signal: string | null;
}

/** One sample of a run: after `ops` operations. */
export interface ReplayPoint {
  ops: number;
  rss: number;
  va: number;
  /** The trace's own live bytes then. */
  liveBytes: number;
}

/** An allocator's samples, from its median run (by `seconds`). */
export interface ReplaySeries {
  allocator: string;
  points: ReplayPoint[];
}

/** What {@link replayTrace} returns: the `replay` JSON contract. */
export interface ReplayReport {
  trace: ReplayTraceSummary;
  rows: ReplayRow[];
  series: ReplaySeries[];
  /** The allocators with the smallest median `seconds` and `peakRss` (null when none ran). */
  best: { seconds: string | null; peakRss: string | null };
}

/** A run that finished, measured. */
interface RunMeasure {
  ops: number;
  opNs: number;
  wallNs: number;
  peakRss: number;
  finalRss: number;
  peakVa: number;
  finalVa: number;
  baselineRss: number;
  baselineVa: number;
  maxRss: number;
  failedAllocs: number;
  maxThreads: number;
  points: ReplayPoint[];
  result: Record<string, number>;
}

/**
 * Replays the trace `source` (a path, `-`, or an opened input) under each
 * chosen allocator. Throws ParseError for a bad trace, ReplayOptionError for
 * bad options and ReplayerMissingError when the native replayer is not
 * built; an allocator that cannot run is a row with an `error`.
 */
export async function replayTrace(source: string | Input, options: ReplayTraceOptions = {}): Promise<ReplayReport> {
  const choices = chooseAllocators(options);
  const runs = positiveInteger(options.runs, 1);
  if (runs === null) throw new ReplayOptionError(`--runs expects an integer ≥ 1, got ${options.runs}`);
  const sampleEvery = positiveInteger(options.sampleEvery, DEFAULT_SAMPLE_EVERY);
  if (sampleEvery === null) throw new ReplayOptionError(`the sample interval must be an integer ≥ 1, got ${options.sampleEvery}`);
  const binary = replayerPath();
  const singleThread = options.singleThread === true;

  const dir = mkdtempSync(join(options.tmpDir ?? tmpdir(), 'heapscope-replay-'));
  // An interrupted run (Ctrl-C ends the process) must not leave the op stream behind.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  try {
    options.onPhase?.({ phase: 'encode', file: typeof source === 'string' ? source : source.name });
    const trace = await encodeTrace(source, join(dir, 'trace.ops'), options);
    const allocators = resolveAllocators(choices);
    const measured = allocators.map(() => [] as RunMeasure[]);
    const errors = allocators.map((a) => a.error);
    const signals: (string | null)[] = allocators.map(() => null);
    for (let run = 1; run <= runs; run++) {
      for (let i = 0; i < allocators.length; i++) {
        if (errors[i] !== null) continue;
        options.onPhase?.({ phase: 'run', allocator: allocators[i].name, run, runs });
        let output: ReplayerOutput;
        try {
          output = await runReplayer(binary, trace.path, allocators[i], { singleThread, sampleEvery });
        } catch (error) {
          errors[i] = `${allocators[i].name}: cannot run ${binary}: ${(error as Error).message}`;
          continue;
        }
        const checked = checkRun(allocators[i], output, trace);
        if (typeof checked === 'string') {
          errors[i] = checked;
          signals[i] = output.signal;
        } else {
          measured[i].push(checked);
        }
      }
    }
    return buildReport(trace, allocators, measured, errors, signals, { singleThread, runs });
  } finally {
    process.removeListener('exit', removeDir);
    removeDir();
  }
}

/** A finished run's measures, or why the run does not count. */
function checkRun(allocator: ResolvedAllocator, out: ReplayerOutput, trace: EncodedTrace): RunMeasure | string {
  const name = allocator.name;
  const said = firstMessage(out.stderrTail);
  const why = said ? `: ${said}` : '';
  const lastOps = out.samples.length > 0 ? out.samples[out.samples.length - 1][0] : 0;
  if (out.signal !== null) {
    return `${name}: the replayer was killed by ${out.signal} after at least ${lastOps.toLocaleString('en-US')} of ${trace.ops.toLocaleString('en-US')} operations${why}`;
  }
  if (out.mallocFrom !== null) {
    const wrong = wrongMalloc(allocator, out.mallocFrom, out.stderrTail);
    if (wrong !== null) return wrong;
  }
  if (out.code !== 0) return `${name}: the replayer failed (exit status ${out.code})${why}`;
  if (out.strayOutput !== null) return `${name}: the replayer printed something else than its results: "${out.strayOutput}"`;
  const r = out.result;
  if (r === null || out.mallocFrom === null || out.samples.length < 2) return `${name}: the replayer ended without its results${why}`;
  if (r.ops !== trace.ops) return `${name}: the replayer ran ${r.ops} operations, the trace has ${trace.ops}`;
  const points = out.samples.map(([ops, rss, va, liveBytes]) => ({ ops, rss, va, liveBytes }));
  // The last sample is taken at the end; a periodic one at the same count says nothing more.
  if (points.length >= 2 && points[points.length - 2].ops === points[points.length - 1].ops) points.splice(points.length - 2, 1);
  const rss = points.map((p) => p.rss);
  const va = points.map((p) => p.va);
  return {
    ops: r.ops,
    opNs: r.opNs,
    wallNs: r.wallNs,
    peakRss: Math.max(...rss),
    finalRss: rss[rss.length - 1],
    peakVa: Math.max(...va),
    finalVa: va[va.length - 1],
    baselineRss: rss[0],
    baselineVa: va[0],
    maxRss: r.maxRss,
    failedAllocs: r.failedAllocs,
    maxThreads: r.maxThreads,
    points,
    result: r,
  };
}

function buildReport(
  trace: EncodedTrace,
  allocators: readonly ResolvedAllocator[],
  measured: readonly RunMeasure[][],
  errors: readonly (string | null)[],
  signals: readonly (string | null)[],
  how: { singleThread: boolean; runs: number },
): ReplayReport {
  // The trace's own books are the same in every run: they depend on the trace alone.
  const all = measured.flat();
  const first = all[0]?.result;
  for (const m of all) {
    for (const k of ['liveBytes', 'peakLiveBytes', 'unknownFrees', 'unknownReallocs', 'implicitFrees'] as const) {
      if (m.result[k] !== first[k]) throw new Error(`replay runs disagree on the trace's ${k}: ${m.result[k]} and ${first[k]}`);
    }
  }
  const rows: ReplayRow[] = [];
  const series: ReplaySeries[] = [];
  allocators.forEach((allocator, i) => {
    const runs = errors[i] === null ? measured[i] : [];
    const med = (f: (m: RunMeasure) => number) => (runs.length > 0 ? median(runs.map(f)) : null);
    const least = (f: (m: RunMeasure) => number) => (runs.length > 0 ? Math.min(...runs.map(f)) : null);
    const most = (f: (m: RunMeasure) => number) => (runs.length > 0 ? Math.max(...runs.map(f)) : null);
    const seconds = med((m) => m.opNs / 1e9);
    const ops = runs.length > 0 ? runs[0].ops : null;
    rows.push({
      allocator: allocator.name,
      library: allocator.path,
      ops,
      seconds,
      secondsMin: least((m) => m.opNs / 1e9),
      secondsMax: most((m) => m.opNs / 1e9),
      nsPerOp: seconds !== null && ops ? (seconds * 1e9) / ops : null,
      peakRss: med((m) => m.peakRss),
      peakRssMin: least((m) => m.peakRss),
      peakRssMax: most((m) => m.peakRss),
      finalRss: med((m) => m.finalRss),
      peakVa: med((m) => m.peakVa),
      finalVa: med((m) => m.finalVa),
      baselineRss: med((m) => m.baselineRss),
      baselineVa: med((m) => m.baselineVa),
      maxRss: med((m) => m.maxRss),
      wallSeconds: med((m) => m.wallNs / 1e9),
      failedAllocs: runs.length > 0 ? Math.max(...runs.map((m) => m.failedAllocs)) : null,
      maxThreads: med((m) => m.maxThreads),
      runs: runs.length,
      error: errors[i],
      signal: signals[i],
    });
    if (runs.length > 0) series.push({ allocator: allocator.name, points: runs[medianIndex(runs.map((m) => m.opNs))].points });
  });
  return {
    trace: {
      file: trace.file,
      format: trace.format,
      ops: trace.ops,
      threads: trace.threads,
      opStreamBytes: trace.bytes,
      peakLiveBytes: first ? first.peakLiveBytes : null,
      finalLiveBytes: first ? first.liveBytes : null,
      mode: how.singleThread ? 'single-thread' : 'threads',
      runs: how.runs,
      unreproducible: first ? { unknownFrees: first.unknownFrees, unknownReallocs: first.unknownReallocs, implicitFrees: first.implicitFrees } : null,
      notReplayed: { untracked: trace.untracked, profilerSamples: trace.profilerSamples },
      warnings: trace.warnings,
    },
    rows,
    series,
    best: { seconds: smallest(rows, (r) => r.seconds), peakRss: smallest(rows, (r) => r.peakRss) },
  };
}
