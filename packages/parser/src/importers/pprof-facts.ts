/**
 * What heapscope's pprof reader (pprof.ts) and its pprof writer (the CLI's
 * `convert --to pprof` and `merge`) agree on, in one place:
 * - the `heapscope-meta:` comment, which carries the facts pprof has no
 *   field for (sampling model, size kind, dump facts, how the inputs of a
 *   merge were recorded, the warnings of the profile written);
 * - the thread labels;
 * - the period type of heap profiles;
 * - addresses: pprof stores the address to symbolize, so return addresses
 *   are written minus 1 and read back as call-site addresses
 *   (docs/formats.md#return-addresses).
 * The round-trip tests (packages/cli/test/roundtrip.test.ts) keep the two
 * in step.
 */
import type { ProfileMeta, Sampling, SizeKind } from '../model/profile.js';

/** Prefix of the comment with the facts pprof has no field for. */
export const HEAPSCOPE_META_COMMENT = 'heapscope-meta: ';

/** The facts a `heapscope-meta:` comment carries. */
export interface HeapscopeMetaComment {
  format?: string;
  variant?: string;
  sampling?: Sampling;
  sizeKind?: SizeKind;
  returnAddresses?: boolean;
  pid?: number;
  dumpSeq?: number;
  dumpKind?: string;
  /** How the inputs of a merge were recorded (checked with `mergedInputsFrom`). */
  merged?: unknown;
  /** The warnings of the profile written (checked with `warningsFrom`). */
  warnings?: unknown;
}

/** The `heapscope-meta:` comment of a profile with this metadata, as the writer stores it. */
export function heapscopeMetaComment(meta: ProfileMeta): string {
  const facts: HeapscopeMetaComment = {
    format: meta.format,
    variant: meta.variant,
    sampling: meta.sampling,
    sizeKind: meta.sizeKind,
    returnAddresses: meta.returnAddresses,
    pid: meta.pid,
    dumpSeq: meta.dumpSeq,
    dumpKind: meta.dumpKind,
    merged: meta.merged,
    warnings: meta.warnings,
  };
  return HEAPSCOPE_META_COMMENT + JSON.stringify(facts);
}

/** The string label the writer gives a sample's thread (its key), and its name. */
export const THREAD_LABEL = 'thread';
export const THREAD_NAME_LABEL = 'thread_name';
/** Label keys the reader takes as a sample's thread, and as its name (other producers' spellings too). */
export const THREAD_LABEL_KEYS: ReadonlySet<string> = new Set([THREAD_LABEL, 'thread id', 'thread_id', 'tid']);
export const THREAD_NAME_LABEL_KEYS: ReadonlySet<string> = new Set([THREAD_NAME_LABEL, 'thread name']);

/** The period type of a heap profile: bytes allocated between samples (Go's MemProfileRate, a dump's sampling period). */
export const HEAP_PERIOD_TYPE = { type: 'space', unit: 'bytes' } as const;

/** The address the writer stores for a frame: a return address minus 1, anything else as it is (0 stays 0). */
export function pprofAddress(address: number, returnAddress: boolean): number;
export function pprofAddress(address: bigint, returnAddress: boolean): bigint;
export function pprofAddress(address: number | bigint, returnAddress: boolean): number | bigint {
  if (!returnAddress || address === 0 || address === 0n) return address;
  return typeof address === 'bigint' ? address - 1n : address - 1;
}
