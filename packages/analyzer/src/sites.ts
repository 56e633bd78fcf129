/**
 * Call sites and grouping: turns each sample's stack into the keys an
 * analysis aggregates on (function, whole stack, module, file or thread),
 * after dropping allocator frames at the leaf and applying the
 * focus/ignore/hide/thread filters.
 *
 * A sample's key path is leaf first with repeats removed, so `path[0]` is
 * its flat (call-site) key and every key in it gets the sample once in cum —
 * recursion is not double counted (jeprof and pprof do the same).
 */
import type { HeapProfile } from '@heapscope/parser';
import { EMPTY_STACK } from '@heapscope/parser';
import { FrameTable } from './frame-table.js';

/** What rows are made of. */
export type GroupBy = 'function' | 'stack' | 'module' | 'file' | 'thread' | 'line';

export const GROUP_BY: readonly GroupBy[] = ['function', 'stack', 'module', 'file', 'thread', 'line'];

/**
 * A frame's name under `--by line`: `function file:line` (the file's base
 * name) where the model has the frame's line; the function name alone where
 * it has none (an unresolved frame's name, `module+0xoffset`, is already
 * one address).
 */
export function lineKeyName(name: string, file: string, line: number): string {
  if (!file || !(line > 0)) return name;
  const slash = file.lastIndexOf('/');
  return `${name} ${slash >= 0 ? file.slice(slash + 1) : file}:${line}`;
}

/** Filters shared by every analysis (`--focus`, `--ignore`, `--hide`, `--thread`). */
export interface SiteFilters {
  /** Keep only samples with a frame matching this (function, file or module). */
  focus?: RegExp;
  /** Drop samples with a frame matching this. */
  ignore?: RegExp;
  /** Remove matching frames from stacks (the samples stay). */
  hide?: RegExp;
  /** Keep only samples of threads whose key or name matches. */
  thread?: RegExp;
  /** Keep allocator frames at the leaf (default: drop them, as jeprof does). */
  keepAllocatorFrames?: boolean;
}

export interface SiteOptions extends SiteFilters {
  by?: GroupBy;
}

/** Name of the row for samples whose stack is empty after stripping. */
export const NO_STACK = '(no stack)';
/** Name of the row for samples without a thread. */
export const NO_THREAD = '(no thread)';
/** Separator of frames in `--by stack` names: leaf first. */
export const STACK_SEPARATOR = ' < ';

const EMPTY = new Int32Array(0);

/** Flat and cum per key id (ids into `SiteIndex.names`) of one value column, and the sum over the samples kept. */
export interface TreeSums {
  flat: Float64Array;
  cum: Float64Array;
  /** 1 for keys some kept sample reaches. */
  touched: Uint8Array;
  shown: number;
}

/** Key paths of a profile's samples under one grouping and set of filters. */
export class SiteIndex {
  /** Display name of each key. */
  readonly names: string[] = [];
  private readonly keyOf = new Map<string, number>();
  /** Per model stack, its key path once made (see stackKeys); made on first use: `top`'s sums along the tree need none. */
  private byStack: (Int32Array | null | undefined)[] | undefined;
  private readonly threadOk: boolean[];
  readonly frames: FrameTable;
  readonly by: GroupBy;
  /** Per frame: its key under `by` (function/module/file). */
  private readonly frameKey: Int32Array;
  /** Per frame: 1 hidden (`--hide`), 2 matches `--focus`, 4 matches `--ignore`. */
  private readonly frameFlags: Uint8Array;
  // Scratch space for one stack walk, reused.
  private cutAt = 0;
  // Per model stack, computed once along the prefix tree (see siteFrameCount).
  private depthOf: Int32Array | undefined;
  private siteCountOf: Int32Array | undefined;
  private scratchFrames: Int32Array = new Int32Array(256);
  private seen = new Int32Array(1024);
  private stamp = 0;
  /** Per model stack: its call site's key + 2 (1: dropped or no key; 0: not yet known). See {@link sampleSite}. */
  private siteOf: Int32Array | undefined;

  constructor(
    readonly profile: HeapProfile,
    private readonly options: SiteOptions = {},
    frames?: FrameTable,
  ) {
    this.by = options.by ?? 'function';
    this.frames = frames ?? new FrameTable(profile);
    this.threadOk = profile.threads.map((t) => !options.thread || options.thread.test(t.key) || options.thread.test(t.name));
    const f = this.frames;
    this.frameKey = new Int32Array(f.length);
    this.frameFlags = new Uint8Array(f.length);
    const { hide, focus, ignore } = options;
    for (let i = 0; i < f.length; i++) {
      const frame = { name: f.name[i], file: f.file[i], module: f.module[i] };
      if (hide && matches(hide, frame)) this.frameFlags[i] |= 1;
      if (focus && matches(focus, frame)) this.frameFlags[i] |= 2;
      if (ignore && matches(ignore, frame)) this.frameFlags[i] |= 4;
      if (this.by === 'function') this.frameKey[i] = this.key(f.name[i]);
      else if (this.by === 'module') this.frameKey[i] = this.key(f.module[i] || '(unknown module)');
      else if (this.by === 'file') this.frameKey[i] = this.key(f.file[i] || `(unknown file${f.module[i] ? ` in ${f.module[i]}` : ''})`);
      else if (this.by === 'line') this.frameKey[i] = this.key(lineKeyName(f.name[i], f.file[i], f.line[i]));
    }
  }

  /** The key id of a name (shared ids across `key()` calls). */
  key(name: string): number {
    let id = this.keyOf.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.keyOf.set(name, id);
    }
    return id;
  }

  /**
   * Keys of sample `i`, leaf (call site) first, without repeats; null when a
   * filter drops the sample.
   */
  sampleKeys(i: number): Int32Array | null {
    const { samples, threads } = this.profile;
    const thread = samples.thread[i];
    if (this.options.thread && (thread < 0 || !this.threadOk[thread])) return null;
    const path = this.stackKeys(samples.stack[i]);
    if (path === null || this.by !== 'thread') return path;
    const t = thread >= 0 ? threads[thread] : undefined;
    return Int32Array.of(this.key(t ? threadLabel(t.key, t.name) : NO_THREAD));
  }

  /**
   * The flat (call-site) key of sample `i` — the first of
   * {@link sampleKeys} — or -1 when a filter drops the sample or it has no
   * key. Why a method of its own: an analysis that needs only the call site
   * (growth) need not build and keep every stack's whole key path, one small
   * array per stack in every dump of a series.
   */
  sampleSite(i: number): number {
    if (this.by === 'thread' || this.by === 'stack') {
      const keys = this.sampleKeys(i);
      return keys === null || keys.length === 0 ? -1 : keys[0];
    }
    const thread = this.profile.samples.thread[i];
    if (this.options.thread && (thread < 0 || !this.threadOk[thread])) return -1;
    const stack = this.profile.samples.stack[i];
    const known = this.byStack?.[stack];
    if (known !== undefined) return known === null || known.length === 0 ? -1 : known[0];
    this.siteOf ??= new Int32Array(this.profile.stacks.length);
    if (this.siteOf[stack] === 0) this.siteOf[stack] = this.computeSite(stack) + 2;
    return this.siteOf[stack] - 2;
  }

  /** {@link computePath}'s first key (by function, module, file or line), without the path. */
  private computeSite(stack: number): number {
    const n = this.collect(stack);
    const cut = this.cutAt;
    const { frameFlags, scratchFrames } = this;
    const { focus, ignore } = this.options;
    let first = -1;
    let any = 0;
    for (let j = cut; j < n; j++) {
      const flags = frameFlags[scratchFrames[j]];
      if ((flags & 1) !== 0) continue;
      any |= flags;
      if (first < 0) first = scratchFrames[j];
    }
    if (focus && (any & 2) === 0) return -1;
    if (ignore && (any & 4) !== 0) return -1;
    return first < 0 ? this.key(NO_STACK) : this.frameKey[first];
  }

  /** The call-site frames of a stack (indexes into `frames`), leaf first, after stripping and hiding. */
  siteFrameIds(stack: number): Int32Array {
    const n = this.collect(stack);
    const out: number[] = [];
    for (let j = this.cutAt; j < n; j++) {
      const f = this.scratchFrames[j];
      if ((this.frameFlags[f] & 1) === 0) out.push(f);
    }
    return Int32Array.from(out);
  }

  /** Number of frames (inlined frames included) from the root to a stack, inclusive. */
  frameDepth(stack: number): number {
    this.prepareDepths();
    return (this.depthOf as Int32Array)[stack];
  }

  /**
   * How many of a stack's frames, counted from the root, are call-site frames
   * (before `--hide`): without hiding, a stack's call-site frames are a
   * root-side prefix of its frames, since only leaf-side frames are cut.
   * Computed along the prefix tree, so each stack costs its own location's
   * frames once — for outputs that build trees over millions of stacks.
   * Equal to what `siteFrameIds` keeps when nothing is hidden.
   */
  siteFrameCount(stack: number): number {
    this.prepareDepths();
    return (this.options.keepAllocatorFrames ? (this.depthOf as Int32Array) : (this.siteCountOf as Int32Array))[stack];
  }

  /**
   * Per stack, parents first: its depth in frames, the position of the
   * root-most allocator frame (-1: none), and its call-site frame count —
   * what is left once the leaf frames in the allocator's library are
   * skipped (the nearest such ancestor's count) and everything from the
   * root-most allocator frame on is cut.
   */
  private prepareDepths(): void {
    if (this.depthOf) return;
    const n = this.profile.stacks.length;
    const depth = new Int32Array(n);
    const firstAllocator = new Int32Array(n).fill(-1);
    const siteCount = new Int32Array(n);
    const { parent, location } = this.profile.stacks;
    const { frameStart, isAllocator, inAllocatorModule } = this.frames;
    for (let st = 1; st < n; st++) {
      const l = location[st];
      const p = parent[st];
      const base = depth[p];
      depth[st] = base + frameStart[l + 1] - frameStart[l];
      let first = firstAllocator[p];
      if (first < 0) {
        // Root first, a location's frames are its lines outermost first.
        for (let f = frameStart[l + 1] - 1, k = base; f >= frameStart[l]; f--, k++) {
          if (isAllocator[f] === 1) {
            first = k;
            break;
          }
        }
      }
      firstAllocator[st] = first;
      siteCount[st] = inAllocatorModule[l] === 1 ? siteCount[p] : first >= 0 ? first : depth[st];
    }
    this.depthOf = depth;
    this.siteCountOf = siteCount;
  }

  /**
   * Whether {@link sumAlongTree} applies: grouping by a frame's function,
   * module, file or line, with no filter that looks at a whole sample (focus,
   * ignore, hide, thread).
   */
  get summableAlongTree(): boolean {
    const { focus, ignore, hide, thread } = this.options;
    return !focus && !ignore && !hide && !thread && (this.by === 'function' || this.by === 'module' || this.by === 'file' || this.by === 'line');
  }

  /**
   * Flat and cum of every key for one value per sample, summed over the
   * prefix tree instead of sample by sample: each sample's value goes to the
   * stack node where its call-site frames end, subtree sums are formed
   * children first (a node's id is above its parent's), and a depth-first
   * walk credits each node's subtree sum to the keys that first appear on
   * its root path — a recursive key counts once, as in `sampleKeys`. Each
   * stack node costs its own frames once, where the per-sample way costs
   * every frame of every distinct stack. Only when
   * {@link summableAlongTree}; equal to summing `sampleKeys` of each sample.
   */
  sumAlongTree(values: ArrayLike<number>): TreeSums {
    return this.sumColumnsAlongTree([values])[0];
  }

  /**
   * {@link sumAlongTree} of several value columns (one value per sample
   * each) in one pass over the tree: the tree's walk — what the sums cost,
   * a tree larger than the CPU's caches — is shared, and each column's
   * values are added in the order `sumAlongTree` adds them alone, so each
   * result equals that column's `sumAlongTree` to the last bit. The results
   * share one `touched` (it depends on the samples' stacks, not on values).
   */
  sumColumnsAlongTree(columns: readonly ArrayLike<number>[]): TreeSums[] {
    this.prepareDepths();
    const depth = this.depthOf as Int32Array;
    const siteCount = (this.options.keepAllocatorFrames ? this.depthOf : this.siteCountOf) as Int32Array;
    const noStack = this.key(NO_STACK);
    const keys = this.names.length;
    const width = columns.length;
    const flats = columns.map(() => new Float64Array(keys));
    const cums = columns.map(() => new Float64Array(keys));
    const shown = new Float64Array(width);
    const touched = new Uint8Array(keys);
    const { parent, location } = this.profile.stacks;
    const { frameStart } = this.frames;
    const { frameKey } = this;
    const nodes = this.profile.stacks.length;
    // Per node, one sum per column side by side: the walk reads them together.
    const sub = new Float64Array(nodes * width);
    const hits = new Int32Array(nodes);
    // Samples whose call-site frames end inside a location (inline frames
    // cut at an allocator wrapper): node → [frames kept, value per column] records.
    const partial = new Map<number, number[]>();
    const { samples } = this.profile;
    for (let i = 0; i < samples.length; i++) {
      for (let c = 0; c < width; c++) shown[c] += columns[c][i];
      const kept = siteCount[samples.stack[i]];
      if (kept === 0) {
        for (let c = 0; c < width; c++) {
          const v = columns[c][i];
          flats[c][noStack] += v;
          cums[c][noStack] += v;
        }
        touched[noStack] = 1;
        continue;
      }
      let node = samples.stack[i];
      while (depth[parent[node]] >= kept) node = parent[node];
      const l = location[node];
      const base = depth[parent[node]];
      const key = frameKey[frameStart[l + 1] - 1 - (kept - 1 - base)];
      for (let c = 0; c < width; c++) flats[c][key] += columns[c][i];
      let at = node;
      if (kept !== depth[node]) {
        let list = partial.get(node);
        if (!list) partial.set(node, (list = []));
        list.push(kept - base);
        for (let c = 0; c < width; c++) list.push(columns[c][i]);
        at = parent[node];
      }
      for (let c = 0; c < width; c++) sub[at * width + c] += columns[c][i];
      hits[at]++;
    }
    const tree = sumsAndChildLists(parent, location, sub, width, hits, partial);
    creditFirstKeys({ tree, frameStart, frameKey, sub, width, partial, cums, touched });
    return columns.map((_, c) => ({ flat: flats[c], cum: cums[c], touched, shown: shown[c] }));
  }

  /** The call-site frames of a stack as display frames (names, files, modules). */
  siteFrames(stack: number): { name: string; file: string; module: string; inlined: boolean }[] {
    const f = this.frames;
    return [...this.siteFrameIds(stack)].map((i) => ({ name: f.name[i], file: f.file[i], module: f.module[i], inlined: f.inlined[i] === 1 }));
  }

  /**
   * Expands a stack's frames (leaf first) into `scratchFrames`, skipping leaf
   * frames in the allocator's library; returns the count and sets
   * `cutAt` to the index of the first call-site frame: as jeprof, everything
   * up to and including the outermost allocator entry point is dropped.
   * Inlined frames are frames too, so an allocator wrapper inlined into its
   * caller (ld.so's `calloc` in `allocate_dtv`) is dropped and its caller is
   * the site.
   */
  private collect(stack: number): number {
    const { parent, location } = this.profile.stacks;
    const f = this.frames;
    const keepAllocator = this.options.keepAllocatorFrames === true;
    let n = 0;
    let leading = !keepAllocator; // still in the allocator's library at the leaf
    let cut = 0;
    for (let s = stack; s > EMPTY_STACK; s = parent[s]) {
      const l = location[s];
      if (leading) {
        if (f.inAllocatorModule[l] === 1) continue;
        leading = false;
      }
      for (let i = f.frameStart[l]; i < f.frameStart[l + 1]; i++) {
        if (n === this.scratchFrames.length) this.scratchFrames = grow(this.scratchFrames);
        this.scratchFrames[n++] = i;
        if (!keepAllocator && f.isAllocator[i] === 1) cut = n;
      }
    }
    this.cutAt = cut;
    return n;
  }

  /**
   * Keys of a stack's call-site path under `by`, leaf (call site) first,
   * without repeats (ids into `names`); null when a filter drops it. Empty
   * for `by: 'thread'` (threads belong to samples, not stacks). Depends
   * only on the stack's frames, so a store can keep it per distinct stack.
   */
  stackKeys(stack: number): Int32Array | null {
    const byStack = (this.byStack ??= new Array(this.profile.stacks.length));
    let path = byStack[stack];
    if (path === undefined) {
      path = this.computePath(stack);
      byStack[stack] = path;
    }
    return path;
  }

  private computePath(stack: number): Int32Array | null {
    const n = this.collect(stack);
    const cut = this.cutAt;
    const { frameFlags, scratchFrames } = this;
    const { focus, ignore, hide } = this.options;
    let visible = n - cut;
    if (focus || ignore || hide) {
      let any = 0;
      visible = 0;
      for (let j = cut; j < n; j++) {
        const flags = frameFlags[scratchFrames[j]];
        if ((flags & 1) === 0) {
          any |= flags;
          visible++;
        }
      }
      if (focus && (any & 2) === 0) return null;
      if (ignore && (any & 4) !== 0) return null;
    }
    if (this.by === 'thread') return EMPTY;
    if (visible === 0) return Int32Array.of(this.key(NO_STACK));
    if (this.by === 'stack') {
      const names: string[] = [];
      for (let j = cut; j < n; j++) if ((frameFlags[scratchFrames[j]] & 1) === 0) names.push(this.frames.name[scratchFrames[j]]);
      return Int32Array.of(this.key(names.join(STACK_SEPARATOR)));
    }
    // Unique keys, in order, with a generation stamp instead of a set.
    if (this.seen.length < this.names.length) this.seen = new Int32Array(this.names.length * 2);
    const stamp = ++this.stamp;
    const { seen, frameKey } = this;
    const keys = new Int32Array(visible);
    let m = 0;
    for (let j = cut; j < n; j++) {
      const f = scratchFrames[j];
      if ((frameFlags[f] & 1) !== 0) continue;
      const key = frameKey[f];
      if (seen[key] !== stamp) {
        seen[key] = stamp;
        keys[m++] = key;
      }
    }
    return m === visible ? keys : keys.slice(0, m);
  }
}

// The steps of SiteIndex.sumAlongTree, one loop each: a function that runs
// once is optimized loop by loop (on-stack replacement), and a small one
// sooner and more cheaply than one holding every loop.

/**
 * Adds each node's sums to its parent's, children first (a node's id is
 * above its parent's), and links the children that some sample reaches into
 * lists, in id order; returns the walk's table, four ints per node, side by
 * side so that visiting a node reads one cache line (a large dump's tree
 * does not fit in the CPU's caches):
 * `[first reached child, next reached sibling, location, parent]`, where the
 * location is stored as `-1 - location` when no sample's call-site frames
 * end in the node's subtree at a node boundary (its samples, if any, end
 * inside a location: `partial`). 0, the root, ends a list: it is no one's child.
 * `sub` holds `width` sums per node.
 */
function sumsAndChildLists(parent: Int32Array, location: Int32Array, sub: Float64Array, width: number, hits: Int32Array, partial: Map<number, number[]>): Int32Array {
  const nodes = parent.length;
  const anyPartial = partial.size > 0;
  const tree = new Int32Array(nodes * 4);
  for (let s = nodes - 1; s > EMPTY_STACK; s--) {
    const p = parent[s];
    // One column (`top` of an unsampled input) without the inner loop: this
    // is the hottest loop of the sums, run once per node.
    if (width === 1) sub[p] += sub[s];
    else for (let c = 0; c < width; c++) sub[p * width + c] += sub[s * width + c];
    hits[p] += hits[s];
    // Subtrees no sample reaches are not walked: they add nothing.
    if (hits[s] === 0 && !(anyPartial && partial.has(s))) continue;
    const o = s * 4;
    tree[o + 1] = tree[p * 4];
    tree[p * 4] = s;
    tree[o + 2] = hits[s] > 0 ? location[s] : -1 - location[s];
    tree[o + 3] = p;
  }
  return tree;
}

interface TreeWalk {
  /** From {@link sumsAndChildLists}. */
  tree: Int32Array;
  frameStart: Int32Array;
  frameKey: Int32Array;
  /** `width` subtree sums per node. */
  sub: Float64Array;
  width: number;
  /** Samples ending inside a node's location: node → [frames kept, value per column] records. */
  partial: Map<number, number[]>;
  /** Per column, cum per key. */
  cums: Float64Array[];
  touched: Uint8Array;
}

/**
 * Walks the reached tree depth first (along the child lists and parent
 * links, no stack), counting each key's occurrences on the current root
 * path, and credits a node's subtree sums to each of its keys that is not
 * already on the path above it.
 */
function creditFirstKeys(w: TreeWalk): void {
  const { tree, frameStart, frameKey, sub, width, partial, cums, touched } = w;
  const anyPartial = partial.size > 0;
  const record = 1 + width;
  const onPath = new Int32Array(touched.length);
  let node = tree[EMPTY_STACK * 4];
  while (node !== EMPTY_STACK) {
    const o = node * 4;
    const coded = tree[o + 2];
    const l = coded >= 0 ? coded : -1 - coded;
    const list = anyPartial ? partial.get(node) : undefined;
    for (let f = frameStart[l + 1] - 1, j = 0; f >= frameStart[l]; f--, j++) {
      const key = frameKey[f];
      if (onPath[key]++ !== 0) continue;
      let any = coded >= 0;
      for (let c = 0; c < width; c++) {
        let v = sub[node * width + c];
        if (list) {
          for (let k = 0; k < list.length; k += record) {
            if (list[k] > j) {
              v += list[k + 1 + c];
              any = true;
            }
          }
        }
        cums[c][key] += v;
      }
      if (any) touched[key] = 1;
    }
    const child = tree[o];
    if (child !== EMPTY_STACK) {
      node = child;
      continue;
    }
    // Leave the node, and its ancestors while they have no next sibling to enter.
    for (;;) {
      const m = node * 4;
      const coded = tree[m + 2];
      const lm = coded >= 0 ? coded : -1 - coded;
      for (let f = frameStart[lm]; f < frameStart[lm + 1]; f++) onPath[frameKey[f]]--;
      const sibling = tree[m + 1];
      if (sibling !== EMPTY_STACK) {
        node = sibling;
        break;
      }
      node = tree[m + 3];
      if (node === EMPTY_STACK) break;
    }
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function matches(re: RegExp, f: { name: string; file: string; module: string }): boolean {
  return re.test(f.name) || (f.file !== '' && re.test(f.file)) || (f.module !== '' && re.test(f.module));
}

/** `name (key)` for a named thread, the key alone otherwise. */
export function threadLabel(key: string, name: string): string {
  return name ? `${name} (${key})` : key;
}
