/**
 * `runTrial`: the allocator-selection loop on a real command. The command
 * runs `runs` times under each allocator, in the order A B C A B C … so
 * that drift of the machine spreads evenly, each time through the
 * replayer's launch mode (fork, exec, wait4), which measures its wall time,
 * CPU time and peak RSS. Before the first run, each allocator's library is
 * probed: one that is missing or does not replace malloc gets an error and
 * the others go on. A command that fails under an allocator (non-zero exit,
 * a signal) marks that allocator failed; its later runs are skipped and the
 * trial goes on with the others.
 */
import { ReplayOptionError, chooseAllocators, resolveAllocators, type AllocatorSelection } from './allocators.js';
import { median, positiveInteger, smallest } from './measures.js';
import { firstMessage, launchCommand, probeAllocator, replayerPath, wrongMalloc, type LaunchOptions, type LaunchResult } from './replayer.js';

/** Runs per allocator when not given. */
export const DEFAULT_TRIAL_RUNS = 3;

/** Options of {@link runTrial}. */
export interface TrialOptions extends AllocatorSelection, LaunchOptions {
  /** Runs per allocator (default {@link DEFAULT_TRIAL_RUNS}). */
  runs?: number;
  /** Told before each run (the CLI shows it on stderr). */
  onProgress?: (event: { allocator: string; run: number; runs: number }) => void;
}

/** One allocator's results: medians and range over its successful runs (null when none succeeded). */
export interface TrialRow {
  allocator: string;
  /** The preloaded library (absolute path); null for the system allocator. */
  library: string | null;
  /** Successful runs. */
  runs: number;
  seconds: number | null;
  secondsMin: number | null;
  secondsMax: number | null;
  /** Median of the runs' peak RSS (the command's ru_maxrss), bytes. */
  maxRss: number | null;
  /** The spread of `maxRss` over the successful runs. */
  maxRssMin: number | null;
  maxRssMax: number | null;
  userSeconds: number | null;
  systemSeconds: number | null;
  /** Wall seconds of every successful run, in order. */
  runSeconds: number[];
  /** The command failed (non-zero exit, a signal, could not start) or the allocator could not be used. */
  failed: boolean;
  /** The failing run's exit status, or null. */
  exitCode: number | null;
  /** The signal that killed the failing run, or null. */
  signal: string | null;
  /** What went wrong; null when every run succeeded. */
  error: string | null;
}

/** What {@link runTrial} returns: the `trial` JSON contract. */
export interface TrialReport {
  command: string[];
  /** Runs asked per allocator. */
  runs: number;
  rows: TrialRow[];
  /** The allocators with the smallest median `seconds` and `maxRss` among those that did not fail. */
  best: { seconds: string | null; maxRss: string | null };
}

/** Runs `argv` under each chosen allocator. Throws ReplayOptionError for bad options, ReplayerMissingError without the replayer. */
export async function runTrial(argv: readonly string[], options: TrialOptions = {}): Promise<TrialReport> {
  if (argv.length === 0) throw new ReplayOptionError('trial: no command given');
  const choices = chooseAllocators(options);
  const runs = positiveInteger(options.runs, DEFAULT_TRIAL_RUNS);
  if (runs === null) throw new ReplayOptionError(`--runs expects an integer ≥ 1, got ${options.runs}`);
  const binary = replayerPath();
  const allocators = resolveAllocators(choices);

  const rows: TrialRow[] = allocators.map((a) => ({
    allocator: a.name,
    library: a.path,
    runs: 0,
    seconds: null,
    secondsMin: null,
    secondsMax: null,
    maxRss: null,
    maxRssMin: null,
    maxRssMax: null,
    userSeconds: null,
    systemSeconds: null,
    runSeconds: [],
    failed: a.error !== null,
    exitCode: null,
    signal: null,
    error: a.error,
  }));
  for (let i = 0; i < allocators.length; i++) {
    if (rows[i].failed) continue;
    const probe = await probeAllocator(binary, allocators[i]);
    const wrong = probe.mallocFrom === null ? `${allocators[i].name}: the replayer's probe failed: ${firstMessage(probe.end.stderrTail) || `status ${probe.end.code ?? probe.end.signal}`}` : wrongMalloc(allocators[i], probe.mallocFrom, probe.end.stderrTail);
    if (wrong !== null) Object.assign(rows[i], { failed: true, error: wrong });
  }

  const launched: LaunchResult[][] = allocators.map(() => []);
  for (let run = 1; run <= runs; run++) {
    for (let i = 0; i < allocators.length; i++) {
      if (rows[i].failed) continue;
      options.onProgress?.({ allocator: allocators[i].name, run, runs });
      const result = await launchCommand(binary, argv, allocators[i], options);
      const failure = failureOf(result);
      if (failure === null) {
        launched[i].push(result);
      } else {
        Object.assign(rows[i], { failed: true, exitCode: result.exitCode, signal: result.exitSignal, error: `${allocators[i].name}: run ${run}: ${failure}` });
      }
    }
  }
  rows.forEach((row, i) => {
    const ok = launched[i];
    if (ok.length === 0) return;
    const seconds = ok.map((r) => r.wallNs / 1e9);
    Object.assign(row, {
      runs: ok.length,
      seconds: median(seconds),
      secondsMin: Math.min(...seconds),
      secondsMax: Math.max(...seconds),
      maxRss: median(ok.map((r) => r.maxRssBytes)),
      maxRssMin: Math.min(...ok.map((r) => r.maxRssBytes)),
      maxRssMax: Math.max(...ok.map((r) => r.maxRssBytes)),
      userSeconds: median(ok.map((r) => r.userNs / 1e9)),
      systemSeconds: median(ok.map((r) => r.systemNs / 1e9)),
      runSeconds: seconds,
    });
  });
  const usable = rows.filter((r) => !r.failed);
  return { command: [...argv], runs, rows, best: { seconds: smallest(usable, (r) => r.seconds), maxRss: smallest(usable, (r) => r.maxRss) } };
}

/** Why a launch does not count as a successful run, or null. */
function failureOf(r: LaunchResult): string | null {
  const said = firstMessage(r.stderrTail);
  const why = said ? ` (stderr: ${said})` : '';
  if (r.error !== null) return r.error;
  if (r.code !== 0 || r.signal !== null) return `the launcher failed (${r.signal ?? `status ${r.code}`})${why}`;
  if (r.exitSignal !== null) return `the command was killed by ${r.exitSignal}${why}`;
  if (r.exitCode !== 0) return `the command exited with status ${r.exitCode}${why}`;
  return null;
}
