/**
 * The stack tree of a heap dump and its address table, and the reading of
 * `@ 0x… 0x…` stack lines into them, in WebAssembly (AssemblyScript,
 * compiled by scripts/build-wasm.mjs; loaded by
 * packages/parser/src/model/wasm-tree.ts, which documents the protocol).
 *
 * Why WebAssembly: this loop is most of a dump's parse, and a dump is read
 * once per process; as JavaScript it runs in V8's interpreter and baseline
 * compiler for much of that one read before the optimized code lands,
 * where WebAssembly is compiled before its first call (docs/BENCHMARKS.md,
 * item 3).
 *
 * Ids are those of the JavaScript path, by construction: a location is
 * numbered in the order addresses are first met (each line's frames leaf
 * first), a stack node in the order (parent, location) pairs are first met
 * (each line root first). A line is validated before anything is interned,
 * so a line handed back to the JavaScript reader (a token that is not a
 * plain address: `(nil)`, garbage, too long) has left no trace here.
 */

// ---- the stack tree: per node a record of eight ints, one half of a cache
// line: four of "recent child" slots (location and id of the most recent
// child, then of the one before; -1: none), its parent, its location, its
// number of children, one unused. A lookup and an append each touch one
// cache line: the tree of a large dump does not fit in the CPU's caches.
const RECORD_SHIFT = 5;
const PARENT = 16;
const LOCATION = 20;
const CHILDREN = 24;
let maxNodes: i32 = 0;
let nodeCount: i32 = 0;
let nodeCap: i32 = 0;
let recordsP: usize = 0;
// The parent and location columns, written by columns().
let parentP: usize = 0;
let locationP: usize = 0;

// (parent, location) → id + 1 for the children of nodes with three or more:
// slots of four ints (parent, location, id + 1, unused).
let childSlots: usize = 0;
let childMask: i32 = 0;
let childSize: i32 = 0;

// ---- addresses: per location its address halves; address → id + 1 in
// slots of 16 bytes (address, id + 1, unused).
let addrCount: i32 = 0;
let addrCap: i32 = 0;
let addrHiP: usize = 0;
let addrLoP: usize = 0;
let addrSlots: usize = 0;
let addrMask: i32 = 0;

// ---- the line reader: the batch of lines being read (copied in whole), a
// copy of the previous line, each line's tokens (start, end, location; leaf
// first) in two sets swapped per line, and the stack nodes of the previous
// line's k root-most frames.
let chunkP: usize = 0;
let chunkCap: i32 = 0;
let prevP: usize = 0;
let prevCap: i32 = 0;
let prevLen: i32 = 0;
let prevCount: i32 = 0;
let tokCap: i32 = 0;
let tokA: usize = 0; // current set: start, end, loc (three i32 per token)
let tokB: usize = 0; // previous set
let nodesP: usize = 0; // nodes[k], k = 0..count
let midP: usize = 0; // u64 addresses of the parsed middle

/** Sets up empty tables: `expectedNodes` presizes the tree; at most `limit` nodes. */
export function init(expectedNodes: i32, limit: i32): void {
  maxNodes = limit;
  nodeCap = max(expectedNodes, 4096);
  recordsP = heap.alloc(<usize>nodeCap << RECORD_SHIFT);
  nodeCount = 0;
  childMask = 4095;
  childSize = 0;
  childSlots = heap.alloc(<usize>(childMask + 1) << 4);
  memory.fill(childSlots, 0, <usize>(childMask + 1) << 4);
  addrCap = 4096;
  addrCount = 0;
  addrHiP = heap.alloc(<usize>addrCap << 2);
  addrLoP = heap.alloc(<usize>addrCap << 2);
  addrMask = 8191;
  addrSlots = heap.alloc(<usize>(addrMask + 1) << 4);
  memory.fill(addrSlots, 0, <usize>(addrMask + 1) << 4);
  chunkCap = 0;
  prevCap = 4096;
  prevP = heap.alloc(prevCap);
  prevLen = 0;
  prevCount = 0;
  tokCap = 256;
  tokA = heap.alloc(<usize>tokCap * 12);
  tokB = heap.alloc(<usize>tokCap * 12);
  nodesP = heap.alloc(<usize>(tokCap + 1) << 2);
  midP = heap.alloc(<usize>tokCap << 3);
  store<i32>(nodesP, 0);
  // Node 0: the empty stack.
  appendNode(-1, -1);
}

/** Number of stack nodes (the empty stack included). */
export function nodes(): i32 {
  return nodeCount;
}
/** Writes the nodes' parent and location columns (int32 each, see parents() and locations()). */
export function columns(): void {
  parentP = heap.alloc(<usize>nodeCount << 2);
  locationP = heap.alloc(<usize>nodeCount << 2);
  for (let i = 0; i < nodeCount; i++) {
    const r = recordsP + (<usize>i << RECORD_SHIFT);
    store<i32>(parentP + (<usize>i << 2), load<i32>(r, PARENT));
    store<i32>(locationP + (<usize>i << 2), load<i32>(r, LOCATION));
  }
}
/** Where the nodes' parents are (int32 each), after columns(). */
export function parents(): usize {
  return parentP;
}
/** Where the nodes' locations are (int32 each), after columns(). */
export function locations(): usize {
  return locationP;
}
/** Number of locations (addresses). */
export function addresses(): i32 {
  return addrCount;
}
/** Where the locations' high address halves are (uint32 each). */
export function addressHi(): usize {
  return addrHiP;
}
/** Where the locations' low address halves are (uint32 each). */
export function addressLo(): usize {
  return addrLoP;
}

// ---- the tree

function appendNode(parent: i32, location: i32): i32 {
  const id = nodeCount;
  if (id >= nodeCap) {
    nodeCap <<= 1;
    recordsP = heap.realloc(recordsP, <usize>nodeCap << RECORD_SHIFT);
  }
  const r = recordsP + (<usize>id << RECORD_SHIFT);
  store<i64>(r, -1);
  store<i64>(r, -1, 8);
  store<i32>(r, parent, PARENT);
  store<i32>(r, location, LOCATION);
  store<i32>(r, 0, CHILDREN);
  nodeCount = id + 1;
  return id;
}

@inline
function pairHash(a: i32, b: i32): i32 {
  let h = (a ^ 0x9e3779b9) * 0x85ebca6b ^ (b + 0x7f4a7c15) * 0xc2b2ae35;
  h ^= <i32>(<u32>h >> 15);
  h *= 0x2c1b3c6d;
  h ^= <i32>(<u32>h >> 13);
  return h;
}

function childGet(parent: i32, location: i32): i32 {
  let slot = pairHash(parent, location) & childMask;
  let entry = load<i32>(childSlots + (<usize>slot << 4), 8);
  while (entry != 0) {
    const o = childSlots + (<usize>slot << 4);
    if (load<i32>(o) == parent && load<i32>(o, 4) == location) return entry - 1;
    slot = (slot + 1) & childMask;
    entry = load<i32>(childSlots + (<usize>slot << 4), 8);
  }
  return -1;
}

function childPut(parent: i32, location: i32, id: i32): void {
  let slot = pairHash(parent, location) & childMask;
  for (;;) {
    const o = childSlots + (<usize>slot << 4);
    if (load<i32>(o, 8) == 0) {
      store<i32>(o, parent);
      store<i32>(o, location, 4);
      store<i32>(o, id + 1, 8);
      if (++childSize * 2 > childMask + 1) childGrow();
      return;
    }
    slot = (slot + 1) & childMask;
  }
}

function childGrow(): void {
  const old = childSlots;
  const oldSlots = childMask + 1;
  const mask = (oldSlots << 1) - 1;
  const table = heap.alloc(<usize>(mask + 1) << 4);
  memory.fill(table, 0, <usize>(mask + 1) << 4);
  for (let i = 0; i < oldSlots; i++) {
    const o = old + (<usize>i << 4);
    if (load<i32>(o, 8) == 0) continue;
    let slot = pairHash(load<i32>(o), load<i32>(o, 4)) & mask;
    while (load<i32>(table + (<usize>slot << 4), 8) != 0) slot = (slot + 1) & mask;
    memory.copy(table + (<usize>slot << 4), o, 16);
  }
  heap.free(old);
  childSlots = table;
  childMask = mask;
}

/**
 * The stack node (parent, location), added when new; -2 when it would pass
 * the limit. The same lookup as the JavaScript builder's (ids do not
 * depend on it: a node is numbered when first met).
 */
export function internNode(parent: i32, location: i32): i32 {
  const r = recordsP + (<usize>parent << RECORD_SHIFT);
  if (load<i32>(r) == location) return load<i32>(r, 4);
  if (load<i32>(r, 8) == location) {
    const id = load<i32>(r, 12);
    store<i64>(r, load<i64>(r), 8);
    store<i32>(r, location);
    store<i32>(r, id, 4);
    return id;
  }
  const children = load<i32>(r, CHILDREN);
  let id = children > 2 ? childGet(parent, location) : -1;
  const added = id < 0;
  if (added) {
    if (nodeCount >= maxNodes) return -2;
    if (children == 2) {
      childPut(parent, load<i32>(r), load<i32>(r, 4));
      childPut(parent, load<i32>(r, 8), load<i32>(r, 12));
    }
    id = appendNode(parent, location);
    if (children >= 2) childPut(parent, location, id);
  }
  // appendNode may have moved the records.
  const s = recordsP + (<usize>parent << RECORD_SHIFT);
  if (added) store<i32>(s, children + 1, CHILDREN);
  store<i64>(s, load<i64>(s), 8);
  store<i32>(s, location);
  store<i32>(s, id, 4);
  return id;
}

// ---- addresses

@inline
function addrHash(key: u64): i32 {
  let h = key * 0x9e3779b97f4a7c15;
  h ^= h >> 29;
  return <i32>(h >> 32);
}

/** The location of the address (hi, lo), added when new. */
export function location(hi: u32, lo: u32): i32 {
  return locationOf((<u64>hi << 32) | <u64>lo);
}

function locationOf(key: u64): i32 {
  let slot = addrHash(key) & addrMask;
  for (;;) {
    const o = addrSlots + (<usize>slot << 4);
    const entry = load<i32>(o, 8);
    if (entry == 0) break;
    if (load<u64>(o) == key) return entry - 1;
    slot = (slot + 1) & addrMask;
  }
  const id = addrCount;
  if (id >= addrCap) {
    addrCap <<= 1;
    addrHiP = heap.realloc(addrHiP, <usize>addrCap << 2);
    addrLoP = heap.realloc(addrLoP, <usize>addrCap << 2);
  }
  store<u32>(addrHiP + (<usize>id << 2), <u32>(key >> 32));
  store<u32>(addrLoP + (<usize>id << 2), <u32>key);
  addrCount = id + 1;
  const o = addrSlots + (<usize>slot << 4);
  store<u64>(o, key);
  store<i32>(o, id + 1, 8);
  if (addrCount * 2 > addrMask + 1) addrGrow();
  return id;
}

function addrGrow(): void {
  const old = addrSlots;
  const oldSlots = addrMask + 1;
  const mask = (oldSlots << 1) - 1;
  const table = heap.alloc(<usize>(mask + 1) << 4);
  memory.fill(table, 0, <usize>(mask + 1) << 4);
  for (let i = 0; i < oldSlots; i++) {
    const o = old + (<usize>i << 4);
    if (load<i32>(o, 8) == 0) continue;
    let slot = addrHash(load<u64>(o)) & mask;
    while (load<i32>(table + (<usize>slot << 4), 8) != 0) slot = (slot + 1) & mask;
    memory.copy(table + (<usize>slot << 4), o, 16);
  }
  heap.free(old);
  addrSlots = table;
  addrMask = mask;
}

// ---- the line reader

/**
 * Where to write the next batch of lines, `length` bytes, whose lines
 * {@link readLine} then reads (the previous line is kept apart).
 */
export function chunkBuffer(length: i32): usize {
  if (length > chunkCap) {
    if (chunkCap > 0) heap.free(chunkP);
    chunkCap = max(length, 65536);
    chunkP = heap.alloc(chunkCap);
  }
  return chunkP;
}

/** Compares the next line with nothing. */
export function forget(): void {
  prevLen = 0;
  prevCount = 0;
}

@inline
function isBlank(c: u32): bool {
  return c == 32 || c == 9;
}

@inline
function hexValue(c: u32): i32 {
  if (c - 48 < 10) return <i32>(c - 48);
  const l = c | 32;
  if (l - 97 < 6) return <i32>(l - 87);
  return -1;
}

function ensureTokens(n: i32): void {
  if (n <= tokCap) return;
  let cap = tokCap;
  while (cap < n) cap <<= 1;
  tokA = heap.realloc(tokA, <usize>cap * 12);
  tokB = heap.realloc(tokB, <usize>cap * 12);
  nodesP = heap.realloc(nodesP, <usize>(cap + 1) << 2);
  midP = heap.realloc(midP, <usize>cap << 3);
  tokCap = cap;
}

/**
 * Reads the line of `n` bytes written at {@link lineBuffer}: the stack of
 * its addresses (leaf first, hex with or without `0x`, separated by spaces
 * or tabs). -1: the line is not only plain addresses (nothing interned; the
 * JavaScript reader decides); -2: the stack tree would pass its limit.
 */
export function readLine(start: i32, n: i32): i32 {
  const line = chunkP + <usize>start;
  const prev = prevP;
  const pn = prevLen;
  const m = min(n, pn);
  // Common prefix with the previous line, eight bytes at a time.
  let p = 0;
  while (p + 8 <= m && load<u64>(line + p) == load<u64>(prev + p)) p += 8;
  while (p < m && load<u8>(line + p) == load<u8>(prev + p)) p++;
  if (p == n && n == pn) return load<i32>(nodesP + (<usize>prevCount << 2));
  let q = 0;
  const qmax = m - p;
  while (q < qmax && load<u8>(line + n - 1 - q) == load<u8>(prev + pn - 1 - q)) q++;
  // Tokens wholly inside the common prefix (delimiter included) keep their
  // location; those wholly inside the common suffix keep their location and
  // their stack nodes (root side).
  let k = 0;
  while (k < prevCount && load<i32>(tokB + <usize>k * 12, 4) < p) k++;
  let firstShared = prevCount;
  while (firstShared > k && load<i32>(tokB + <usize>(firstShared - 1) * 12) - 1 >= pn - q) firstShared--;
  const shift = n - pn;
  const suffixFrom = firstShared < prevCount ? load<i32>(tokB + <usize>firstShared * 12) + shift - 1 : n;
  // Parse the middle, checking every token before anything is interned.
  let mid = 0;
  let pos = k > 0 ? load<i32>(tokB + <usize>(k - 1) * 12, 4) : 0;
  const kept = k + prevCount - firstShared;
  while (pos < suffixFrom) {
    const c = <u32>load<u8>(line + pos);
    if (isBlank(c)) {
      pos++;
      continue;
    }
    let stop = pos + 1;
    while (stop < n && !isBlank(<u32>load<u8>(line + stop))) stop++;
    let h = pos;
    if (c == 48 && pos + 1 < stop && (<u32>load<u8>(line + pos + 1) | 32) == 120) h = pos + 2;
    while (h < stop - 1 && load<u8>(line + h) == 48) h++;
    const digits = stop - h;
    if (digits <= 0 || digits > 16) return reject();
    let v: u64 = 0;
    for (let i = h; i < stop; i++) {
      const d = hexValue(<u32>load<u8>(line + i));
      if (d < 0) return reject();
      v = (v << 4) | <u64>d;
    }
    ensureTokens(kept + mid + 1);
    store<u64>(midP + (<usize>mid << 3), v);
    // Positions go straight to the current token set, after the k kept ones.
    const t = tokA + <usize>(k + mid) * 12;
    store<i32>(t, pos);
    store<i32>(t, stop, 4);
    mid++;
    pos = stop;
  }
  const count = kept + mid;
  ensureTokens(count);
  // Word by word: memory.copy is a call into the engine, slow for 12 bytes.
  for (let j = 0; j < k; j++) {
    const s = tokB + <usize>j * 12;
    const d = tokA + <usize>j * 12;
    store<i64>(d, load<i64>(s));
    store<i32>(d, load<i32>(s, 8), 8);
  }
  for (let j = 0; j < mid; j++) store<i32>(tokA + <usize>(k + j) * 12, locationOf(load<u64>(midP + (<usize>j << 3))), 8);
  for (let j = firstShared, to = k + mid; j < prevCount; j++, to++) {
    const s = tokB + <usize>j * 12;
    const d = tokA + <usize>to * 12;
    store<i32>(d, load<i32>(s) + shift);
    store<i32>(d, load<i32>(s, 4) + shift, 4);
    store<i32>(d, load<i32>(s, 8), 8);
  }
  // Stack nodes from the first frame not shared at the root side.
  store<i32>(nodesP, 0);
  let node = load<i32>(nodesP + (<usize>(prevCount - firstShared) << 2));
  for (let r = prevCount - firstShared + 1; r <= count; r++) {
    node = internNode(node, load<i32>(tokA + <usize>(count - r) * 12, 8));
    if (node < 0) return reject2();
    store<i32>(nodesP + (<usize>r << 2), node);
  }
  const swap = tokA;
  tokA = tokB;
  tokB = swap;
  if (n > prevCap) {
    prevCap = max(n, prevCap << 1);
    heap.free(prevP);
    prevP = heap.alloc(prevCap);
  }
  memory.copy(prevP, line, n);
  prevLen = n;
  prevCount = count;
  return node;
}

function reject(): i32 {
  forget();
  return -1;
}

function reject2(): i32 {
  forget();
  return -2;
}
