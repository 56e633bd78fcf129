/**
 * Reading a stack of frame addresses from a line (`@ 0x7f… 0x55…`), shared
 * by the heap-dump importers. These lines are most of a dump's bytes, so:
 *
 * - lines are scanned as undecoded bytes, in place (no decoding, no split,
 *   no substrings);
 * - consecutive stack lines usually share their first frames (the
 *   allocator's, at the leaf) and their last ones (main, start-up, at the
 *   root) — 84% of the frames of a 32k-stack jemalloc dump, 73% of a real
 *   service's — so the frames in the common character prefix and suffix
 *   with the previous line are reused instead of parsed, and the stack nodes
 *   of the shared root side are reused instead of interned.
 */
import type { ProfileBuilder } from '../model/builder.js';
import { EMPTY_STACK } from '../model/profile.js';
import { parseHexBytes, type AddressParts } from '../model/address.js';

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

const NIL = [40, 110, 105, 108, 41]; // "(nil)"
const utf8 = new TextDecoder();

/** Reads stack lines for one builder, remembering the previous line. */
export class StackLineReader {
  // The previous line, and its frames leaf first: token positions (from the
  // line's start) and locations. Updated in place: frames of the common
  // prefix keep their slots.
  private prevBytes: Uint8Array = new Uint8Array(0);
  private prevView = new DataView(this.prevBytes.buffer);
  private viewBytes: Uint8Array = this.prevBytes;
  private view = this.prevView;
  private prevStart = 0;
  private prevEnd = 0;
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
   * The stack of the addresses in `bytes[start, end)` (leaf first, hex with
   * or without `0x`, separated by spaces or tabs); -1 when a token is not an
   * address (see `problem`). `(nil)` tokens are skipped and counted. The
   * bytes must stay unchanged until the next call: the next line is compared
   * with them.
   */
  read(bytes: Uint8Array, start: number, end: number): number {
    // Small steps, each its own function: V8 optimizes a small hot function
    // within a few thousand lines, a large one much later (its compile takes
    // tens of milliseconds), and a dump is read once.
    const n = end - start;
    const pn = this.prevEnd - this.prevStart;
    const m = Math.min(n, pn);
    const view = this.viewOf(bytes);
    const p = commonPrefix(view, bytes, start, this.prevView, this.prevBytes, this.prevStart, m);
    this.problem.bad = '';
    this.problem.nil = 0;
    if (p === n && n === pn) {
      // The same stack as the previous line (one row per block of a site,
      // in gperftools' heap checker dumps): nothing to parse or intern.
      this.remember(bytes, view, start, end, this.count);
      return this.nodes[this.count];
    }
    const q = commonSuffix(bytes, end, this.prevBytes, this.prevEnd, m - p);
    // Frames wholly inside the common prefix (delimiter included) stay.
    let k = 0;
    while (k < this.count && this.tokenEnd[k] < p) k++;
    // Frames wholly inside the common suffix (root side, delimiter included)
    // are kept too. The suffix region starts at or after the prefix region
    // ends, so the two never share a frame.
    let firstShared = this.count;
    while (firstShared > k && this.tokenStart[firstShared - 1] - 1 >= pn - q) firstShared--;
    const shift = n - pn;
    const suffixFrom = firstShared < this.count ? this.tokenStart[firstShared] + shift - 1 : n;
    const mid = this.parseMiddle(bytes, start, n, k > 0 ? this.tokenEnd[k - 1] : 0, suffixFrom);
    if (mid < 0) {
      this.forget();
      return -1;
    }
    const count = this.place(k, mid, firstShared, shift);
    const stack = this.internFrom(this.count - firstShared, count);
    // A line with (nil) frames is not reused: its token positions do not
    // all map to frames.
    if (this.problem.nil > 0) this.forget();
    else this.remember(bytes, view, start, end, count);
    return stack;
  }

  /**
   * Parses the frames in line offsets [from, to) into the `mid*` arrays;
   * their number, or -1 when a token is not an address (see `problem`).
   */
  private parseMiddle(bytes: Uint8Array, start: number, n: number, from: number, to: number): number {
    let mid = 0;
    let pos = from;
    while (pos < to) {
      const c = bytes[start + pos];
      if (c === 32 || c === 9) {
        pos++;
        continue;
      }
      let stop = pos + 1;
      while (stop < n) {
        const d = bytes[start + stop];
        if (d === 32 || d === 9) break;
        stop++;
      }
      const hexStart = c === 48 && (bytes[start + pos + 1] | 32) === 120 ? pos + 2 : pos;
      if (parseHexBytes(bytes, start + hexStart, start + stop, this.parts)) {
        if (mid === this.midStart.length) {
          this.midStart = grow(this.midStart);
          this.midEnd = grow(this.midEnd);
          this.midLocs = grow(this.midLocs);
        }
        this.midStart[mid] = pos;
        this.midEnd[mid] = stop;
        this.midLocs[mid++] = this.builder.locationForAddress(this.parts.hi, this.parts.lo);
      } else if (isNil(bytes, start + pos, start + stop)) {
        this.problem.nil++;
      } else {
        this.problem.bad = utf8.decode(bytes.subarray(start + pos, start + stop));
        return -1;
      }
      pos = stop;
    }
    return mid;
  }

  /**
   * Places the kept root-side frames (from `firstShared`, moved by `shift`)
   * after the `mid` parsed ones, which follow the `k` kept leaf-side ones;
   * returns the line's frame count.
   */
  private place(k: number, mid: number, firstShared: number, shift: number): number {
    const count = k + mid + this.count - firstShared;
    this.ensure(count + 1);
    const { tokenStart, tokenEnd, locs } = this;
    tokenStart.copyWithin(k + mid, firstShared, this.count);
    tokenEnd.copyWithin(k + mid, firstShared, this.count);
    locs.copyWithin(k + mid, firstShared, this.count);
    for (let j = k + mid; j < count; j++) {
      tokenStart[j] += shift;
      tokenEnd[j] += shift;
    }
    for (let j = 0; j < mid; j++) {
      tokenStart[k + j] = this.midStart[j];
      tokenEnd[k + j] = this.midEnd[j];
      locs[k + j] = this.midLocs[j];
    }
    return count;
  }

  /** Stack nodes of the line's `count` frames, root first; the `shared` root-most are unchanged. */
  private internFrom(shared: number, count: number): number {
    const { nodes, locs, builder } = this;
    nodes[0] = EMPTY_STACK;
    for (let r = shared + 1; r <= count; r++) nodes[r] = builder.internStackNode(nodes[r - 1], locs[count - r]);
    return nodes[count];
  }

  /** Keeps the line, for the next one to be compared with. */
  private remember(bytes: Uint8Array, view: DataView, start: number, end: number, count: number): void {
    this.prevBytes = bytes;
    this.prevView = view;
    this.prevStart = start;
    this.prevEnd = end;
    this.count = count;
  }

  /** A DataView of `bytes` (kept while the lines come from one batch). */
  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.viewBytes) {
      this.viewBytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
  }

  /** Compares the next line with nothing. */
  private forget(): void {
    this.prevEnd = this.prevStart;
    this.count = 0;
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

/** Length of the common prefix (at most `m`) of two lines: eight and four bytes at a time (native byte order), then byte by byte. */
function commonPrefix(view: DataView, bytes: Uint8Array, start: number, prevView: DataView, prev: Uint8Array, ps: number, m: number): number {
  let p = 0;
  while (p + 8 <= m && view.getInt32(start + p, true) === prevView.getInt32(ps + p, true) && view.getInt32(start + p + 4, true) === prevView.getInt32(ps + p + 4, true)) p += 8;
  while (p + 4 <= m && view.getInt32(start + p, true) === prevView.getInt32(ps + p, true)) p += 4;
  while (p < m && bytes[start + p] === prev[ps + p]) p++;
  return p;
}

/** Length (at most `max`) of the common suffix of lines ending at `end` and `prevEnd`. */
function commonSuffix(bytes: Uint8Array, end: number, prev: Uint8Array, prevEnd: number, max: number): number {
  let q = 0;
  while (q < max && bytes[end - 1 - q] === prev[prevEnd - 1 - q]) q++;
  return q;
}

function isNil(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== NIL.length) return false;
  for (let i = 0; i < NIL.length; i++) if (bytes[start + i] !== NIL[i]) return false;
  return true;
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
