/**
 * Bytes lost to size-class rounding: what each allocator's block for a
 * request takes beyond the request (`size-classes.ts`), summed per key
 * (a size bucket, a call site) as requests are counted.
 */
import type { LoadedInput } from '../pipeline/read-input.js';
import { sizeClassRules, type AllocatorName, type SizeClassRules } from '../size-classes.js';

/** Inputs whose sizes cannot show rounding waste. */
export class SizeClassWasteInputError extends Error {}

/**
 * Rounding waste needs requested sizes: traces, perf records and snapshots
 * of requested sizes have them; a jemalloc dump records usable sizes (its
 * own classes), so what a request was is lost. Throws for such an input.
 */
export function checkRequestedSizes(inputs: readonly LoadedInput[]): void {
  const usable = inputs.find((i) => i.trace === undefined && i.profile.meta.sizeKind === 'average-usable');
  if (usable) {
    throw new SizeClassWasteInputError(
      `${usable.profile.meta.file}: a ${usable.profile.meta.format} profile records usable sizes (the allocator's classes), not requested ones: the waste of size classes needs requested sizes (gperftools dumps, perf records, heaptrack, record_allocs)`,
    );
  }
}

/** The bytes an allocator's block for a request of `sizeBytes` takes beyond it. An average (fractional) size is rounded up first. */
export function roundingWaste(rules: SizeClassRules, sizeBytes: number): number {
  if (!(sizeBytes > 0)) return 0;
  return rules.blockBytes(Math.ceil(sizeBytes)) - sizeBytes;
}

/** Waste per key and allocator. */
export class WasteTally<K = number> {
  private readonly rules: SizeClassRules[];
  private readonly byKey = new Map<K, Float64Array>();
  private readonly sum: Float64Array;

  constructor(readonly allocators: readonly AllocatorName[]) {
    this.rules = allocators.map(sizeClassRules);
    this.sum = new Float64Array(allocators.length);
  }

  /** `count` requests of `sizeBytes` each, under `key`. */
  add(key: K, sizeBytes: number, count: number): void {
    let w = this.byKey.get(key);
    if (!w) this.byKey.set(key, (w = new Float64Array(this.rules.length)));
    for (let a = 0; a < this.rules.length; a++) {
      const bytes = count * roundingWaste(this.rules[a], sizeBytes);
      w[a] += bytes;
      this.sum[a] += bytes;
    }
  }

  /** The waste under `key`, by allocator (zeros when nothing was added there). */
  of(key: K): Record<string, number> {
    return this.record(this.byKey.get(key));
  }

  /** The waste over every key, by allocator. */
  total(): Record<string, number> {
    return this.record(this.sum);
  }

  private record(w: Float64Array | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    this.allocators.forEach((name, a) => {
      out[name] = w ? w[a] : 0;
    });
    return out;
  }
}
