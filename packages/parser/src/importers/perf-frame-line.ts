/**
 * The frame line of `perf script` output, scanned in place in the input's
 * undecoded bytes (the grammar: perf-frames.ts, docs/formats.md#perf-script):
 * {@link scanFrame} finds a frame's pieces; {@link usualFrameLines} goes over
 * the lines of the usual shape above a cut. perf-frames.ts turns what they
 * find into locations.
 */
import { viewCache } from '../model/bytes-map.js';

// Byte classes, looked up in one table (one load per byte, where the
// comparisons cost several: frame lines are most of a callchain file).
const HEX = 1;
const BLANK = 2;
const DIGIT = 4;
/** `(`, `)` and the newline: where {@link usualFrameLines} stops within a line. */
const STOP = 8;
const CLASS = (() => {
  const t = new Uint8Array(256);
  for (let c = 48; c <= 57; c++) t[c] = HEX | DIGIT;
  for (let c = 97; c <= 102; c++) t[c] = HEX;
  for (let c = 65; c <= 70; c++) t[c] = HEX;
  t[32] = BLANK;
  t[9] = BLANK;
  t[40] = STOP;
  t[41] = STOP;
  t[10] = STOP;
  return t;
})();

/** Space or TAB (a byte). */
export function isBlank(c: number): boolean {
  return (CLASS[c] & BLANK) !== 0;
}

/** A hexadecimal digit (a byte). */
export function isHexDigit(c: number): boolean {
  return (CLASS[c] & HEX) !== 0;
}

/** A decimal digit (a byte). */
function isDigit(c: number): boolean {
  return (CLASS[c] & DIGIT) !== 0;
}

/** The pieces of a frame, as offsets into the input's bytes. */
export interface FrameParts {
  ipStart: number;
  ipEnd: number;
  symStart: number;
  symEnd: number;
  /** -1 when the frame names no dso. */
  dsoStart: number;
  dsoEnd: number;
  inlined: boolean;
}

/** `(inlined)`, as bytes. */
const INLINED = [40, 105, 110, 108, 105, 110, 101, 100, 41];

/**
 * Scans a frame in `bytes[start, end)` (`start` at its ip's first
 * character) in place. Returns false when the bytes are not a frame. A
 * frame whose second token is a decimal tid (`dd 29776 …`, a comm that
 * happens to be hex) is a sample line, not a frame: real symbols never are
 * plain decimal numbers. Every byte the grammar looks for is ASCII, and no
 * byte of a multi-byte UTF-8 character is, so scanning the undecoded bytes
 * finds what scanning the decoded text would.
 */
export function scanFrame(bytes: Uint8Array, start: number, n: number, out: FrameParts): boolean {
  let i = start;
  while (i < n && isHexDigit(bytes[i])) i++;
  if (i === start || i - start > 16 || i >= n || !isBlank(bytes[i])) return false;
  out.ipStart = start;
  out.ipEnd = i;
  while (i < n && isBlank(bytes[i])) i++;
  const symStart = i;
  let end = n;
  while (end > symStart && isBlank(bytes[end - 1])) end--;
  if (end <= symStart || bytes[end - 1] !== 41 /* ) */) return false;
  // The sample-line guard: "<tid>" or "<pid>/<tid>" as the second token.
  let j = symStart;
  while (j < end && isDigit(bytes[j])) j++;
  if (j > symStart && j < end && bytes[j] === 47 /* / */) {
    j++;
    while (j < end && isDigit(bytes[j])) j++;
  }
  if (j > symStart && j < end && isBlank(bytes[j])) return false;

  out.inlined = false;
  if (end - symStart >= 9 && endsInlined(bytes, end)) {
    out.inlined = true;
    end -= 9;
    while (end > symStart && isBlank(bytes[end - 1])) end--;
  }
  out.dsoStart = -1;
  out.dsoEnd = -1;
  out.symStart = symStart;
  out.symEnd = end;
  if (end > symStart && bytes[end - 1] === 41) {
    // The dso is the last parenthesized group, preceded by a blank (a
    // symbol such as `foo(int)` ends in a group too, but not after a blank).
    let depth = 0;
    let k = end - 1;
    for (; k >= symStart; k--) {
      const c = bytes[k];
      if (c === 41) depth++;
      else if (c === 40 /* ( */ && --depth === 0) break;
    }
    if (k > symStart && isBlank(bytes[k - 1])) {
      out.dsoStart = k + 1;
      out.dsoEnd = end - 1;
      let s = k;
      while (s > symStart && isBlank(bytes[s - 1])) s--;
      out.symEnd = s;
    } else if (k === symStart) {
      // Only "(dso)": no symbol at all.
      out.dsoStart = k + 1;
      out.dsoEnd = end - 1;
      out.symEnd = symStart;
    }
  }
  // A frame of its own must name its dso; an inlined one may not.
  return out.dsoStart >= 0 || out.inlined;
}

const scratchParts: FrameParts = { ipStart: 0, ipEnd: 0, symStart: 0, symEnd: 0, dsoStart: -1, dsoEnd: -1, inlined: false };

/** Whether `bytes[start, end)` is a frame line, without making a location for it (the frames above a cut). */
export function isFrameLine(bytes: Uint8Array, start: number, end: number): boolean {
  while (start < end && isBlank(bytes[start])) start++;
  return scanFrame(bytes, start, end, scratchParts);
}

/** `[unknown] ([unknown])` and the newline: the rest of most lines above a cut. */
const UNKNOWN_REST = new TextEncoder().encode('[unknown] ([unknown])\n');
const UNKNOWN_REST_BYTES = UNKNOWN_REST.length;
const UNKNOWN_REST_WORDS = (() => {
  const view = new DataView(UNKNOWN_REST.buffer);
  return Int32Array.from({ length: 5 }, (_, k) => view.getInt32(4 * k, true));
})();
const restView = viewCache();

/**
 * Whether `bytes` at `i` hold {@link UNKNOWN_REST} (one of the usual shape's
 * rests), compared four bytes at a time.
 */
function isUnknownRest(bytes: Uint8Array, i: number): boolean {
  const v = restView(bytes);
  const w = UNKNOWN_REST_WORDS;
  return (
    v.getInt32(i, true) === w[0] &&
    v.getInt32(i + 4, true) === w[1] &&
    v.getInt32(i + 8, true) === w[2] &&
    v.getInt32(i + 12, true) === w[3] &&
    v.getInt32(i + 16, true) === w[4] &&
    bytes[i + 20] === 41 &&
    bytes[i + 21] === 10
  );
}

/** How many lines {@link usualFrameLines} went over. */
export interface LineCount {
  lines: number;
}

/**
 * Goes over the frame lines of the usual shape from `from` (a line's start)
 * on, each ended by a newline before `limit`, and returns where the first
 * other line starts (`from` when it is one); `count.lines` is how many it
 * went over. The usual shape is `[WS] ip WS rest NL`, where `rest` does not
 * start with a digit and its only parentheses are one group at its end
 * (after a blank, or the whole of it), right before the newline:
 * `\t    555555a0fed8 [unknown] ([unknown])`. Every such line is a frame
 * ({@link scanFrame} reads it as one: the group is its dso, or
 * `(inlined)`); lines of other shapes are left to scanFrame, never taken
 * as not frames. It exists for the lines above a cut (broken frame-pointer
 * unwinding leaves up to a hundred per record), which are only counted:
 * one pass over their bytes, with no per-line search for the newline, and
 * perf's `[unknown] ([unknown])` rest compared a word at a time
 * (packages/parser/test/perf-frame-lines.test.ts checks it against
 * scanFrame).
 */
export function usualFrameLines(bytes: Uint8Array, from: number, limit: number, count: LineCount): number {
  let lines = 0;
  let p = from;
  for (;;) {
    let i = p;
    while (i < limit && isBlank(bytes[i])) i++;
    const ip = i;
    while (i < limit && isHexDigit(bytes[i])) i++;
    if (i === ip || i - ip > 16 || i >= limit || !isBlank(bytes[i])) break;
    while (i < limit && isBlank(bytes[i])) i++;
    // A digit may start a tid (a sample line): scanFrame decides.
    if (i >= limit || isDigit(bytes[i])) break;
    if (i + UNKNOWN_REST_BYTES <= limit && isUnknownRest(bytes, i)) {
      p = i + UNKNOWN_REST_BYTES;
      lines++;
      continue;
    }
    const rest = i;
    while (i < limit && (CLASS[bytes[i]] & STOP) === 0) i++;
    // The group: "(" at the rest's start or after a blank, no other parenthesis, ")" then the newline.
    if (i >= limit || bytes[i] !== 40 || (i > rest && !isBlank(bytes[i - 1]))) break;
    i++;
    while (i < limit && (CLASS[bytes[i]] & STOP) === 0) i++;
    if (i + 1 >= limit || bytes[i] !== 41 || bytes[i + 1] !== 10) break;
    p = i + 2;
    lines++;
  }
  count.lines = lines;
  return p;
}

/** Whether `bytes` before `end` are `(inlined)`. */
function endsInlined(bytes: Uint8Array, end: number): boolean {
  for (let k = 0; k < 9; k++) if (bytes[end - 9 + k] !== INLINED[k]) return false;
  return true;
}

/** `[unknown]`, as bytes. */
const UNKNOWN_BYTES = [91, 117, 110, 107, 110, 111, 119, 110, 93];

/** Whether `bytes[start, end)` is `[unknown]` (perf's dso of an address in no mapping). */
export function isUnknown(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start !== 9) return false;
  for (let k = 0; k < 9; k++) if (bytes[start + k] !== UNKNOWN_BYTES[k]) return false;
  return true;
}

/** {@link srclineKind}: a source line under a frame. */
export const SRCLINE = 1;
/** {@link srclineKind}: the source line of an inlined frame, which perf then marks instead of the frame (`  malloc.c:3281 (inlined)`). */
export const SRCLINE_INLINED = 2;

/**
 * A `-F +srcline` line, or 0: indented, one token, either `<file>:<line>`
 * (`  malloc.c:3281`, `  ??:0`, `  :0`) or, where perf found no line, the
 * dso's name and the address in it (`  sqlite3[911e]`); ` (inlined)` after
 * it when its frame is an inlined one ({@link SRCLINE_INLINED}).
 */
export function srclineKind(bytes: Uint8Array, start: number, end: number): number {
  if (end - start < 3 || !isBlank(bytes[start])) return 0;
  let i = start;
  while (i < end && isBlank(bytes[i])) i++;
  let kind = SRCLINE;
  if (end - i > 10 && endsInlined(bytes, end) && bytes[end - 10] === 32) {
    kind = SRCLINE_INLINED;
    end -= 10;
  }
  for (let k = i; k < end; k++) if (isBlank(bytes[k])) return 0;
  if (bytes[end - 1] === 93 /* ] */) {
    let open = end - 2;
    while (open > i && isHexDigit(bytes[open])) open--;
    return open > i && open < end - 2 && bytes[open] === 91 /* [ */ ? kind : 0;
  }
  let colon = end - 1;
  while (colon >= i && bytes[colon] !== 58 /* : */) colon--;
  if (colon < i || colon === end - 1) return 0;
  for (let k = colon + 1; k < end; k++) if (!isDigit(bytes[k])) return 0;
  return kind;
}

/**
 * A callchain frame printed without its dso: `-F` without `dso` (`\t  99130
 * realloc+0x0`, `\t  911e [unknown]`, or the ip alone with neither `sym` nor
 * `dso`): indented, an ip, and a symbol with no parenthesized group after a
 * blank (where a dso would be). Such a line fails {@link scanFrame}; this
 * tells it from a damaged frame (`… ([unknown]) trailing words`).
 */
export const DSOLESS_FRAME = /^[ \t]+[0-9a-fA-F]{1,16}(?:[ \t]+(?![^]*[ \t]\()\S.*)?$/;

/**
 * A frame line at `ffffffffffffffff` (`ffffffffffffffff [unknown] ([unknown])`):
 * `perf record --call-graph dwarf` ends a callchain with it where its
 * unwinder stopped (an address of 0, minus 1). It is the end of what perf
 * unwound, not a frame that broken unwinding invented: nothing to cut or
 * warn about.
 */
export function isStackEnd(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end && isBlank(bytes[i])) i++;
  if (end - i < 17 || !isBlank(bytes[i + 16])) return false;
  for (let k = i; k < i + 16; k++) if (bytes[k] !== 102 /* f */) return false;
  return true;
}

/** A `-F +srccode` line: `|`, the line number, then the source text (`|243          blocks[i] = malloc(ODD_SIZE);`). */
export function isSrccode(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start + 1;
  while (i < end && isDigit(bytes[i])) i++;
  return bytes[start] === 124 && i > start + 1 && (i === end || isBlank(bytes[i]));
}
