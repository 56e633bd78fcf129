/**
 * `info`: what an input is — format, sample types, totals, sampling,
 * threads, mappings, warnings.
 */
import { EMPTY_STACK, type HeapProfile, type MergedInputs, type Warning } from '@heapscope/parser';
import type { LoadedInput } from './pipeline/read-input.js';
import type { TraceReport } from './accumulate/accumulator.js';
import { mixedInputWarnings } from './snapshot-series.js';
import { peakMoment, type PeakMoment } from './peak.js';
import { cpuSamples, type CpuSamples, type ProfileKind } from './profile-kind.js';

/** The `info` report of one input (JSON contract: docs/design.md#json). */
export interface InputInfo {
  file: string;
  format: string;
  variant: string;
  sampleTypes: string[];
  defaultSampleType: string;
  /** Bytes of the sampling period (0 when every allocation was recorded; the coarsest one when `mixed`). */
  samplingPeriod: number;
  /** `poisson`, `uniform`, `none`, or `mixed`: a sum of inputs sampled differently (see `merged`). */
  samplingModel: string;
  /** `exact`, `average-requested`, `average-usable`, or `mixed` (see `merged`). */
  sizeKind: string;
  /** A sum of several inputs: how they were recorded. */
  merged: MergedInputs | null;
  totals: Record<string, number>;
  /** Peak live bytes and where in the trace it was (event traces only). */
  peak: PeakMoment | null;
  /** Event traces only: events, counts per operation, live at the end, lifetimes. */
  trace: TraceReport | null;
  /** `heap`, or `cpu` for a profile of CPU samples with no heap event (perf script of `perf record -e cpu-clock`). */
  profileKind: ProfileKind;
  /** For a CPU profile: the events sampled and the records read; else null. */
  cpuSamples: CpuSamples | null;
  samples: number;
  /** Distinct call stacks of the samples (the empty stack not counted); for a trace, those the accumulator saw; null for a trace that records no stacks. */
  stacks: number | null;
  /** Nodes of the profile's stack prefix tree (every suffix of every stack, the empty one not counted). */
  stackNodes: number;
  locations: number;
  symbolizedLocations: number;
  mappings: number;
  threads: number;
  pid: number | null;
  dumpSeq: number | null;
  dumpKind: string | null;
  /** The profile's warnings, and those of a sum whose inputs differ. */
  warnings: Warning[];
}

/** Summarizes one loaded input (a snapshot, or an accumulated trace). */
export function inputInfo(input: LoadedInput): InputInfo {
  const info = profileInfo(input.profile);
  if (!input.trace) return info;
  const report = input.trace.report;
  const stacks = report.facts.hasStacks ? info.stacks : null;
  const cpu = cpuSamples(input);
  // A CPU profile has no heap: no peak, no sizes.
  if (cpu) return { ...info, profileKind: 'cpu', cpuSamples: cpu, sizeKind: 'none', stacks, trace: report };
  return { ...info, stacks, peak: peakMoment(report), trace: report };
}

/** Summarizes one profile. */
export function profileInfo(profile: HeapProfile): InputInfo {
  const totals: Record<string, number> = {};
  profile.sampleTypes.forEach((t, i) => {
    totals[t.type] = profile.total(i);
  });
  const { lineStart } = profile.locations;
  let symbolized = 0;
  for (let l = 0; l < profile.locations.length; l++) if (lineStart[l + 1] > lineStart[l]) symbolized++;
  const m = profile.meta;
  return {
    file: m.file,
    format: m.format,
    variant: m.variant,
    sampleTypes: profile.sampleTypes.map((t) => t.type),
    defaultSampleType: profile.defaultSampleType,
    samplingPeriod: m.sampling.periodBytes,
    samplingModel: (m.merged?.samplings.length ?? 0) > 1 ? 'mixed' : m.sampling.model,
    sizeKind: (m.merged?.sizeKinds.length ?? 0) > 1 ? 'mixed' : m.sizeKind,
    merged: m.merged ?? null,
    totals,
    peak: null,
    trace: null,
    profileKind: 'heap',
    cpuSamples: null,
    samples: profile.samples.length,
    stacks: distinctStacks(profile),
    stackNodes: profile.stacks.length - 1,
    locations: profile.locations.length,
    symbolizedLocations: symbolized,
    mappings: profile.mappings.length,
    threads: profile.threads.length,
    pid: m.pid ?? null,
    dumpSeq: m.dumpSeq ?? null,
    dumpKind: m.dumpKind ?? null,
    warnings: [...m.warnings, ...mixedInputWarnings(m.merged).map((message) => ({ message, count: 1, locations: [] }))],
  };
}

/** Distinct non-empty stacks among a profile's samples (a stack id is one stack: the prefix tree interns them). */
function distinctStacks(profile: HeapProfile): number {
  const seen = new Uint8Array(profile.stacks.length);
  let n = 0;
  for (const stack of profile.samples.stack) {
    if (stack !== EMPTY_STACK && seen[stack] === 0) {
      seen[stack] = 1;
      n++;
    }
  }
  return n;
}
