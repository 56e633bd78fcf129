/**
 * Other views of a call tree (call-tree.ts): the inverted (bottom-up) tree,
 * whose roots are the call sites and whose children are their callers, and
 * the sandwich of one function — its callers (an inverted tree rooted at
 * the function) and its callees (the function's subtrees merged).
 *
 * A tree here is plain columns ({@link TreeColumns}): parent, name id and
 * self value per node, node 0 the root (name -1), every node after its
 * parent. The functions are self-contained — they name nothing outside
 * their own bodies, use no TypeScript-only runtime feature and no module
 * import — because the HTML flamegraph embeds their source
 * (`Function.prototype.toString`) and runs them in the page for whatever
 * function the reader selects: one implementation, in Node and in the
 * browser (packages/cli/test/flamegraph-views.test.ts checks both agree).
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

/**
 * The inverted (bottom-up) tree: under the root, one node per call site
 * (the leaf frame of each path with a self value), then its caller, and so
 * on to the outermost frame, which gets the path's self value. A node's
 * cumulative value is what the paths through it hold.
 */
export function invertTree(tree: TreeColumns): TreeColumns {
  const parent = [-1];
  const name = [-1];
  const self = [0];
  const children = new Map<number, number>();
  // Child keys: parent × (name count + 1) + name + 1, exact below 2^53 for any real tree.
  let names = 0;
  for (let n = 0; n < tree.name.length; n++) if (tree.name[n] + 1 > names) names = tree.name[n] + 1;
  const stride = names + 1;
  for (let n = 1; n < tree.parent.length; n++) {
    const v = tree.self[n];
    if (v === 0) continue;
    let node = 0;
    for (let a = n; a > 0; a = tree.parent[a]) {
      const key = node * stride + tree.name[a] + 1;
      let child = children.get(key);
      if (child === undefined) {
        child = parent.length;
        parent.push(node);
        name.push(tree.name[a]);
        self.push(0);
        children.set(key, child);
      }
      node = child;
    }
    self[node] += v;
  }
  return { parent, name, self };
}

/**
 * The sandwich of function `fn` (a name id): its callers and its callees,
 * each rooted at `fn`. Empty trees (the root alone) when no frame is `fn`.
 */
export function sandwichTrees(tree: TreeColumns, fn: number): Sandwich {
  const count = tree.parent.length;
  // Callees: each node below an outermost `fn` frame maps to a node of the merged tree.
  const cParent = [-1];
  const cName = [fn];
  const cSelf = [0];
  const cChildren = new Map<number, number>();
  let names = fn + 1;
  for (let n = 0; n < count; n++) if (tree.name[n] + 1 > names) names = tree.name[n] + 1;
  const stride = names + 1;
  const mapped = new Int32Array(count).fill(-1);
  // The outermost `fn` frame on each node's path (-1: none), and the value below each such frame.
  const outer = new Int32Array(count).fill(-1);
  const held = new Float64Array(count);
  for (let n = 1; n < count; n++) {
    const p = tree.parent[n];
    if (mapped[p] >= 0) {
      const key = mapped[p] * stride + tree.name[n] + 1;
      let child = cChildren.get(key);
      if (child === undefined) {
        child = cParent.length;
        cParent.push(mapped[p]);
        cName.push(tree.name[n]);
        cSelf.push(0);
        cChildren.set(key, child);
      }
      mapped[n] = child;
      outer[n] = outer[p];
    } else if (tree.name[n] === fn) {
      mapped[n] = 0;
      outer[n] = n;
    }
    if (mapped[n] >= 0) {
      cSelf[mapped[n]] += tree.self[n];
      held[outer[n]] += tree.self[n];
    }
  }
  // Callers: from each outermost `fn` frame up to the root, its held value at the far end.
  const kParent = [-1];
  const kName = [fn];
  const kSelf = [0];
  const kChildren = new Map<number, number>();
  for (let a = 1; a < count; a++) {
    if (outer[a] !== a || held[a] === 0) continue;
    let node = 0;
    for (let b = tree.parent[a]; b > 0; b = tree.parent[b]) {
      const key = node * stride + tree.name[b] + 1;
      let child = kChildren.get(key);
      if (child === undefined) {
        child = kParent.length;
        kParent.push(node);
        kName.push(tree.name[b]);
        kSelf.push(0);
        kChildren.set(key, child);
      }
      node = child;
    }
    kSelf[node] += held[a];
  }
  return { callers: { parent: kParent, name: kName, self: kSelf }, callees: { parent: cParent, name: cName, self: cSelf } };
}
