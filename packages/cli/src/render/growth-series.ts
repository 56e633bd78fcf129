/**
 * The text of `growth --by-label`: one growth report per value of a label
 * (per host), each under a heading that names the value and its profiles.
 */
import type { GrowthReport } from '@heapscope/analyzer';
import { counted } from '@heapscope/parser';
import { renderGrowth } from './growth.js';

/** One series of the split. */
export interface LabeledSeries {
  value: string;
  profiles: number;
  shown: GrowthReport;
}

/** The text of growth split by `label`; `how` says how the points were chosen. */
export function renderGrowthSeries(label: string, series: readonly LabeledSeries[], how: string): string {
  if (series.length === 0) return `no profile of the selection has a label "${label}"\n`;
  return series.map((s) => `== ${label}=${s.value} (${counted(s.profiles, 'profile')})\n${renderGrowth(s.shown, how)}`).join('\n');
}
