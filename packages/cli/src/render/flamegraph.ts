/**
 * A flamegraph drawn as SVG (static) or HTML (interactive), from the flame
 * analysis and its words (flame-data.ts).
 */
import type { FlameData, Orientation } from './flame-data.js';
import { renderFlameSvg } from './flamegraph-svg.js';
import { renderFlameHtml } from './flamegraph-html.js';

export type { FlameData, Orientation } from './flame-data.js';

/** Renders flame data as SVG or HTML text. */
export function renderFlame(data: FlameData, kind: 'svg' | 'html', orientation: Orientation, width?: number): string {
  return kind === 'svg' ? renderFlameSvg(data, { orientation, width }) : renderFlameHtml(data, orientation);
}
export { renderFlameFragment, type FlameFragment, type FlameFragmentOptions } from './flamegraph-html.js';
