/**
 * Collapsed (folded) stacks, the input of Brendan Gregg's flamegraph.pl and
 * of most flame graph tools: one line per distinct call path,
 * `root;caller;…;site value`, in one sample type. Frames are the call
 * sites' functions (allocator frames at the leaf dropped, as in `top`).
 *
 * Values are integers (the tools read them as counts), rounded so that
 * their sum is the exact total rounded; paths whose value is zero after
 * rounding are left out, and so are negative ones (no flame graph can draw
 * them), which are counted for a warning. Lines are sorted by path.
 */
import type { HeapProfile } from '@heapscope/parser';
import { FrameTreeBuilder, nodePath, roundPreservingTotal, type TreeOptions } from '@heapscope/analyzer';
import { escapeName } from '../terminal-text.js';

/** What {@link toCollapsed} made and left out. */
export interface CollapsedReport {
  text: string;
  lines: number;
  /** Paths with a negative value (left out). */
  negative: number;
}

/** A frame name as one field of a collapsed line: no `;`, no line breaks, other control characters escaped. */
export function collapsedFrame(name: string): string {
  return escapeName(name.replace(/;/g, ':').replace(/[\r\n\t]/g, ' '));
}

/** Collapsed stacks of `profile` in sample type `typeIndex`. */
export function toCollapsed(profile: HeapProfile, typeIndex: number, filters: TreeOptions = {}): CollapsedReport {
  const builder = new FrameTreeBuilder(1, filters);
  builder.add(profile, [{ typeIndex, channel: 0 }]);
  const tree = builder.finish();
  const self = tree.self[0];
  const nodes: number[] = [];
  let negative = 0;
  for (let node = 1; node < tree.length; node++) {
    if (self[node] > 0) nodes.push(node);
    else if (self[node] < 0) negative++;
  }
  const rounded = roundPreservingTotal(nodes.map((n) => self[n]));
  const names = tree.names.map(collapsedFrame);
  const lines: string[] = [];
  nodes.forEach((node, i) => {
    if (rounded[i] <= 0) return;
    lines.push(`${nodePath(tree, node).map((n) => names[n]).join(';')} ${rounded[i]}`);
  });
  lines.sort();
  return { text: lines.length ? `${lines.join('\n')}\n` : '', lines: lines.length, negative };
}
