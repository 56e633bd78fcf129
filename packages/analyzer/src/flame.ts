/**
 * The flame analyses: what a flamegraph shows, before anyone draws it (the
 * CLI draws it as SVG or HTML): a call tree (call-tree.ts), each node's
 * width, and for diff and growth flamegraphs a signed colour value per node
 * and the values it comes from.
 *
 * - plain: width = the node's value in one sample type.
 * - diff (`--base`): the input minus the base from `diffProfiles`. A call
 *   path's width is the larger of its base and input values, so sites that
 *   shrank (even to nothing) stay visible next to those that grew; colour
 *   is the change: red for growth, blue for shrinkage.
 * - growth (`--growth`): a series of snapshots; width = the last snapshot,
 *   colour = the least-squares slope of the node's value across the series.
 *
 * Colour values are in [-1, 1]: sign(change) × sqrt(|change| / largest
 * |change| of any frame). The square root keeps changes a tenth the size of
 * the largest one visible (0.32) instead of nearly white (0.1).
 */
import type { HeapProfile, ValueType } from '@heapscope/parser';
import { diffProfiles } from './merge.js';
import { linearFit } from './growth.js';
import { cumulative, FrameTreeBuilder, type FrameTree, type TreeOptions } from './call-tree.js';

export type FlameMode = 'plain' | 'diff' | 'growth';

/** A flamegraph's content. Arrays are per tree node. */
export interface FlameGraph {
  mode: FlameMode;
  sampleType: ValueType;
  tree: FrameTree;
  /** Width of each node (≥ the sum of its children's). */
  width: Float64Array;
  /** Self width of each node. */
  selfWidth: Float64Array;
  /** Signed colour value in [-1, 1] (diff and growth). */
  colour?: Float64Array;
  /** diff: the base's and the input's value of each node. */
  base?: Float64Array;
  input?: Float64Array;
  /** growth: first and last value of each node, and its slope per point. */
  first?: Float64Array;
  last?: Float64Array;
  slope?: Float64Array;
  /** Number of points of a growth series. */
  points?: number;
  /** Call paths whose negative value was left out (plain). */
  negative: number;
}

function typeIndexOf(profile: HeapProfile, type: string): number {
  const i = profile.sampleTypeIndex(type);
  if (i < 0) throw new Error(`${profile.meta.file}: no sample type ${type}`);
  return i;
}

function signedScale(change: Float64Array): Float64Array {
  let max = 0;
  for (let n = 1; n < change.length; n++) max = Math.max(max, Math.abs(change[n]));
  const out = new Float64Array(change.length);
  if (max === 0) return out;
  for (let n = 0; n < change.length; n++) {
    const r = Math.min(1, Math.abs(change[n]) / max);
    out[n] = Math.sign(change[n]) * Math.sqrt(r);
  }
  return out;
}

/** A plain flamegraph of one profile in one sample type. */
export function plainFlame(profile: HeapProfile, type: ValueType, filters: TreeOptions = {}): FlameGraph {
  const builder = new FrameTreeBuilder(1, filters);
  builder.add(profile, [{ typeIndex: typeIndexOf(profile, type.type), channel: 0 }]);
  const tree = builder.finish();
  const selfWidth = Float64Array.from(tree.self[0]);
  let negative = 0;
  for (let n = 0; n < selfWidth.length; n++) {
    if (selfWidth[n] < 0) {
      negative++;
      selfWidth[n] = 0;
    }
  }
  return { mode: 'plain', sampleType: type, tree, selfWidth, width: cumulative(tree, selfWidth), negative };
}

/** A diff flamegraph: `input − base`, by way of `diffProfiles`. */
export function diffFlame(base: HeapProfile, input: HeapProfile, type: ValueType, filters: TreeOptions = {}): FlameGraph {
  const diff = diffProfiles(base, input);
  const builder = new FrameTreeBuilder(2, filters);
  builder.add(input, [{ typeIndex: typeIndexOf(input, type.type), channel: 0 }]);
  builder.add(diff, [{ typeIndex: typeIndexOf(diff, type.type), channel: 1 }]);
  const tree = builder.finish();
  const [selfInput, selfDelta] = tree.self;
  const selfBase = new Float64Array(tree.length);
  const selfWidth = new Float64Array(tree.length);
  for (let n = 0; n < tree.length; n++) {
    selfBase[n] = selfInput[n] - selfDelta[n];
    selfWidth[n] = Math.max(0, selfInput[n], selfBase[n]);
  }
  const delta = cumulative(tree, selfDelta);
  return {
    mode: 'diff',
    sampleType: type,
    tree,
    selfWidth,
    width: cumulative(tree, selfWidth),
    colour: signedScale(delta),
    base: cumulative(tree, selfBase),
    input: cumulative(tree, selfInput),
    negative: 0,
  };
}

/** A growth flamegraph over snapshots in series order. */
export function growthFlame(series: readonly HeapProfile[], type: ValueType, filters: TreeOptions = {}): FlameGraph {
  const builder = new FrameTreeBuilder(series.length, filters);
  series.forEach((p, point) => builder.add(p, [{ typeIndex: typeIndexOf(p, type.type), channel: point }]));
  const tree = builder.finish();
  const totals = tree.self.map((self) => cumulative(tree, self));
  const n = series.length;
  const slope = new Float64Array(tree.length);
  const values = new Array<number>(n);
  for (let node = 0; node < tree.length; node++) {
    for (let k = 0; k < n; k++) values[k] = totals[k][node];
    slope[node] = linearFit(values).slope;
  }
  const selfWidth = Float64Array.from(tree.self[n - 1], (v) => Math.max(0, v));
  return {
    mode: 'growth',
    sampleType: type,
    tree,
    selfWidth,
    width: cumulative(tree, selfWidth),
    colour: signedScale(slope),
    first: totals[0],
    last: totals[n - 1],
    slope,
    points: n,
    negative: 0,
  };
}
