/**
 * The text of a `peak` report: when the live bytes peaked, then the `top`
 * table of the sites holding them at that moment.
 */
import { formatBytes, formatCount, type TopReport } from '@heapscope/analyzer';
import { renderTop } from './top.js';
import { plural } from '@heapscope/parser';

/** A peak report: the peak, the number of events of the trace, and the top of the sites at the peak. */
export interface PeakText {
  peak: { bytes: number; objects: number; event: number; timeNs: number | null };
  events: number;
  top: TopReport;
}

/** The text of a peak report; `trace` names the input. */
export function renderPeak(r: PeakText, trace: string): string {
  const { peak } = r;
  const when = `event ${formatCount(peak.event)} of ${formatCount(r.events)}${peak.timeNs !== null ? `, at ${(peak.timeNs / 1e9).toFixed(6)} s` : ''}`;
  return `peak: ${formatBytes(peak.bytes)} live in ${formatCount(peak.objects)} ${plural(peak.objects, 'block')}, ${when}\n${renderTop(r.top, [`${trace} at its peak`])}`;
}
