/**
 * The text of a `peak` report: when the live bytes peaked, then the `top`
 * table of the sites holding them at that moment.
 */
import { formatBytes, formatCount, formatDuration, type PeakMoment, type TopReport } from '@heapscope/analyzer';
import { renderTop, stacklessHint } from './top.js';
import { plural } from '@heapscope/parser';

/** A peak report: the peak, placed in the trace, and the top of the sites at the peak. */
export interface PeakText {
  peak: PeakMoment;
  top: TopReport;
  /** The trace records no call stacks and the rows would be one "(no stack)": a hint replaces the table. */
  stackless?: boolean;
}

/**
 * Where in the trace the peak was: `at 3.2 s of 12.5 s (event 4,005 of
 * 49,347)`, or without timestamps `at event 4,005 of 49,347`.
 */
export function peakWhen(peak: PeakMoment): string {
  const event = `event ${formatCount(peak.event)} of ${formatCount(peak.events)}`;
  return peak.offsetNs !== null && peak.durationNs !== null ? `at ${formatDuration(peak.offsetNs)} of ${formatDuration(peak.durationNs)} (${event})` : `at ${event} (no timestamps)`;
}

/** The text of a peak report; `trace` names the input. */
export function renderPeak(r: PeakText, trace: string): string {
  const { peak } = r;
  const line = `peak: ${formatBytes(peak.bytes)} live in ${formatCount(peak.objects)} ${plural(peak.objects, 'block')}, ${peakWhen(peak)}\n`;
  return line + (r.stackless ? stacklessHint([trace]) : renderTop(r.top, [`${trace} at its peak`]));
}
