/**
 * The `<count>: <bytes> [<count>: <bytes>]` pair that starts every row of a
 * legacy heap profile and every `t…:` line of a jemalloc heap_v2 dump, read
 * by a hand-written scanner: these lines are half of a dump's bytes, and a
 * regular expression with capture groups (plus the substring of the rest of
 * the line) costs several times as much.
 *
 * Numbers may be right-aligned with blanks and may be negative (scanned
 * here, rejected or kept by the importer with its own message). The lines
 * are scanned as undecoded bytes (see `ByteLineCursor`): a byte that is not
 * ASCII never matches, so such a line is rejected and decoded for the error.
 */

/** The scanned pair; `pos` is the scanner's position (in and out). */
export interface CountPair {
  n1: number;
  s1: number;
  n2: number;
  s2: number;
  pos: number;
}

/** An empty pair to scan into. */
export function countPair(): CountPair {
  return { n1: 0, s1: 0, n2: 0, s2: 0, pos: 0 };
}

/** What follows each number of the pair: `:`, `[`, `:`, `]`. */
const AFTER = [58, 91, 58, 93];

/**
 * Scans `WS int ":" WS int WS "[" WS int ":" WS int WS "]"` in
 * `bytes[out.pos, end)`; on success `out.pos` is just after the `]`. False
 * when the text there is not such a pair (the fields of `out` are then
 * unspecified).
 *
 * One loop over the four numbers rather than a call per number and per
 * separator: this runs on every count line, and V8 compiles it (and the
 * importer's line reader it is inlined into) sooner and faster when it
 * is small — a dump is read once, much of it before that compile lands.
 */
export function scanCountPair(bytes: Uint8Array, end: number, out: CountPair): boolean {
  let j = out.pos;
  for (let field = 0; field < 4; field++) {
    while (j < end && (bytes[j] === 32 || bytes[j] === 9)) j++;
    const neg = j < end && bytes[j] === 45;
    if (neg) j++;
    const start = j;
    let v = 0;
    while (j < end) {
      const c = bytes[j] - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
      j++;
    }
    if (j === start) return false;
    while (j < end && (bytes[j] === 32 || bytes[j] === 9)) j++;
    if (j >= end || bytes[j] !== AFTER[field]) return false;
    j++;
    if (neg) v = -v;
    if (field === 0) out.n1 = v;
    else if (field === 1) out.s1 = v;
    else if (field === 2) out.n2 = v;
    else out.s2 = v;
  }
  out.pos = j;
  // Numbers of 309 digits or more are infinite: ∞ and −∞ add up to NaN.
  return !Number.isNaN(out.n1 + out.s1 + out.n2 + out.s2);
}

/** Skips blanks and consumes the character `code` at `out.pos` (before `end`). */
export function scanChar(bytes: Uint8Array, end: number, out: { pos: number }, code: number): boolean {
  const j = skipBlanks(bytes, out.pos, end);
  if (j >= end || bytes[j] !== code) return false;
  out.pos = j + 1;
  return true;
}

/** The first position at or after `pos` (before `end`) that is not a space or tab. */
export function skipBlanks(bytes: Uint8Array, pos: number, end: number): number {
  let j = pos;
  while (j < end && (bytes[j] === 32 || bytes[j] === 9)) j++;
  return j;
}
