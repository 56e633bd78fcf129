/**
 * Callchain frames of `perf script` output, turned into locations.
 *
 * A frame line (Linux tools/perf/util/evsel_fprintf.c; docs/formats.md#perf-script):
 *
 *   frame = [WS] ip WS symbol [ "+0x" hex ] SP "(" dso ")" [ SP "(inlined)" ]
 *
 * perf has already symbolized the frame, so a location is keyed by what perf
 * printed — its symbol (with the `+0x` offset: two call sites in one
 * function stay two locations, as they would be two addresses in pprof) and
 * its dso — never by the ip (unless perf printed no offset, `-F` without
 * `symoff`: then the symbol names only the function, and the ip tells its
 * call sites apart): user-space ips are sometimes DSO-relative and
 * sometimes absolute, and the same code has another absolute address in
 * every process. The location keeps the ip of its first sighting as its
 * address, one function line named by the symbol (without the offset;
 * `cfree@GLIBC_2.2.5` shows as `cfree`, its system name keeps the version),
 * and a mapping per dso path. perf gives no mapping ranges, so those
 * mappings have start = limit = 0 and locations point at them explicitly.
 * Unresolved frames (`[unknown]` symbol) are keyed by their ip and get no
 * lines, so they show as `module+0xip` (or the bare ip without a dso) and
 * an ELF symbolizer may still name them.
 *
 * Inlined functions are printed as lines of their own, ending in
 * ` (inlined)`, innermost first. One ip is one frame of the callchain: its
 * inlined lines and the line of the function they were inlined into become
 * one location with several lines, innermost first (pprof's
 * representation). perf lays a frame's lines out in three ways (perf 6.1,
 * `--call-graph dwarf`; fixtures/cxx/perf):
 *
 *   1. the inlined lines, then the function's line with its dso — the usual
 *      way:   2c40 std::__new_allocator<hs::Small>::allocate+0x50 (inlined)
 *             2c40 hs::Pool<hs::Small>::take+0x50 (inlined)
 *             2c40 hs::small_objects_site+0x50 (/…/cxx-workload)
 *   2. the function's line first, then its inlined lines, the last of which
 *      is the function itself again by its bare DWARF name (perf does this
 *      where the symbol's name is not DWARF's, as for a class in an
 *      anonymous namespace):
 *             1368 hs::(anonymous namespace)::Polygon::grow+0x158 (/…/libhsshapes.so)
 *             1368 allocate+0x158 (inlined)
 *             …
 *             1368 grow+0x158 (inlined)
 *   3. inlined lines only, without the function's line and so without a dso
 *      (`27304 __libc_start_main_impl+0x84 (inlined)`, or
 *      `98930 __GI___libc_malloc+0x0 (inlined)` as the leaf of a uprobe
 *      record): one location without a mapping.
 *
 * {@link PerfFrames.resolve} tells them apart by the ips: inlined lines go
 * with the next line when it has their ip (1), else with the line before
 * them when it has (2), else stand alone (3). perf's names are what the
 * importer keeps; symbolization renames every frame whose binary it can read
 * (docs/symbolization.md), which the profile's `meta.producerNames` asks for.
 *
 * Speed: frames are read from the input's undecoded bytes. Frame lines
 * repeat verbatim (same ip, symbol and dso), so each distinct line is
 * parsed once and later looked up by its bytes (one hash per line; no
 * decoding, no string, no regular expression); only a line seen for the
 * first time is decoded, in pieces (its symbol and dso).
 */
import { float64Column, int32Column, uint32Column } from '../model/columns.js';
import { parseHexBytes, type AddressParts } from '../model/address.js';
import { BytesMap, MISSING } from '../model/bytes-map.js';
import { isBlank, isHexDigit, isUnknown, scanFrame, type FrameParts } from './perf-frame-line.js';
import type { ProfileBuilder } from '../model/builder.js';

/** Returned by {@link PerfFrames.frame} when the line is not a frame. */
export const NOT_A_FRAME = -1;

/**
 * Returned by {@link PerfFrames.frame} for a frame outside every executable
 * mapping (perf prints its dso as `[unknown]`: `1000000000000 [unknown]
 * ([unknown])`), when such frames are cut (see bad-frames.ts): no location
 * is made for it.
 */
export const BAD_FRAME = -2;

/** Frame codes: a location (>= 0), {@link BAD_FRAME}, or an inlined frame `-3 - index` to be resolved with the record. */
export function isInlinedCode(code: number): boolean {
  return code <= -3;
}

const UNKNOWN = '[unknown]';
/** Lines remembered before the line cache starts over (memory bound for inputs with endless distinct ips). */
const LINE_CACHE_MAX = 1 << 20;
/** A symbol's version suffix (`@GLIBC_2.2.5`, `@@GLIBC_2.34`), dropped from display names. */
const SYMBOL_VERSION = /@@?[A-Z][A-Za-z0-9_.]*$/;


/** The text of `bytes[start, end)`, from bytes already checked as UTF-8 (a byte order mark in them is kept, as in the decoded line). */
function decoded(bytes: Uint8Array, start: number, end: number): string {
  return utf8.decode(bytes.subarray(start, end));
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** The offset of a trailing `+0x<hex>` (perf's symoff) in `symbol`, or its length. */
function symoffStart(symbol: string): number {
  const plus = symbol.lastIndexOf('+0x');
  if (plus <= 0 || plus + 3 === symbol.length) return symbol.length;
  for (let i = plus + 3; i < symbol.length; i++) {
    const c = symbol.charCodeAt(i);
    if (c > 255 || !isHexDigit(c)) return symbol.length;
  }
  return plus;
}

/** perf's `+0x` offset at the end of `symbol` (`grow+0x3bf` → 0x3bf), -1 for none. */
function symoffOf(symbol: string): number {
  const at = symoffStart(symbol);
  return at === symbol.length ? -1 : Number.parseInt(symbol.slice(at + 3), 16);
}

/** `ip − symoff` (the address of the symbol perf named the frame by), NaN without an offset or beyond 2^53 (where it would be rounded). */
function symbolStart(ip: AddressParts, symoff: number): number {
  const address = ip.hi * 2 ** 32 + ip.lo;
  return symoff >= 0 && symoff <= address && Number.isSafeInteger(address) ? address - symoff : NaN;
}

/** Turns frame lines into locations of one builder. */
export class PerfFrames {
  private readonly byLine = new BytesMap();
  /** `dso \n symbol` (or `dso \n @ip` for unresolved frames) → location. */
  private readonly byKey = new Map<string, number>();
  private readonly mappingByPath = new Map<string, number>();
  private readonly functionBySymbol = new Map<string, number>();
  // What each location was made of (locations are all made here, so their ids are dense).
  private readonly locIpHi = uint32Column(1024);
  private readonly locIpLo = uint32Column(1024);
  private readonly locFunction = int32Column(1024);
  private readonly locMapping = int32Column(1024);
  /** 1 for a location that was a record's exact leaf (see {@link markExact}). */
  private readonly locExact = int32Column(1024);
  /** The address of the symbol perf named a location's function by (its ip − perf's `+0x` offset), NaN for none. */
  private readonly locSymbolStart = float64Column(1024);
  // Inlined frames, by index.
  private readonly inlinedByKey = new Map<string, number>();
  private readonly inlIpHi = uint32Column(64);
  private readonly inlIpLo = uint32Column(64);
  private readonly inlFunction = int32Column(64);
  private readonly inlMapping = int32Column(64);
  /** The location of an inlined frame on its own (-1 until needed). */
  private readonly inlAlone = int32Column(64);
  /** perf's `+0x` offset of an inlined frame (from its function's symbol), -1 for none. */
  private readonly inlSymoff: number[] = [];
  /** Locations of perf's layout 3 (no dso) without perf's `+0x` offset (`-F` without symoff): nothing places them in a binary. */
  unplaceable = 0;
  /** Locations of perf's layout 3 (no dso), with their function symbol's address. */
  private readonly dsoless: { location: number; symbolStart: number }[] = [];
  /** Each function's display name, by function id (for perf's layout 2). */
  private readonly functionNames: string[] = [];
  /** Inlined frames plus the frame they are inlined into → one location. */
  private readonly mergedByKey = new Map<string, number>();
  private readonly parts: FrameParts = { ipStart: 0, ipEnd: 0, symStart: 0, symEnd: 0, dsoStart: -1, dsoEnd: -1, inlined: false };
  private readonly address: AddressParts = { hi: 0, lo: 0 };
  /** The last line found to be a {@link BAD_FRAME} (when it fits): `badLine[0, badLength)`, -1 for none. */
  private readonly badLine = new Uint8Array(128);
  private badLength = -1;

  constructor(
    private readonly builder: ProfileBuilder,
    /** Whether frames outside every executable mapping are {@link BAD_FRAME} (else they get locations). */
    private readonly cutBadFrames = true,
  ) {}

  /**
   * The code of the frame line `bytes[start, end)`: a location, an inlined
   * frame (see {@link isInlinedCode}), {@link BAD_FRAME} or
   * {@link NOT_A_FRAME}. The bytes must be valid UTF-8 (checked by the
   * line source).
   */
  frame(bytes: Uint8Array, start: number, end: number): number {
    // The last bad line first: most lines differ from it in length, and its repeats are not in the map.
    if (this.isLastBad(bytes, start, end)) return BAD_FRAME;
    const known = this.byLine.get(bytes, start, end);
    if (known !== MISSING) return known;
    let first = start;
    while (first < end && isBlank(bytes[first])) first++;
    const code = this.frameAt(bytes, first, end);
    // Bad frames are not remembered with the others: their lines are mostly
    // garbage seen once (the memory stays bounded by the real frames). Only
    // the last is, for unwinders that end every callchain with the same one
    // (`ffffffffffffffff [unknown] ([unknown])` under --call-graph dwarf).
    if (code === BAD_FRAME) this.rememberBad(bytes, start, end);
    else if (code !== NOT_A_FRAME) {
      if (this.byLine.size >= LINE_CACHE_MAX) this.byLine.clear();
      this.byLine.add(bytes, start, end, code);
    }
    return code;
  }

  /**
   * The code of the frame line that starts at `from` (its newline before
   * `limit`) when it is the line that followed the last frame line the last
   * time (see BytesMap's `nextLine`): its end is then {@link lineEnd}. Else
   * {@link NOT_A_FRAME}: the line is for {@link frame}.
   */
  nextLine(bytes: Uint8Array, from: number, limit: number): number {
    const code = this.byLine.nextLine(bytes, from, limit);
    return code === MISSING ? NOT_A_FRAME : code;
  }

  /** Where the line read by {@link nextLine} ends (its newline). */
  get lineEnd(): number {
    return this.byLine.lineEnd;
  }

  /** Whether `bytes[start, end)` is the last line found to be a {@link BAD_FRAME}. */
  private isLastBad(bytes: Uint8Array, start: number, end: number): boolean {
    const n = this.badLength;
    if (end - start !== n) return false;
    const bad = this.badLine;
    for (let k = 0; k < n; k++) if (bytes[start + k] !== bad[k]) return false;
    return true;
  }

  private rememberBad(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > this.badLine.length) {
      this.badLength = -1;
      return;
    }
    for (let k = 0; k < n; k++) this.badLine[k] = bytes[start + k];
    this.badLength = n;
  }

  /** Like {@link frame}, for a frame that starts at `start` (not cached: the part of a sample line after its payload). */
  frameAt(bytes: Uint8Array, start: number, end: number): number {
    const p = this.parts;
    if (!scanFrame(bytes, start, end, p)) return NOT_A_FRAME;
    if (!parseHexBytes(bytes, p.ipStart, p.ipEnd, this.address)) return NOT_A_FRAME;
    // No executable mapping holds this address (perf found no map for it).
    if (this.cutBadFrames && !p.inlined && isUnknown(bytes, p.dsoStart, p.dsoEnd)) return BAD_FRAME;
    const symbol = decoded(bytes, p.symStart, p.symEnd);
    const dso = p.dsoStart >= 0 ? decoded(bytes, p.dsoStart, p.dsoEnd) : '';
    const unresolved = symbol === '' || symbol === UNKNOWN;
    // A symbol without perf's `+0x` offset (perf script -F without symoff)
    // names a function, not a place in it: its call sites are told apart by
    // their ips, as unresolved frames are.
    const ip = unresolved || symoffStart(symbol) === symbol.length ? `@${decoded(bytes, p.ipStart, p.ipEnd)}` : '';
    const key = unresolved ? `${dso}\n${ip}` : `${dso}\n${symbol}${ip && `\n${ip}`}`;
    if (p.inlined) return -3 - this.inlinedFrame(key, symbol, dso, unresolved);
    let loc = this.byKey.get(key);
    if (loc === undefined) {
      const fn = unresolved ? -1 : this.functionOf(symbol);
      loc = this.location(this.address.hi, this.address.lo, this.mappingOf(dso), fn);
      if (!unresolved) this.locSymbolStart.data[loc] = symbolStart(this.address, symoffOf(symbol));
      this.byKey.set(key, loc);
    }
    return loc;
  }

  /**
   * The location of a record's own address (a uprobe payload's ip, for a
   * record without a callchain): keyed by the address, without a mapping
   * (perf text gives none for it). `name`, when not empty, names its
   * function: an entry record's address is the probed function's first
   * instruction.
   */
  sampleAddress(hi: number, lo: number, name: string): number {
    const key = `\n@@${hi}:${lo}:${name}`;
    let loc = this.byKey.get(key);
    if (loc === undefined) {
      loc = this.location(hi, lo, -1, name === '' ? -1 : this.functionOf(name));
      this.byKey.set(key, loc);
    }
    return loc;
  }

  /**
   * Resolves a record's frame codes (leaf first) into locations, in place:
   * each ip's inlined lines join the line of the function they were inlined
   * into, in any of perf's three layouts (see the top of this file).
   * Returns the number of locations.
   */
  resolve(codes: Int32Array, count: number): number {
    let out = 0;
    /** Whether `codes[out - 1]` is a frame's own line taken as it was (one layout 2 may join). */
    let plainBefore = false;
    for (let i = 0; i < count; ) {
      const code = codes[i];
      if (!isInlinedCode(code)) {
        codes[out++] = code;
        plainBefore = true;
        i++;
        continue;
      }
      // One ip's inlined lines.
      let j = i + 1;
      while (j < count && isInlinedCode(codes[j]) && this.inlSameIp(codes[j], code)) j++;
      const next = j < count ? codes[j] : -1;
      if (next >= 0 && this.sameIp(codes, i, j, next)) {
        codes[out++] = this.merged(codes, i, j, next, false);
        plainBefore = false;
        i = j + 1;
      } else if (plainBefore && this.sameIp(codes, i, j, codes[out - 1])) {
        codes[out - 1] = this.merged(codes, i, j, codes[out - 1], true);
        plainBefore = false;
        i = j;
      } else {
        codes[out++] = j - i === 1 ? this.alone(-3 - code) : this.inlinedOnly(codes, i, j);
        plainBefore = false;
        i = j;
      }
    }
    return out;
  }

  /**
   * Whether inlined frame `code` has neither a symbol nor a dso (`98930
   * (inlined)`: perf script -F without sym): nothing says which binary or
   * function it is in.
   */
  isNameless(code: number): boolean {
    const f = -3 - code;
    return this.inlFunction.data[f] < 0 && this.inlMapping.data[f] < 0;
  }

  /** Whether inlined codes `a` and `b` have the same ip. */
  private inlSameIp(a: number, b: number): boolean {
    const f = -3 - a;
    const g = -3 - b;
    return this.inlIpHi.data[f] === this.inlIpHi.data[g] && this.inlIpLo.data[f] === this.inlIpLo.data[g];
  }

  private sameIp(codes: Int32Array, from: number, to: number, outer: number): boolean {
    const hi = this.locIpHi.data[outer];
    const lo = this.locIpLo.data[outer];
    for (let k = from; k < to; k++) {
      const f = -3 - codes[k];
      if (this.inlIpHi.data[f] !== hi || this.inlIpLo.data[f] !== lo) return false;
    }
    return true;
  }

  /**
   * One location for inlined frames `codes[from, to)` and the location
   * `outer` of the function they were inlined into: perf printed them
   * before it (layout 1) or, `after`, after it (layout 2).
   */
  private merged(codes: Int32Array, from: number, to: number, outer: number, after: boolean): number {
    // Rare (only files recorded with inline information): a string key is fine here.
    let key = `${after ? 'a' : ''}${outer}`;
    for (let k = from; k < to; k++) key += `,${codes[k]}`;
    let loc = this.mergedByKey.get(key);
    if (loc === undefined) {
      const fn = this.locFunction.data[outer];
      let last = to;
      // Layout 2 ends with the function itself by its bare DWARF name
      // (`grow` after `hs::(anonymous namespace)::Polygon::grow`): that line
      // is the outer frame again, not a function inlined into it.
      if (after && fn >= 0 && this.isBareNameOf(this.inlFunction.data[-3 - codes[to - 1]], fn)) last--;
      const lines = this.inlinedLines(codes, from, last);
      if (fn >= 0) lines.push([fn, 0]);
      loc = this.builder.addLocation(this.locIpHi.data[outer], this.locIpLo.data[outer], this.locMapping.data[outer], lines);
      this.record(loc, this.locIpHi.data[outer], this.locIpLo.data[outer], fn, this.locMapping.data[outer]);
      this.locSymbolStart.data[loc] = this.locSymbolStart.data[outer];
      this.mergedByKey.set(key, loc);
    }
    return loc;
  }

  /** Whether function `inner`'s name is function `outer`'s last name component (`grow` of `hs::(anonymous namespace)::Polygon::grow`). */
  private isBareNameOf(inner: number, outer: number): boolean {
    if (inner < 0) return false;
    const bare = this.functionNames[inner];
    const full = this.functionNames[outer];
    return bare === full || full.endsWith(`::${bare}`);
  }

  /** The lines of inlined codes `codes[from, to)`, innermost first. */
  private inlinedLines(codes: Int32Array, from: number, to: number): [number, number][] {
    const lines: [number, number][] = [];
    for (let k = from; k < to; k++) {
      const fn = this.inlFunction.data[-3 - codes[k]];
      if (fn >= 0) lines.push([fn, 0]);
    }
    return lines;
  }

  /** One location for the inlined lines `codes[from, to)` of one ip, printed without their function's line (layout 3). */
  private inlinedOnly(codes: Int32Array, from: number, to: number): number {
    let key = 'i';
    for (let k = from; k < to; k++) key += `,${codes[k]}`;
    let loc = this.mergedByKey.get(key);
    if (loc === undefined) {
      const f = -3 - codes[from];
      const [hi, lo, mapping] = [this.inlIpHi.data[f], this.inlIpLo.data[f], this.inlMapping.data[f]];
      loc = this.builder.addLocation(hi, lo, mapping, this.inlinedLines(codes, from, to));
      this.record(loc, hi, lo, this.inlFunction.data[-3 - codes[to - 1]], mapping);
      this.mergedByKey.set(key, loc);
      this.noteDsoless(loc, f);
    }
    return loc;
  }

  /**
   * Marks location `loc` as a record's exact leaf: its address is the code
   * itself (a probed function's first instruction, a CPU sample's ip), not a
   * return address. See ProfileMeta's `producerNames`.
   */
  markExact(loc: number): void {
    this.locExact.data[loc] = 1;
  }

  /** The locations marked by {@link markExact}, ascending. */
  exactLocations(): number[] {
    const out: number[] = [];
    const exact = this.locExact.data;
    for (let l = 0; l < this.locExact.length; l++) if (exact[l] === 1) out.push(l);
    return out;
  }

  /** The location of inlined frame `f` on its own. */
  private alone(f: number): number {
    let loc = this.inlAlone.data[f];
    if (loc < 0) {
      loc = this.location(this.inlIpHi.data[f], this.inlIpLo.data[f], this.inlMapping.data[f], this.inlFunction.data[f]);
      this.inlAlone.data[f] = loc;
      this.noteDsoless(loc, f);
    }
    return loc;
  }

  /** Notes location `loc` of inlined frame `f`'s ip when perf printed it without a dso (see {@link dsolessLocations}). */
  private noteDsoless(loc: number, f: number): void {
    const start = symbolStart({ hi: this.inlIpHi.data[f], lo: this.inlIpLo.data[f] }, this.inlSymoff[f]);
    this.locSymbolStart.data[loc] = start;
    if (this.inlMapping.data[f] >= 0) return;
    if (Number.isNaN(start)) this.unplaceable++;
    else this.dsoless.push({ location: loc, symbolStart: start });
  }

  /** Per location, the address of the symbol perf named its function by (ip − perf's `+0x` offset), NaN where perf printed none. */
  symbolStarts(): number[] {
    return Array.from(this.locSymbolStart.data.subarray(0, this.locSymbolStart.length));
  }

  /**
   * The locations perf printed as inlined lines only, without a dso (layout
   * 3), each with the address of its function's symbol: perf gives every
   * line of such a frame the `+0x` offset from the function's ELF symbol,
   * which lets symbolization find the one binary it is in
   * (docs/symbolization.md).
   */
  dsolessLocations(): { location: number; symbolStart: number }[] {
    return this.dsoless;
  }

  private inlinedFrame(key: string, symbol: string, dso: string, unresolved: boolean): number {
    let f = this.inlinedByKey.get(key);
    if (f === undefined) {
      f = this.inlIpHi.push(this.address.hi);
      this.inlIpLo.push(this.address.lo);
      this.inlFunction.push(unresolved ? -1 : this.functionOf(symbol));
      this.inlMapping.push(this.mappingOf(dso));
      this.inlAlone.push(-1);
      this.inlSymoff.push(unresolved ? -1 : symoffOf(symbol));
      this.inlinedByKey.set(key, f);
    }
    return f;
  }

  private location(hi: number, lo: number, mapping: number, fn: number): number {
    const loc = this.builder.addLocation(hi, lo, mapping, fn >= 0 ? [[fn, 0]] : []);
    this.record(loc, hi, lo, fn, mapping);
    return loc;
  }

  private record(loc: number, hi: number, lo: number, fn: number, mapping: number): void {
    // Every location of the builder is made here, in order: ids are dense.
    this.locIpHi.push(hi);
    this.locIpLo.push(lo);
    this.locFunction.push(fn);
    this.locMapping.push(mapping);
    this.locExact.push(0);
    this.locSymbolStart.push(NaN);
    if (this.locIpHi.length !== loc + 1) throw new Error('perf frames: locations were added to the builder elsewhere');
  }

  /** The function of a symbol as perf printed it (with its `+0x` offset, if any). */
  private functionOf(symbol: string): number {
    const bare = symbol.slice(0, symoffStart(symbol));
    let fn = this.functionBySymbol.get(bare);
    if (fn === undefined) {
      const name = bare.replace(SYMBOL_VERSION, '') || bare;
      fn = this.builder.internFunction(name, '', bare);
      this.functionBySymbol.set(bare, fn);
      this.functionNames[fn] = name;
    }
    return fn;
  }

  /** The mapping of a dso path, -1 for none (`[unknown]`). */
  private mappingOf(dso: string): number {
    if (dso === '' || dso === UNKNOWN) return -1;
    let m = this.mappingByPath.get(dso);
    if (m === undefined) {
      m = this.builder.addMapping({ start: 0n, limit: 0n, fileOffset: 0n, path: dso, buildId: '', perms: '' });
      this.mappingByPath.set(dso, m);
    }
    return m;
  }
}
