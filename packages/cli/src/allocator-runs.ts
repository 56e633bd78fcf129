/**
 * What `replay` and `trial` share: the replay package's errors in the
 * command line's terms (a bad option is a usage error, exit 2; a replayer
 * that is not built, a runtime failure, exit 1), and what happens when an
 * allocator could not be measured — its error is a warning while the others
 * are reported, and the run exits 1 once the report is written (or at once,
 * with every error, when none could be).
 */
import { ReplayOptionError, ReplayerMissingError } from '@heapscope/replay';
import { RunFailure, UsageError } from './io.js';
import type { Run } from './run.js';

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

/** After the report: exit 1 when an allocator could not be measured (its error was a warning, the report has the others). */
export function failedAllocatorsGate(rows: readonly { allocator: string; error: string | null }[]): void {
  const failed = rows.filter((r) => r.error !== null).map((r) => r.allocator);
  if (failed.length > 0) throw new RunFailure(`${failed.length} of ${rows.length} allocators could not be measured (${failed.join(', ')}); the report has the others`);
}
