/**
 * Other views of a call tree (call-tree.ts): the inverted (bottom-up) tree,
 * whose roots are the call sites and whose children are their callers, and
 * the sandwich of one function — its callers (an inverted tree rooted at
 * the function) and its callees (the function's subtrees merged).
 *
 * A tree here is plain columns ({@link TreeColumns}): parent, name id and
 * self value per node, node 0 the root (name -1), every node after its
 * parent. The views are made by {@link callTreeViews}, one self-contained
 * function — it names nothing outside its own body, uses no TypeScript-only
 * runtime feature and no module import — because the HTML flamegraph
 * embeds its source (`Function.prototype.toString`) and runs it in the
 * page for whatever function the reader selects: one implementation, in
 * Node and in the browser (packages/cli/test/flamegraph-views.test.ts
 * checks both agree).
 *
 * Recursion: a sample counts once in a function's sandwich. Its callees are
 * merged from the function's outermost frames (a frame with the function
 * below it belongs to that frame's subtree), and its callers are the path
 * from that outermost frame to the root, so both halves have the same total:
 * the function's cumulative value, as `top` reports it.
 */

/** A call tree as columns: node 0 is the root (name -1); parents come before children. */
export interface TreeColumns {
  parent: ArrayLike<number>;
  name: ArrayLike<number>;
  self: ArrayLike<number>;
}

/** The two halves of a sandwich: both rooted at the selected function (name id). */
export interface Sandwich {
  callers: TreeColumns;
  callees: TreeColumns;
}

/** The views of a call tree. */
export interface CallTreeViews {
  /**
   * The inverted (bottom-up) tree: under the root, one node per call site
   * (the leaf frame of each path with a self value), then its caller, and
   * so on to the outermost frame, which gets the path's self value. A
   * node's cumulative value is what the paths through it hold.
   */
  invertTree(tree: TreeColumns): TreeColumns;
  /**
   * The sandwich of function `fn` (a name id): its callers and its callees,
   * each rooted at `fn`. Empty trees (the root alone) when no frame is `fn`.
   */
  sandwichTrees(tree: TreeColumns, fn: number): Sandwich;
}

/** Makes the views (self-contained: the HTML flamegraph runs its source). */
export function callTreeViews(): CallTreeViews {
  // A tree being built: children found by (parent, name) in a map whose
  // keys are parent × stride + name + 1, exact below 2^53 for any real tree.
  function newTree(rootName: number, stride: number) {
    const parent = [-1];
    const name = [rootName];
    const self = [0];
    const children = new Map<number, number>();
    const child = (node: number, childName: number): number => {
      const key = node * stride + childName + 1;
      let c = children.get(key);
      if (c === undefined) {
        c = parent.length;
        parent.push(node);
        name.push(childName);
        self.push(0);
        children.set(key, c);
      }
      return c;
    };
    return { columns: { parent, name, self }, self, child };
  }
  function strideOf(tree: TreeColumns, extra: number): number {
    let names = extra + 1;
    for (let n = 0; n < tree.name.length; n++) if (tree.name[n] + 1 > names) names = tree.name[n] + 1;
    return names + 1;
  }

  function invertTree(tree: TreeColumns): TreeColumns {
    const out = newTree(-1, strideOf(tree, 0));
    for (let n = 1; n < tree.parent.length; n++) {
      const v = tree.self[n];
      if (v === 0) continue;
      let node = 0;
      for (let a = n; a > 0; a = tree.parent[a]) node = out.child(node, tree.name[a]);
      out.self[node] += v;
    }
    return out.columns;
  }

  function sandwichTrees(tree: TreeColumns, fn: number): Sandwich {
    const count = tree.parent.length;
    const stride = strideOf(tree, fn);
    // Callees: each node below an outermost `fn` frame maps to a node of the merged tree.
    const callees = newTree(fn, stride);
    const mapped = new Int32Array(count).fill(-1);
    // The outermost `fn` frame on each node's path (-1: none), and the value below each such frame.
    const outer = new Int32Array(count).fill(-1);
    const held = new Float64Array(count);
    for (let n = 1; n < count; n++) {
      const p = tree.parent[n];
      if (mapped[p] >= 0) {
        mapped[n] = callees.child(mapped[p], tree.name[n]);
        outer[n] = outer[p];
      } else if (tree.name[n] === fn) {
        mapped[n] = 0;
        outer[n] = n;
      }
      if (mapped[n] >= 0) {
        callees.self[mapped[n]] += tree.self[n];
        held[outer[n]] += tree.self[n];
      }
    }
    // Callers: from each outermost `fn` frame up to the root, its held value at the far end.
    const callers = newTree(fn, stride);
    for (let a = 1; a < count; a++) {
      if (outer[a] !== a || held[a] === 0) continue;
      let node = 0;
      for (let b = tree.parent[a]; b > 0; b = tree.parent[b]) node = callers.child(node, tree.name[b]);
      callers.self[node] += held[a];
    }
    return { callers: callers.columns, callees: callees.columns };
  }

  return { invertTree, sandwichTrees };
}

const views = callTreeViews();

/** The inverted (bottom-up) tree of a call tree: see {@link CallTreeViews.invertTree}. */
export const invertTree: (tree: TreeColumns) => TreeColumns = views.invertTree;

/** The sandwich (callers and callees) of one function: see {@link CallTreeViews.sandwichTrees}. */
export const sandwichTrees: (tree: TreeColumns, fn: number) => Sandwich = views.sandwichTrees;
