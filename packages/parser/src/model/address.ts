/**
 * 64-bit addresses as two unsigned 32-bit halves.
 *
 * Why halves: native addresses exceed 2^53 (tagged Android pointers, kernel
 * addresses), so a JS number cannot hold them exactly, and BigInt on every
 * frame is slow. The model keeps `hi`/`lo` columns; BigInt appears only at
 * the edges (mappings, pprof output).
 */

/** Scratch result of {@link parseHex}; reused to avoid an object per call. */
export interface AddressParts {
  hi: number;
  lo: number;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/**
 * Parses `text[start, end)` as hexadecimal digits (no `0x`) into `out`.
 * Returns false when a character is not a hex digit, the span is empty, or
 * the value needs more than 64 bits.
 */
export function parseHex(text: string, start: number, end: number, out: AddressParts): boolean {
  // Skip leading zeros so zero-padded frames (gperftools, Android v1.0/1.1)
  // parse to the same value as unpadded ones.
  while (start < end - 1 && text.charCodeAt(start) === 48) start++;
  const digits = end - start;
  if (digits <= 0 || digits > 16) return false;
  let hi = 0;
  let lo = 0;
  const split = end - 8; // the last 8 digits form `lo`
  for (let i = start; i < end; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return false;
    if (i < split) hi = hi * 16 + d;
    else lo = lo * 16 + d;
  }
  out.hi = hi;
  out.lo = lo;
  return true;
}

/** Hex digit values by character code (-1: not a digit), for {@link parseHexBytes}. */
const HEX_DIGITS = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let c = 0; c < 256; c++) t[c] = hexDigit(c);
  return t;
})();

/** {@link parseHex} over bytes (ASCII): `bytes[start, end)`. */
export function parseHexBytes(bytes: Uint8Array, start: number, end: number, out: AddressParts): boolean {
  while (start < end - 1 && bytes[start] === 48) start++;
  const digits = end - start;
  if (digits <= 0 || digits > 16) return false;
  const split = Math.max(start, end - 8); // the last 8 digits form `lo`
  let hi = 0;
  let lo = 0;
  for (let i = start; i < split; i++) {
    const d = HEX_DIGITS[bytes[i]];
    if (d < 0) return false;
    hi = hi * 16 + d;
  }
  for (let i = split; i < end; i++) {
    const d = HEX_DIGITS[bytes[i]];
    if (d < 0) return false;
    lo = lo * 16 + d;
  }
  out.hi = hi;
  out.lo = lo;
  return true;
}

/** Parses an unsigned decimal integer in `text[start, end)` that may exceed 2^53 into halves. */
export function parseDecimal64(text: string, start: number, end: number, out: AddressParts): boolean {
  if (end <= start) return false;
  if (end - start <= 15) {
    let v = 0;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return false;
      v = v * 10 + c;
    }
    out.hi = Math.floor(v / 0x100000000);
    out.lo = v >>> 0;
    return true;
  }
  const slice = text.slice(start, end);
  if (!/^[0-9]+$/.test(slice)) return false;
  const big = BigInt(slice);
  if (big >> 64n !== 0n) return false;
  out.hi = Number(big >> 32n);
  out.lo = Number(big & 0xffffffffn);
  return true;
}

/** The address as a BigInt. */
export function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** The address as a number when exact (below 2^53), else NaN. */
export function toNumber(hi: number, lo: number): number {
  return hi < 0x200000 ? hi * 0x100000000 + lo : NaN;
}

/** Lowercase hex without `0x` and without leading zeros. */
export function formatHex(hi: number, lo: number): string {
  if (hi === 0) return lo.toString(16);
  return hi.toString(16) + lo.toString(16).padStart(8, '0');
}

/** Splits a BigInt address into halves. */
export function fromBigInt(value: bigint, out: AddressParts): AddressParts {
  out.hi = Number((value >> 32n) & 0xffffffffn);
  out.lo = Number(value & 0xffffffffn);
  return out;
}
