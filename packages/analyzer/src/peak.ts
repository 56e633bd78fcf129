/**
 * `peak`: when an event trace's live bytes peaked, as an offset into the
 * trace — seconds since its first event when it has timestamps (a producer's
 * clock, such as perf's, starts at boot, not at the trace), and the event's
 * place among all events either way.
 */
import type { TraceReport } from './accumulate/accumulator.js';

/** The peak of a trace and where in the trace it was (JSON: `peak`'s fields, docs/cli.md#peak). */
export interface PeakMoment {
  /** Live bytes at the peak. */
  bytes: number;
  /** Live blocks at the peak. */
  objects: number;
  /** Events accumulated when the peak was reached (that event included): its place in the trace. */
  event: number;
  /** The producer's timestamp of the peak, or null without timestamps. */
  timeNs: number | null;
  /** Time from the trace's first event to the peak, or null without timestamps. */
  offsetNs: number | null;
  /** Events of the whole trace. */
  events: number;
  /** Time from the trace's first event to its last, or null without timestamps. */
  durationNs: number | null;
}

/** The peak of an accumulated trace, placed in the trace. */
export function peakMoment(report: TraceReport): PeakMoment {
  const { peak, firstTimeNs, lastTimeNs } = report;
  const timed = peak.timeNs !== null && firstTimeNs !== null && lastTimeNs !== null;
  return {
    ...peak,
    offsetNs: timed ? peak.timeNs! - firstTimeNs! : null,
    events: report.events,
    durationNs: timed ? lastTimeNs! - firstTimeNs! : null,
  };
}
