/**
 * Content hashes: the ids of the store's deduplicated rows (strings,
 * functions, locations, stacks, threads). An id is a function of the row's
 * content alone, so the same stack written by a thousand hosts gets the
 * same id everywhere and is stored once, whichever process ingests it.
 *
 * Why not a cryptographic hash: a dump has tens of thousands of locations
 * and stacks, each hashed on every ingest; two independent 32-bit lanes of
 * MurmurHash3's mixing over UTF-16 code units and 32-bit words are a few
 * multiplications per word. Ids are 63 bits (non-negative Int64 in both
 * engines, usable as a sharding key); for n distinct rows the chance of
 * any collision is about n² / 2^64 (under 10^-5 for ten million stacks).
 * Profile ids, one per dump, use SHA-256 instead (see `profile-rows.ts`).
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const D1 = 0x85ebca77;
const D2 = 0xc2b2ae3d;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const scratchId = new BigInt64Array(1);
const scratch = new Uint32Array(scratchId.buffer);

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A 63-bit content hash built from strings, integers and other ids. */
export class ContentHash {
  private h1: number;
  private h2: number;
  private words = 0;

  /** `domain` separates kinds of rows (a string and a function with equal text get different ids). */
  constructor(domain: number) {
    this.h1 = 0x9747b28c ^ domain;
    this.h2 = 0x3c6ef372 ^ Math.imul(domain, 0x27d4eb2f);
  }

  /** Mixes one 32-bit word into both lanes. */
  word(w: number): this {
    let k1 = Math.imul(w, C1);
    k1 = Math.imul(rotl(k1, 15), C2);
    this.h1 ^= k1;
    this.h1 = (Math.imul(rotl(this.h1, 13), 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(w, D1);
    k2 = Math.imul(rotl(k2, 17), D2);
    this.h2 ^= k2;
    this.h2 = (Math.imul(rotl(this.h2, 11), 9) + 0x4cf5ad43) | 0;
    this.words++;
    return this;
  }

  /** A string: its length, then its UTF-16 code units two per word. */
  string(s: string): this {
    const n = s.length;
    this.word(n);
    let i = 0;
    for (; i + 1 < n; i += 2) this.word(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.word(s.charCodeAt(i));
    return this;
  }

  /** An integer that fits a double exactly (|n| < 2^53). */
  int(n: number): this {
    f64[0] = n;
    return this.word(u32[0]).word(u32[1]);
  }

  /** A 64-bit value given as a BigInt (addresses, other ids). */
  big(n: bigint): this {
    return this.word(Number(n & 0xffffffffn)).word(Number((n >> 32n) & 0xffffffffn));
  }

  /** Another id, given as its two 32-bit halves (no BigInt: ids are hashed by the hundred thousand). */
  id(halves: Uint32Array, index: number): this {
    return this.word(halves[2 * index]).word(halves[2 * index + 1]);
  }

  /**
   * Writes the id (63 bits) into `halves[2 index]` (low) and `[2 index + 1]`
   * (high): a Uint32Array over a BigInt64Array's buffer (little-endian).
   */
  digestInto(halves: Uint32Array, index: number): void {
    let h1 = this.h1 ^ this.words;
    let h2 = this.h2 ^ this.words;
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 = (h1 + h2) | 0;
    h2 = (h2 + h1) | 0;
    halves[2 * index] = h2 >>> 0;
    halves[2 * index + 1] = (h1 >>> 0) & 0x7fffffff;
  }

  /** The id: 63 bits, as a non-negative BigInt. */
  digest(): bigint {
    this.digestInto(scratch, 0);
    return scratchId[0];
  }
}

/** Kinds of rows, so that equal content of different kinds never shares an id. */
export const Domain = {
  string: 1,
  function: 2,
  location: 3,
  stack: 4,
  thread: 5,
} as const;

/** The id of a string (the names analyses group by, labels). */
export function stringId(s: string): bigint {
  return new ContentHash(Domain.string).string(s).digest();
}
