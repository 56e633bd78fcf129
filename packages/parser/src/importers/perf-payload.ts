/**
 * The payload of a `perf script` sample line: the record's own address
 * `(ip)` or `(func <- ret)`, then the probe's `name=value` arguments
 * (decimal, `0x` hex, negative, strings, `(fault)`), then — in `-g`
 * sessions, for an event recorded without a callchain — a frame. Read in
 * place, as offsets into the line; what the arguments mean is
 * perf-events.ts's business.
 */
import { parseDecimal64, parseHex, parseHexBytes, type AddressParts } from '../model/address.js';
import { isBlank } from './perf-sample-line.js';

const utf8 = new TextEncoder();

/** The payload's `name=value` arguments, as offsets into the line (reused for every record). */
export class PayloadArgs {
  static readonly MAX = 16;
  count = 0;
  readonly nameStart = new Int32Array(PayloadArgs.MAX);
  readonly nameEnd = new Int32Array(PayloadArgs.MAX);
  /** 1: a non-negative integer (in hi/lo); 2: negative; 0: not a number. */
  readonly kind = new Uint8Array(PayloadArgs.MAX);
  readonly hi = new Uint32Array(PayloadArgs.MAX);
  readonly lo = new Uint32Array(PayloadArgs.MAX);
  /** Where text that is not `name=value` starts after the arguments (a frame, in `-g` sessions without a callchain for this event), or -1. */
  rest = -1;
  /**
   * The record's own address from the `(ip)` / `(func <- ret)` group: the
   * probed function's entry, or for a return probe the return address in
   * its caller (the sample's ip, as `perf script -F +ip` prints it).
   */
  hasIp = false;
  ipHi = 0;
  ipLo = 0;
  private readonly parts: AddressParts = { hi: 0, lo: 0 };

  /** Index of the argument called `name`, or -1 (offsets into `bytes`, as {@link scanLine} leaves them). */
  find(bytes: Uint8Array, name: string): number {
    const want = utf8.encode(name);
    for (let a = 0; a < this.count; a++) if (this.named(bytes, a, want)) return a;
    return -1;
  }

  /** Whether argument `a` is called `name` (its UTF-8 bytes). */
  named(bytes: Uint8Array, a: number, name: Uint8Array): boolean {
    const s = this.nameStart[a];
    if (this.nameEnd[a] - s !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (bytes[s + k] !== name[k]) return false;
    return true;
  }

  /** Index of the `position`-th (0-based) numeric argument, or -1. */
  numeric(position: number, skip = -1): number {
    for (let a = 0; a < this.count; a++) {
      if (a === skip || this.kind[a] === 0) continue;
      if (position-- === 0) return a;
    }
    return -1;
  }

  /** Argument `a` as a safe integer, or NaN (negative, not a number, or ≥ 2^53). */
  value(a: number): number {
    if (a < 0 || this.kind[a] !== 1 || this.hi[a] >= 0x200000) return NaN;
    return this.hi[a] * 0x100000000 + this.lo[a];
  }

  /**
   * Scans the payload `bytes[start, end)` of a sample line (valid UTF-8),
   * with offsets into `bytes`: the usual payloads from their bytes
   * ({@link scanBytes}), any other from its text (`text` decodes a range of
   * the line) with {@link scan}. Returns false when it is not a payload.
   */
  scanLine(bytes: Uint8Array, start: number, end: number, text: (from: number, to: number) => string): boolean {
    if (this.scanBytes(bytes, start, end)) return true;
    const payload = text(start, end);
    if (!this.scan(payload, 0)) return false;
    const ascii = payload.length === end - start;
    // The general scanner's offsets are UTF-16 units of the decoded payload.
    const at = (index: number) => start + (ascii ? index : Buffer.byteLength(payload.slice(0, index)));
    for (let a = 0; a < this.count; a++) {
      this.nameStart[a] = at(this.nameStart[a]);
      this.nameEnd[a] = at(this.nameEnd[a]);
    }
    if (this.rest >= 0) this.rest = at(this.rest);
    return true;
  }

  /**
   * The usual payload, `[(ip) | (ip <- ip)] name=value …` with values that
   * are one token (numbers), read from its undecoded bytes: offsets are into
   * `bytes`. Every byte the grammar looks for is ASCII, and no byte of a
   * multi-byte UTF-8 character is, so what it finds is where {@link scan}
   * finds it in the decoded text. Returns false (declines) for any other
   * payload — a quoted or braced value, an unclosed group, a decimal of more
   * than 15 digits — which {@link scan} reads instead; what it accepts, scan
   * reads the same (packages/parser/test/perf-scanners.test.ts).
   */
  scanBytes(bytes: Uint8Array, start: number, end: number): boolean {
    let i = start;
    this.count = 0;
    this.rest = -1;
    this.hasIp = false;
    while (i < end && isBlank(bytes[i])) i++;
    if (i < end && bytes[i] === 40 /* ( */) {
      let close = i + 1;
      while (close < end && bytes[close] !== 41 /* ) */) close++;
      if (close === end) return false;
      // The last " <- " inside the group: a return probe's `func <- ret`.
      let arrow = close - 4;
      while (arrow > i && !(bytes[arrow] === 32 && bytes[arrow + 1] === 60 /* < */ && bytes[arrow + 2] === 45 /* - */ && bytes[arrow + 3] === 32)) arrow--;
      this.hasIp = parseHexBytes(bytes, arrow > i ? arrow + 4 : i + 1, close, this.parts);
      this.ipHi = this.parts.hi;
      this.ipLo = this.parts.lo;
      i = close + 1;
    }
    for (;;) {
      while (i < end && isBlank(bytes[i])) i++;
      if (i >= end) return true;
      const s = i;
      // name "=" value: the '=' must come before the next space.
      while (i < end && bytes[i] !== 61 /* = */ && bytes[i] !== 32) i++;
      if (i === end || bytes[i] === 32 || i === s) {
        this.rest = s;
        return true;
      }
      const nameEnd = i++;
      const c = bytes[i];
      if (c === 34 /* " */ || c === 123 /* { */) return false;
      const vs = i;
      while (i < end && bytes[i] !== 32) i++;
      const kind = this.numberBytes(bytes, vs, i);
      if (kind < 0) return false;
      this.push(s, nameEnd, kind);
    }
  }

  /** Adds an argument named `[nameStart, nameEnd)` of `kind`, its value in `parts` (past {@link PayloadArgs.MAX}, it is not kept). */
  private push(nameStart: number, nameEnd: number, kind: number): void {
    const a = this.count;
    if (a >= PayloadArgs.MAX) return;
    this.nameStart[a] = nameStart;
    this.nameEnd[a] = nameEnd;
    this.kind[a] = kind;
    this.hi[a] = this.parts.hi;
    this.lo[a] = this.parts.lo;
    this.count++;
  }

  /** {@link number} over bytes: the kind of `bytes[start, end)`, or -1 for a decimal of more than 15 digits (left to {@link scan}). */
  private numberBytes(bytes: Uint8Array, start: number, end: number): number {
    const parts = this.parts;
    parts.hi = 0;
    parts.lo = 0;
    if (end - start > 2 && bytes[start] === 48 && (bytes[start + 1] | 32) === 120 /* x */) {
      return parseHexBytes(bytes, start + 2, end, parts) ? 1 : 0;
    }
    const negative = bytes[start] === 45; /* - */
    const from = negative ? start + 1 : start;
    if (end <= from) return 0;
    let v = 0;
    for (let i = from; i < end; i++) {
      const d = bytes[i] - 48;
      if (d < 0 || d > 9) return 0;
      v = v * 10 + d;
    }
    if (end - from > 15) return -1;
    parts.hi = Math.floor(v / 0x100000000);
    parts.lo = v >>> 0;
    return negative ? 2 : 1;
  }

  /**
   * Scans a payload from `start` in its text (the general scanner): an
   * optional uprobe `(ip)` / `(ip <- ip)` group, then `name=value`
   * arguments. Returns false when it is not that shape (an unclosed group or
   * value). Offsets are into `text`.
   */
  scan(text: string, start: number): boolean {
    const n = text.length;
    let i = start;
    this.count = 0;
    this.rest = -1;
    this.hasIp = false;
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i < n && text.charCodeAt(i) === 40 /* ( */) {
      const close = text.indexOf(')', i);
      if (close < 0) return false;
      const arrow = text.lastIndexOf(' <- ', close);
      const ipStart = arrow > i ? arrow + 4 : i + 1;
      this.hasIp = parseHex(text, ipStart, close, this.parts);
      this.ipHi = this.parts.hi;
      this.ipLo = this.parts.lo;
      i = close + 1;
    }
    for (;;) {
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      if (i >= n) return true;
      const s = i;
      // name "=" value: the '=' must come before the next blank (native searches: see perf-sample-line.ts).
      const eq = text.indexOf('=', s);
      let blank = text.indexOf(' ', s);
      if (blank < 0) blank = n;
      if (eq < 0 || eq > blank || eq === s) {
        this.rest = s;
        return true;
      }
      const nameEnd = eq;
      i = eq + 1;
      const c = text.charCodeAt(i);
      let kind = 0;
      if (c === 34 /* " */) {
        i++;
        while (i < n && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 /* \ */ ? 2 : 1;
        if (i >= n) return false;
        i++;
      } else if (c === 123 /* { */) {
        const close = text.indexOf('}', i);
        if (close < 0) return false;
        i = close + 1;
      } else {
        // (perf separates arguments with spaces; a TAB inside a value makes it non-numeric.)
        const vs = i;
        i = blank;
        kind = this.number(text, vs, i);
      }
      this.push(s, nameEnd, kind);
    }
  }

  /** Parses `0x…` or decimal into `parts`; returns the kind. */
  private number(text: string, start: number, end: number): number {
    const parts = this.parts;
    parts.hi = 0;
    parts.lo = 0;
    if (end - start > 2 && text.charCodeAt(start) === 48 && (text.charCodeAt(start + 1) | 32) === 120 /* x */) {
      return parseHex(text, start + 2, end, parts) ? 1 : 0;
    }
    if (text.charCodeAt(start) === 45 /* - */) return end - start > 1 && parseDecimal64(text, start + 1, end, parts) ? 2 : 0;
    return parseDecimal64(text, start, end, parts) ? 1 : 0;
  }
}
