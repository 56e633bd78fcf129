/**
 * What an input's values measure: the heap (allocations, live memory), or
 * CPU time — a `perf script` file of plain `perf record` samples (cpu-clock,
 * cycles, any event that is not an allocator probe) carries stacks and sample
 * weights but no allocation, no size and no pointer. `info` describes such an
 * input as a CPU profile, and the commands that need heap events refuse it.
 */
import type { LoadedInput } from './pipeline/read-input.js';
import { SAMPLES } from './accumulate/accumulator.js';

/** `heap`: values of allocations or live memory; `cpu`: profiler samples only (no heap event). */
export type ProfileKind = 'heap' | 'cpu';

/** An input of CPU samples: which events were sampled, and how many records. */
export interface CpuSamples {
  /** The sampled events (`cpu-clock`, `cycles`, …), as the producer names them. */
  events: string[];
  /** Sample records read. */
  records: number;
}

/** The facts a perf script importer reports about its events (other trace importers have none). */
interface EventFacts {
  events?: { name: string; role: string; records: number }[];
}

/**
 * The CPU samples of an input that holds nothing else, or null: a trace
 * whose only sample type is the profiler's sample weight (the accumulator
 * adds the heap types only when it saw allocations).
 */
export function cpuSamples(input: LoadedInput): CpuSamples | null {
  if (!input.trace) return null;
  const types = input.profile.sampleTypes;
  if (types.length !== 1 || types[0].type !== SAMPLES.type) return null;
  const sampled = ((input.trace.report.facts as EventFacts).events ?? []).filter((e) => e.role === 'unknown');
  return { events: sampled.map((e) => e.name), records: sampled.reduce((n, e) => n + e.records, 0) };
}

/** What the input's values measure. */
export function profileKind(input: LoadedInput): ProfileKind {
  return cpuSamples(input) ? 'cpu' : 'heap';
}

/**
 * Whether every input is an event trace that records no call stacks (an
 * Android `record_allocs` trace): grouped by function, stack, module or file,
 * all of it is one "(no stack)" row, and only threads, sizes, the peak and
 * lifetimes tell its allocations apart.
 */
export function stacklessTraces(inputs: readonly LoadedInput[]): boolean {
  return inputs.length > 0 && inputs.every((input) => input.trace !== undefined && !input.trace.report.facts.hasStacks);
}
