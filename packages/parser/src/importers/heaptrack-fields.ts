/**
 * The byte scanners of heaptrack's fields (heaptrack-reader.ts reads the
 * lines): hexadecimal numbers as the format writes them, and blank lines.
 */
const SP = 32;

/** Per byte, its value as a hexadecimal digit, or -1. */
export const HEX_DIGITS = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX_DIGITS[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_DIGITS[97 + c] = HEX_DIGITS[65 + c] = 10 + c;
const HEX = HEX_DIGITS;

/** Whether `bytes[start, end)` holds only spaces, tabs and a CR. */
export function isBlankLine(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== SP && bytes[i] !== 9 && bytes[i] !== 13) return false;
  return true;
}

// Scanner results: a line is parsed without awaiting, so two parses never interleave.
export const scanned = { value: 0, hi: 0, lo: 0 };

/**
 * Scans hex digits at `p` up to a space or `end` into `scanned` (`value`
 * when it fits 2^53, `hi`/`lo` always); returns the position after them and
 * their space, or -1 when there are none or another byte follows.
 */
export function hexField(bytes: Uint8Array, p: number, end: number): number {
  const start = p;
  let value = 0;
  let d: number;
  while (p < end && (d = HEX[bytes[p]]) >= 0) {
    value = value * 16 + d;
    p++;
  }
  const digits = p - start;
  if (digits === 0 || digits > 16 || (p < end && bytes[p] !== SP)) return -1;
  if (digits > 8) {
    let hi = 0;
    let lo = 0;
    for (let i = start; i < p - 8; i++) hi = hi * 16 + HEX[bytes[i]];
    for (let i = p - 8; i < p; i++) lo = lo * 16 + HEX[bytes[i]];
    scanned.hi = hi;
    scanned.lo = lo;
  } else {
    scanned.hi = 0;
    scanned.lo = value;
  }
  scanned.value = value;
  return p < end ? p + 1 : p;
}
