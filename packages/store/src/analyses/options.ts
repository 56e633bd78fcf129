/**
 * The analysis options the store takes: the analyzer's, without the stack
 * filters (`focus`, `ignore`, `hide`, `thread`, `keepAllocatorFrames`),
 * which the store does not evaluate: each stack's call-site keys are
 * computed once, at ingest, with the default rules.
 */
import type { SiteOptions } from '@heapscope/analyzer';

/** Grouping only. */
export type StoreSiteOptions = Pick<SiteOptions, 'by'>;

const FILTERS = ['focus', 'ignore', 'hide', 'thread', 'keepAllocatorFrames'] as const;

/** An analysis option the store cannot apply. */
export class UnsupportedOptionError extends Error {
  override readonly name = 'UnsupportedOptionError';
}

/** Throws {@link UnsupportedOptionError} when a stack filter is given (it would be silently ignored otherwise). */
export function checkStoreOptions(options: object): void {
  const given = FILTERS.filter((f) => (options as Record<string, unknown>)[f] !== undefined && (options as Record<string, unknown>)[f] !== false);
  if (given.length > 0) throw new UnsupportedOptionError(`the store does not apply ${given.map((g) => `--${g.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} (call sites are keyed at ingest); analyze the files instead`);
}
