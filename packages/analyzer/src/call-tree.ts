/**
 * The call tree, an analysis: what every stack-shaped output is drawn from
 * (collapsed stacks, speedscope, SVG and HTML flamegraphs, the flame
 * analyses in flame.ts): the call-site frames of each sample (allocator
 * frames at the leaf dropped, `--hide` applied, as in `top`), merged root
 * first into a prefix tree keyed by function name.
 *
 * Frames are keyed by function name, or with `by: 'line'` by function and
 * source line (`sites.ts`'s `lineKeyName`; frames without a line keep the
 * function name). Each node remembers its source line when every frame
 * merged into it had the same one (tooltips show `file:line`). The
 * inverted and sandwich views of a tree are in call-tree-views.ts.
 *
 * A tree has one or more value channels (a sample type, the base and input
 * of a diff, the points of a series); each node holds its own (self) value
 * per channel. Node 0 is the root; every node comes after its parent.
 */
import { PairIndex, type HeapProfile } from '@heapscope/parser';
import { NO_STACK, SiteIndex, lineKeyName, type SiteFilters } from './sites.js';
import { assertFinite, assertFiniteSamples } from './finite.js';

/** Children of a node kept in its list before the rest go to the hash table. */
const LIST_LIMIT = 8;

/** The merged call tree. */
export interface FrameTree {
  /** Node count (node 0 is the root). */
  readonly length: number;
  /** Parent of each node (-1 for the root). */
  readonly parent: Int32Array;
  /** Name id of each node: an index into `names`. */
  readonly name: Int32Array;
  /** Distinct frame names (function names; `module+0xoffset` when unresolved). */
  readonly names: readonly string[];
  /** Source file of each name ('' when unknown; the first one seen). */
  readonly files: readonly string[];
  /** Module (mapping basename) of each name ('' when unknown; the first one seen). */
  readonly modules: readonly string[];
  /** Self value of each node, one column per channel. */
  readonly self: readonly Float64Array[];
  /** Source line of each node's frames: 0 when unknown, -1 when its frames are on different lines. */
  readonly line: Int32Array;
}

/** How a call tree keys its frames: by function, or by function and source line. */
export type TreeGrouping = 'function' | 'line';

/** The filters of a call tree, and its grouping. */
export interface TreeOptions extends SiteFilters {
  by?: TreeGrouping;
}

/** One value column of one profile going into a channel of the tree. */
export interface TreeColumn {
  /** Index into the profile's sample types. */
  typeIndex: number;
  channel: number;
  /** Multiplies the values (default 1). */
  factor?: number;
}

/** What {@link FrameTreeBuilder.add} skipped. */
export interface AddResult {
  /** Samples a filter (`--focus`, `--ignore`, `--thread`) dropped. */
  filtered: number;
}

/** Builds a {@link FrameTree} from one or more profiles. */
export class FrameTreeBuilder {
  private index: PairIndex | undefined;
  private parent: number[] = [-1];
  private name: number[] = [-1];
  private line: number[] = [0];
  /** First child of each node in its short list (0 = none), and the next sibling of each. */
  private firstChild: number[] = [0];
  private nextSibling: number[] = [0];
  /** Nodes by their hash-table index, for children beyond the short lists. */
  private readonly hashed: number[] = [];
  private readonly self: number[][];
  private readonly names: string[] = [];
  private readonly files: string[] = [];
  private readonly modules: string[] = [];
  private readonly nameIds = new Map<string, number>();

  constructor(
    readonly channels: number,
    private readonly filters: TreeOptions = {},
    /** Walk every stack frame by frame through SiteIndex (tests compare the two ways). */
    private readonly slowPath = false,
  ) {
    this.self = Array.from({ length: channels }, () => [0]);
  }

  private nameId(name: string, file: string, module: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.files.push(file);
      this.modules.push(module);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /**
   * The child of `parent` named `name`, created when new. Children are found
   * through a short list per node (most frames have a few callees); a node
   * with many children gets them indexed in the hash table.
   */
  private child(parent: number, name: number, line: number): number {
    let scanned = 0;
    for (let c = this.firstChild[parent]; c > 0; c = this.nextSibling[c]) {
      if (this.name[c] === name) return this.sameLine(c, line);
      scanned++;
    }
    if (scanned >= LIST_LIMIT) {
      const index = this.index as PairIndex;
      const known = index.get(parent, name);
      if (known >= 0) return this.sameLine(this.hashed[known], line);
    }
    const node = this.parent.length;
    this.parent.push(parent);
    this.name.push(name);
    this.line.push(line);
    for (const column of this.self) column.push(0);
    this.firstChild.push(0);
    if (scanned < LIST_LIMIT) {
      this.nextSibling.push(this.firstChild[parent]);
      this.firstChild[parent] = node;
    } else {
      this.nextSibling.push(0);
      this.hashed[(this.index as PairIndex).intern(parent, name)] = node;
    }
    return node;
  }

  /** Notes one more frame's line on `node` (-1 once two differ); returns the node. */
  private sameLine(node: number, line: number): number {
    if (this.line[node] !== line) this.line[node] = -1;
    return node;
  }

  /** Adds the samples of `profile`: each column's values go to its channel. Refuses values that are not finite. */
  add(profile: HeapProfile, columns: readonly TreeColumn[]): AddResult {
    assertFiniteSamples(profile, columns.map((c) => c.typeIndex));
    this.index ??= new PairIndex(4096);
    const sites = new SiteIndex(profile, this.filters);
    const frames = sites.frames;
    const frameName = new Int32Array(frames.length);
    const byLine = this.filters.by === 'line';
    for (let f = 0; f < frames.length; f++) {
      const name = byLine ? lineKeyName(frames.name[f], frames.file[f], frames.line[f]) : frames.name[f];
      frameName[f] = this.nameId(name, frames.file[f], frames.module[f]);
    }
    const frameLine = frames.line;
    const noStack = this.nameId(NO_STACK, '', '');
    const leafOfStack = new Int32Array(profile.stacks.length).fill(-1);
    const filtering = this.filters.focus !== undefined || this.filters.ignore !== undefined || this.filters.thread !== undefined;
    const { stack } = profile.samples;
    const values = columns.map((c) => profile.samples.values[c.typeIndex]);
    const factors = columns.map((c) => c.factor ?? 1);
    const targets = columns.map((c) => this.self[c.channel]);
    // Without --hide, a stack's call-site frames are a root-side prefix of
    // all its frames (only leaf-side allocator frames are cut), so tree nodes
    // can be shared through the profile's own prefix tree.
    const prefix =
      this.filters.hide === undefined && !this.slowPath
        ? new PrefixNodes(profile, sites, (parent, f) => this.child(parent, frameName[f], frameLine[f]))
        : undefined;
    let filtered = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      let zero = true;
      for (const column of values) if (column[i] !== 0) zero = false;
      if (zero) continue;
      if (filtering && sites.sampleKeys(i) === null) {
        filtered++;
        continue;
      }
      const s = stack[i];
      let node = leafOfStack[s];
      if (node < 0) {
        if (prefix) {
          const kept = prefix.keptFrames(s);
          node = kept === 0 ? this.child(0, noStack, 0) : prefix.node(s, kept);
        } else {
          const ids = sites.siteFrameIds(s);
          node = 0;
          for (let j = ids.length - 1; j >= 0; j--) node = this.child(node, frameName[ids[j]], frameLine[ids[j]]);
          if (ids.length === 0) node = this.child(0, noStack, 0);
        }
        leafOfStack[s] = node;
      }
      for (let c = 0; c < values.length; c++) targets[c][node] += factors[c] * values[c][i];
    }
    return { filtered };
  }

  /** The tree. Refuses sums that overflowed (finite values whose sum is not). */
  finish(): FrameTree {
    for (const column of this.self) for (const v of column) if (!Number.isFinite(v)) assertFinite(v, "a call path's summed value");
    return {
      length: this.parent.length,
      parent: Int32Array.from(this.parent),
      name: Int32Array.from(this.name),
      names: this.names,
      files: this.files,
      modules: this.modules,
      self: this.self.map((c) => Float64Array.from(c)),
      line: Int32Array.from(this.line),
    };
  }
}

/**
 * Tree nodes of a profile's stacks, memoized along the profile's own prefix
 * tree (used when no `--hide` removes frames from the middle of stacks).
 *
 * Why: walking every frame of every stack into the tree interns one
 * (parent, name) pair per frame — 1.3M for the 32k-stack benchmark dump,
 * the largest cost of a flamegraph — and asking the SiteIndex for each
 * stack's call-site frames walks them all again. A model stack's full path
 * is its parent's plus its location's frames, so here each model stack costs
 * one location's frames, once. How many of them are call-site frames comes
 * from `SiteIndex.siteFrameCount`, computed the same way.
 */
class PrefixNodes {
  /** Tree node of each model stack's full frame path (-1 = not computed). */
  private readonly full: Int32Array;
  private readonly chain: number[] = [];

  constructor(
    private readonly profile: HeapProfile,
    private readonly sites: SiteIndex,
    /** The child of a tree node for frame `f` (by its name and line). */
    private readonly child: (parent: number, frame: number) => number,
  ) {
    this.full = new Int32Array(profile.stacks.length).fill(-1);
    this.full[0] = 0;
  }

  /** How many of a stack's frames, from the root, are call-site frames. */
  keptFrames(st: number): number {
    return this.sites.siteFrameCount(st);
  }

  /** The tree node of model stack `st`'s full path. */
  private fullNode(st: number): number {
    if (this.full[st] >= 0) return this.full[st];
    const { parent, location } = this.profile.stacks;
    const { frameStart } = this.sites.frames;
    // Walk up to a known ancestor, then down, without recursion.
    const chain = this.chain;
    chain.length = 0;
    let a = st;
    while (this.full[a] < 0) {
      chain.push(a);
      a = parent[a];
    }
    let node = this.full[a];
    for (let k = chain.length - 1; k >= 0; k--) {
      const l = location[chain[k]];
      for (let f = frameStart[l + 1] - 1; f >= frameStart[l]; f--) node = this.child(node, f);
      this.full[chain[k]] = node;
    }
    return node;
  }

  /** The tree node of the first `kept` frames (from the root) of model stack `st`. */
  node(st: number, kept: number): number {
    const { parent, location } = this.profile.stacks;
    // Deepest ancestor whose frames are all kept, and the one below it.
    let a = st;
    let below = -1;
    while (this.sites.frameDepth(a) > kept) {
      below = a;
      a = parent[a];
    }
    let node = this.fullNode(a);
    // The cut fell inside a location (an inlined allocator wrapper): add its kept frames.
    const extra = kept - this.sites.frameDepth(a);
    if (extra > 0) {
      const l = location[below];
      const end = this.sites.frames.frameStart[l + 1];
      for (let f = end - 1; f >= end - extra; f--) node = this.child(node, f);
    }
    return node;
  }
}

/** Cumulative values: each node's self plus its descendants'. */
export function cumulative(tree: FrameTree, self: Float64Array): Float64Array {
  const total = Float64Array.from(self);
  for (let n = tree.length - 1; n > 0; n--) total[tree.parent[n]] += total[n];
  return total;
}

/** The names of a node's frames, root first (the root itself excluded). */
export function nodePath(tree: FrameTree, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n > 0; n = tree.parent[n]) path.push(tree.name[n]);
  return path.reverse();
}
