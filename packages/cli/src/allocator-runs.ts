/**
 * What `replay` and `trial` share: the replay package's errors in the
 * command line's terms (a bad option is a usage error, exit 2; a replayer
 * that is not built, a runtime failure, exit 1), and what happens when an
 * allocator could not be measured — its error is a warning while the others
 * are reported, and the run exits 1 once the report is written (or at once,
 * with every error, when none could be).
 */
import { ReplayOptionError, ReplayerMissingError, type AllocatorVerdict } from '@heapscope/replay';
import type { ReportOutputSpec } from './command.js';
import { RunFailure, UsageError } from './io.js';
import type { CommonOptions } from './options.js';
import type { Run } from './run.js';

/** Rows of a report, one per allocator: its error, null when it was measured. */
interface AllocatorRows {
  rows: readonly { allocator: string; error: string | null }[];
}

/** A replay's or a trial's report and the verdict on it. */
export interface Judged<R extends AllocatorRows> {
  report: R;
  verdict: AllocatorVerdict;
}

/** Runs the replay package's `work`, turning its option and installation errors into the CLI's. */
export async function allocatorWork<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ReplayOptionError) throw new UsageError(error.message);
    if (error instanceof ReplayerMissingError) throw new RunFailure(error.message);
    throw error;
  }
}

/** Warns of each allocator that could not be measured; fails (exit 1) when none could. `what` says what failed to run. */
export function warnFailedAllocators(run: Run, rows: readonly { allocator: string; error: string | null }[], what: string): void {
  const failed = rows.filter((r) => r.error !== null);
  if (failed.length === rows.length) throw new RunFailure(`${what} under no allocator: ${failed.map((r) => r.error).join('; ')}`);
  run.warn(failed.map((r) => r.error!));
}

/**
 * The output of `replay` and `trial`: as JSON the report with the verdict,
 * as text `text`'s; once it is written, exit 1 when an allocator could not
 * be measured (its error was a warning, the report has the others).
 */
export function judgedOutput<O extends CommonOptions, R extends AllocatorRows>(
  text: (report: R, verdict: AllocatorVerdict) => string,
  sideFiles?: ReportOutputSpec<O, Judged<R>>['sideFiles'],
): ReportOutputSpec<O, Judged<R>> {
  return {
    kind: 'report',
    json: ({ report, verdict }) => ({ ...report, verdict }),
    text: ({ report, verdict }) => text(report, verdict),
    sideFiles,
    gate: ({ report }) => {
      const failed = report.rows.filter((r) => r.error !== null).map((r) => r.allocator);
      if (failed.length > 0) throw new RunFailure(`${failed.length} of ${report.rows.length} allocators could not be measured (${failed.join(', ')}); the report has the others`);
    },
  };
}
