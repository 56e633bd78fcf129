/**
 * A call tree laid out for drawing (the SVG and HTML flamegraphs): which
 * nodes are drawn, where, in what order.
 *
 * {@link layoutColumns} is self-contained (it names nothing outside its
 * body): the HTML flamegraph embeds its source and lays out, in the page,
 * the inverted and sandwich trees the reader asks for, exactly as the
 * top-down tree is laid out here.
 */
import type { FrameTree } from '@heapscope/analyzer';

/** A tree laid out for drawing: visible nodes in depth-first order, widest child first. */
export interface TreeLayout {
  /** Nodes in depth-first pre-order (a node's subtree follows it). */
  order: Int32Array;
  /** Depth of each entry of `order` (the root is 0). */
  depth: Int32Array;
  /** Start of each entry of `order`, in value units from the left edge. */
  start: Float64Array;
  /** Width of each entry of `order` (its value). */
  width: Float64Array;
  maxDepth: number;
}

/**
 * Lays out the nodes with a positive width of a tree given as columns
 * (`parent[node]`, parents before children; `width[node]` at least the sum
 * of its children's). Children are ordered widest first, then by `rank`
 * (the rank of each node's name in name order), then by node, so the
 * layout does not depend on input order.
 */
export function layoutColumns(parent: ArrayLike<number>, width: ArrayLike<number>, rank: ArrayLike<number>): TreeLayout {
  const n = parent.length;
  if (!(n > 0 && width[0] > 0)) return { order: new Int32Array(0), depth: new Int32Array(0), start: new Float64Array(0), width: new Float64Array(0), maxDepth: 0 };
  // Children of each node with a positive width, as one array of segments.
  const first = new Int32Array(n + 1);
  for (let i = 1; i < n; i++) if (width[i] > 0) first[parent[i] + 1]++;
  for (let i = 0; i < n; i++) first[i + 1] += first[i];
  const children = new Int32Array(first[n]);
  const fill = first.slice(0, n);
  for (let i = 1; i < n; i++) if (width[i] > 0) children[fill[parent[i]]++] = i;
  const byWidth = (a: number, b: number) => width[b] - width[a] || rank[a] - rank[b] || a - b;
  for (let i = 0; i < n; i++) {
    const a = first[i];
    const count = first[i + 1] - a;
    if (count === 2) {
      // The common case in call trees; a typed-array sort call costs more than the comparison.
      if (byWidth(children[a], children[a + 1]) > 0) {
        const t = children[a];
        children[a] = children[a + 1];
        children[a + 1] = t;
      }
    } else if (count > 2) children.subarray(a, a + count).sort(byWidth);
  }
  // Depth-first pre-order with an explicit stack; a child starts where the
  // previous sibling ended.
  const visible = children.length + 1;
  const order = new Int32Array(visible);
  const depth = new Int32Array(visible);
  const start = new Float64Array(visible);
  const widths = new Float64Array(visible);
  const nodeDepth = new Int32Array(n);
  const nodeStart = new Float64Array(n);
  const stack = new Int32Array(visible);
  let sp = 0;
  let k = 0;
  let maxDepth = 0;
  stack[sp++] = 0;
  while (sp > 0) {
    const node = stack[--sp];
    const d = nodeDepth[node];
    order[k] = node;
    depth[k] = d;
    start[k] = nodeStart[node];
    widths[k] = width[node];
    k++;
    if (d > maxDepth) maxDepth = d;
    let x = nodeStart[node];
    for (let c = first[node]; c < first[node + 1]; c++) {
      const child = children[c];
      nodeStart[child] = x;
      nodeDepth[child] = d + 1;
      x += width[child];
    }
    for (let c = first[node + 1] - 1; c >= first[node]; c--) stack[sp++] = children[c];
  }
  return { order, depth, start, width: widths, maxDepth };
}

/** The rank of each name in name order (code-unit order, as `<` compares strings). */
export function nameRanks(names: readonly string[]): Int32Array {
  const sorted = names.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b));
  const rank = new Int32Array(names.length);
  sorted.forEach((id, r) => (rank[id] = r));
  return rank;
}

/**
 * Lays out a call tree's nodes with a positive width: {@link layoutColumns}
 * with children ordered widest first, then by name.
 */
export function layoutTree(tree: FrameTree, width: Float64Array): TreeLayout {
  const ranks = nameRanks(tree.names);
  const rank = new Int32Array(tree.length);
  for (let i = 1; i < tree.length; i++) rank[i] = ranks[tree.name[i]];
  return layoutColumns(tree.parent, width, rank);
}
