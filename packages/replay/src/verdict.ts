/**
 * Which allocator to choose, from a replay's or a trial's rows: the fastest
 * and the one holding the least memory, and whether their leads over each
 * other are beyond the noise of repeated runs (docs/replay.md says how the
 * command line puts it in words).
 *
 * Noise. With two runs or more per allocator, a difference counts when the
 * two allocators' ranges over their runs do not overlap (every run of one
 * beat every run of the other). After a single run there is no spread to go
 * by, so a relative margin stands in for it: {@link SINGLE_RUN_MARGIN}.
 */
import type { ReplayReport } from './replay.js';
import type { TrialReport } from './trial.js';

/**
 * The lead a figure needs after a single run to count (a ratio over 1).
 * Time: run-to-run scatter of the same replay on a quiet machine is a few
 * percent, and reaches 20 % on a busy one (docs/BENCHMARKS.md#allocator-replay-of-record_allocs-traces);
 * 10 % is asked of one run, and `--runs` replaces the guess with the runs'
 * ranges. Memory: RSS depends on the allocator's layout, not on the
 * machine's load, and varies by a few pages from run to run; 2 % covers that.
 */
export const SINGLE_RUN_MARGIN = { time: 1.1, memory: 1.02 } as const;

/** One allocator's figures as the verdict weighs them. */
export interface VerdictFigures {
  allocator: string;
  /** Runs that finished. */
  runs: number;
  /** Median, fastest and slowest run. */
  time: number;
  timeMin: number;
  timeMax: number;
  /** Median, least and most memory of the runs. */
  memory: number;
  memoryMin: number;
  memoryMax: number;
}

/** Why the verdict chose its allocator. */
export type VerdictReason =
  /** The fastest also holds the least memory. */
  | 'fastest-and-least-memory'
  /** The least memory; the time differences are within noise. */
  | 'least-memory'
  /** The fastest; the memory differences are within noise. */
  | 'fastest'
  /** One is faster, another leaner, both beyond noise: the leaner is chosen (heapscope's question is memory), the faster named. */
  | 'trade-off'
  /** Every difference is within noise: the system allocator (nothing to preload), or the first that ran. */
  | 'no-difference'
  /** Only one allocator ran: nothing to compare it with. */
  | 'only-one'
  /** No allocator ran. */
  | 'none-ran';

/** The verdict: which allocator to choose, and why. */
export interface AllocatorVerdict {
  /** The allocator to choose; null when none ran. */
  choose: string | null;
  reason: VerdictReason;
  /** The fastest (smallest median time) and the one holding the least memory (smallest median of the memory figure). */
  fastest: string | null;
  leastMemory: string | null;
  /** The memory figure weighed: `peakRss` for a replay, `maxRss` for a trial. */
  memoryFigure: 'peakRss' | 'maxRss';
  /** Whether the fastest's lead in time over every other allocator is within noise. */
  timeWithinNoise: boolean;
  /** Whether the least-memory allocator's lead over every other is within noise. */
  memoryWithinNoise: boolean;
  /** What told noise from a difference: the runs' ranges (every allocator ran twice or more) or the single-run margin. */
  noiseFrom: 'ranges' | 'margin';
}

/** Whether `a` is below `b` beyond noise, for a figure picked by `get`. */
function below(a: VerdictFigures, b: VerdictFigures, fig: 'time' | 'memory', ranges: boolean): boolean {
  if (ranges) return a[`${fig}Max`] < b[`${fig}Min`];
  return a[fig] * SINGLE_RUN_MARGIN[fig] < b[fig];
}

/** The row with the smallest value of `fig` (the first on a tie). */
function least(rows: readonly VerdictFigures[], fig: 'time' | 'memory'): VerdictFigures {
  return rows.reduce((best, r) => (r[fig] < best[fig] ? r : best));
}

/** The verdict over allocators' figures (those that ran), in run order; `memoryFigure` names what `memory` is. */
export function allocatorVerdict(rows: readonly VerdictFigures[], memoryFigure: AllocatorVerdict['memoryFigure']): AllocatorVerdict {
  if (rows.length === 0) {
    return { choose: null, reason: 'none-ran', fastest: null, leastMemory: null, memoryFigure, timeWithinNoise: true, memoryWithinNoise: true, noiseFrom: 'margin' };
  }
  if (rows.length === 1) {
    const only = rows[0].allocator;
    return { choose: only, reason: 'only-one', fastest: only, leastMemory: only, memoryFigure, timeWithinNoise: true, memoryWithinNoise: true, noiseFrom: rows[0].runs >= 2 ? 'ranges' : 'margin' };
  }
  const ranges = rows.every((r) => r.runs >= 2);
  const fastest = least(rows, 'time');
  const lean = least(rows, 'memory');
  const beatsAll = (best: VerdictFigures, fig: 'time' | 'memory') => rows.every((r) => r === best || below(best, r, fig, ranges));
  const timeWithinNoise = !beatsAll(fastest, 'time');
  const memoryWithinNoise = !beatsAll(lean, 'memory');
  const base = { fastest: fastest.allocator, leastMemory: lean.allocator, memoryFigure, timeWithinNoise, memoryWithinNoise, noiseFrom: ranges ? 'ranges' : 'margin' } as const;
  // The leads that matter: when one allocator is both, over all the others; else the fastest's and the leanest's over each other.
  const faster = fastest === lean ? !timeWithinNoise : below(fastest, lean, 'time', ranges);
  const leaner = fastest === lean ? !memoryWithinNoise : below(lean, fastest, 'memory', ranges);
  if (faster && leaner) return { ...base, choose: lean.allocator, reason: fastest === lean ? 'fastest-and-least-memory' : 'trade-off' };
  if (leaner) return { ...base, choose: lean.allocator, reason: 'least-memory' };
  if (faster) return { ...base, choose: fastest.allocator, reason: 'fastest' };
  // Nothing stands out: the allocator that needs nothing preloaded when it ran.
  const glibc = rows.find((r) => r.allocator === 'glibc');
  return { ...base, choose: (glibc ?? rows[0]).allocator, reason: 'no-difference' };
}

/** A median and its range over the runs (null when the allocator has no figures). */
interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
}

/** An allocator's figures for the verdict; null when it has none. */
function figures(allocator: string, runs: number, time: Spread, memory: Spread): VerdictFigures | null {
  if (time.median === null || memory.median === null) return null;
  const t = time.median;
  const m = memory.median;
  return { allocator, runs, time: t, timeMin: time.min ?? t, timeMax: time.max ?? t, memory: m, memoryMin: memory.min ?? m, memoryMax: memory.max ?? m };
}

const present = (f: VerdictFigures | null): f is VerdictFigures => f !== null;

/** The verdict of a replay: time in the operations, peak RSS. */
export function replayVerdict(report: ReplayReport): AllocatorVerdict {
  const rows = report.rows
    .filter((r) => r.error === null)
    .map((r) => figures(r.allocator, r.runs, { median: r.seconds, min: r.secondsMin, max: r.secondsMax }, { median: r.peakRss, min: r.peakRssMin, max: r.peakRssMax }));
  return allocatorVerdict(rows.filter(present), 'peakRss');
}

/** The verdict of a trial: the command's wall time, its peak RSS. */
export function trialVerdict(report: TrialReport): AllocatorVerdict {
  const rows = report.rows
    .filter((r) => !r.failed)
    .map((r) => figures(r.allocator, r.runs, { median: r.seconds, min: r.secondsMin, max: r.secondsMax }, { median: r.maxRss, min: r.maxRssMin, max: r.maxRssMax }));
  return allocatorVerdict(rows.filter(present), 'maxRss');
}
