/**
 * The payload of a `perf script` sample line: the record's own address
 * `(ip)` or `(func <- ret)`, then the probe's `name=value` arguments
 * (decimal, `0x` hex, negative, strings, `(fault)`), then — in `-g`
 * sessions, for an event recorded without a callchain — a frame. Read in
 * place, as offsets into the line; what the arguments mean is
 * perf-events.ts's business.
 */
import { parseDecimal64, parseHex, type AddressParts } from '../model/address.js';
import { isBlank } from './perf-sample-line.js';

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

  /** Index of the argument called `name`, or -1. */
  find(text: string, name: string): number {
    for (let a = 0; a < this.count; a++) if (this.named(text, a, name)) return a;
    return -1;
  }

  /** Whether argument `a` is called `name`. */
  named(text: string, a: number, name: string): boolean {
    return this.nameEnd[a] - this.nameStart[a] === name.length && text.startsWith(name, this.nameStart[a]);
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
   * Scans a payload from `start`: an optional uprobe `(ip)` / `(ip <- ip)`
   * group, then `name=value` arguments. Returns false when it is not that
   * shape (an unclosed group or value).
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
      const a = this.count;
      if (a < PayloadArgs.MAX) {
        this.nameStart[a] = s;
        this.nameEnd[a] = nameEnd;
        this.kind[a] = kind;
        this.hi[a] = this.parts.hi;
        this.lo[a] = this.parts.lo;
        this.count++;
      }
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
