/**
 * Reading a stack of frame addresses from a line (`@ 0x7f… 0x55…`), shared
 * by the heap-dump importers. These lines are most of a dump's bytes, so:
 *
 * - characters are scanned in place (no split, no substrings);
 * - consecutive stack lines usually share their first frames (the
 *   allocator's, at the leaf) and their last ones (main, start-up, at the
 *   root) — 84% of the frames of a 32k-stack jemalloc dump, 73% of a real
 *   service's — so the frames in the common character prefix and suffix
 *   with the previous line are reused instead of parsed, and the stack nodes
 *   of the shared root side are reused instead of interned.
 */
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { parseHex, type AddressParts } from '../model/address.js';

/**
 * How many stack nodes to presize a builder for, from a dump's size in
 * bytes: about one per 64 bytes (frames are ~15 bytes, most shared with
 * other stacks). Undefined (the builder's default) when the size is not
 * known; compressed inputs just grow later.
 */
export function expectedStacksOfDump(sizeBytes: number | undefined): number | undefined {
  return sizeBytes !== undefined ? sizeBytes / 64 : undefined;
}

/** Why a line was not a stack. */
export interface StackLineProblem {
  /** The first token that is not an address, or ''. */
  bad: string;
  /** Number of `(nil)` tokens skipped (tcmalloc prints NULL frames so). */
  nil: number;
}

/** Reads stack lines for one builder, remembering the previous line. */
export class StackLineReader {
  // The previous line's frames, leaf first: token positions and locations.
  // Updated in place: frames of the common prefix keep their slots.
  private line = '';
  private count = 0;
  private tokenStart: Int32Array = new Int32Array(64);
  private tokenEnd: Int32Array = new Int32Array(64);
  private locs: Int32Array = new Int32Array(64);
  /** nodes[k]: the stack node of the line's k root-most frames. */
  private nodes: Int32Array = new Int32Array(65);
  private readonly parts: AddressParts = { hi: 0, lo: 0 };
  // Frames parsed from the middle of the line, before they are placed.
  private midStart: Int32Array = new Int32Array(64);
  private midEnd: Int32Array = new Int32Array(64);
  private midLocs: Int32Array = new Int32Array(64);
  /** Details of the last line that failed. */
  readonly problem: StackLineProblem = { bad: '', nil: 0 };

  constructor(private readonly builder: ProfileBuilder) {}

  /**
   * The stack of the addresses in `line` from `start` (leaf first, hex with
   * or without `0x`, separated by spaces or tabs); -1 when a token is not an
   * address (see `problem`). `(nil)` tokens are skipped and counted.
   */
  read(line: string, start: number): number {
    const prev = this.line;
    const n = line.length;
    const pn = prev.length;
    const p = commonPrefix(line, prev, start);
    const q = commonSuffix(line, prev, Math.min(n, pn) - p);
    // Frames wholly inside the common prefix (delimiter included) stay.
    let k = 0;
    while (k < this.count && (this.tokenEnd[k] < p || (this.tokenEnd[k] === p && p === n && p === pn))) k++;
    // Frames wholly inside the common suffix (root side, delimiter included)
    // are kept too. The suffix region starts at or after the prefix region
    // ends, so the two never share a frame.
    let firstShared = this.count;
    while (firstShared > k && this.tokenStart[firstShared - 1] - 1 >= pn - q) firstShared--;
    const shift = n - pn;
    const suffixFrom = firstShared < this.count ? this.tokenStart[firstShared] + shift - 1 : n;
    // Parse what lies between.
    this.problem.bad = '';
    this.problem.nil = 0;
    let mid = 0;
    let pos = k > 0 ? this.tokenEnd[k - 1] : start;
    while (pos < suffixFrom) {
      const c = line.charCodeAt(pos);
      if (c === 32 || c === 9) {
        pos++;
        continue;
      }
      let end = pos + 1;
      while (end < n) {
        const d = line.charCodeAt(end);
        if (d === 32 || d === 9) break;
        end++;
      }
      const hexStart = c === 48 && (line.charCodeAt(pos + 1) | 32) === 120 ? pos + 2 : pos;
      if (parseHex(line, hexStart, end, this.parts)) {
        if (mid === this.midStart.length) {
          this.midStart = grow(this.midStart);
          this.midEnd = grow(this.midEnd);
          this.midLocs = grow(this.midLocs);
        }
        this.midStart[mid] = pos;
        this.midEnd[mid] = end;
        this.midLocs[mid++] = this.builder.locationForAddress(this.parts.hi, this.parts.lo);
      } else if (end - pos === 5 && line.startsWith('(nil)', pos)) {
        this.problem.nil++;
      } else {
        this.problem.bad = line.slice(pos, end);
        this.line = '';
        this.count = 0;
        return -1;
      }
      pos = end;
    }
    // Place the shared root-side frames after the middle ones, then the middle.
    const shared = this.count - firstShared;
    const count = k + mid + shared;
    this.ensure(count + 1);
    this.tokenStart.copyWithin(k + mid, firstShared, this.count);
    this.tokenEnd.copyWithin(k + mid, firstShared, this.count);
    this.locs.copyWithin(k + mid, firstShared, this.count);
    for (let j = k + mid; j < count; j++) {
      this.tokenStart[j] += shift;
      this.tokenEnd[j] += shift;
    }
    this.tokenStart.set(this.midStart.subarray(0, mid), k);
    this.tokenEnd.set(this.midEnd.subarray(0, mid), k);
    this.locs.set(this.midLocs.subarray(0, mid), k);
    // Stack nodes, root first: the `shared` root-most ones are unchanged.
    const { nodes, locs } = this;
    nodes[0] = EMPTY_STACK;
    for (let r = shared + 1; r <= count; r++) nodes[r] = this.builder.internStackNode(nodes[r - 1], locs[count - r]);
    // A line with (nil) frames is not reused: its token positions do not
    // all map to frames.
    this.line = this.problem.nil > 0 ? '' : line;
    this.count = this.problem.nil > 0 ? 0 : count;
    return nodes[count];
  }

  private ensure(n: number): void {
    while (this.tokenStart.length < n) {
      this.tokenStart = grow(this.tokenStart);
      this.tokenEnd = grow(this.tokenEnd);
      this.locs = grow(this.locs);
    }
    while (this.nodes.length < n + 1) this.nodes = grow(this.nodes);
  }
}

/**
 * Length of the common prefix of `a` and `b` (at least `start`), by binary
 * search over slice equality: string comparison runs in native code, about
 * 5× faster than comparing characters one by one in a loop.
 */
function commonPrefix(a: string, b: string, start: number): number {
  let lo = start;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length (at most `max`) of the common suffix of `a` and `b`, as {@link commonPrefix}. */
function commonSuffix(a: string, b: string, max: number): number {
  const n = a.length;
  const m = b.length;
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(n - mid, n - lo) === b.slice(m - mid, m - lo)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
