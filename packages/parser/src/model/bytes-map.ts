/**
 * A map from byte strings (a slice of an input's undecoded bytes) to int32
 * values, for readers that look lines up by their bytes without decoding
 * them to strings first. Keys are copied into one growing buffer; slots
 * are open-addressed by a hash of the key's ends (see {@link hashOf}).
 */

/** Returned by {@link BytesMap.get} for a key not in the map. */
export const MISSING = -0x80000000;

const EMPTY_SLOTS = 1 << 10;

/**
 * Byte strings → int32 values (any but {@link MISSING}).
 *
 * Lookups that repeat a sequence (the frame lines of a callchain: a frame's
 * caller is most often the one it had before) skip the hash: each entry
 * remembers the entry found right after it, and a lookup compares that one
 * first. The key is still compared whole, so a wrong guess only costs the
 * comparison.
 */
export class BytesMap {
  /** The keys, one after the other. */
  private keys = new Uint8Array(1 << 16);
  private keysUsed = 0;
  /** Entry + 1 per slot, 0 for an empty slot; a power of two long. */
  private slots = new Int32Array(EMPTY_SLOTS);
  private keyStart = new Int32Array(EMPTY_SLOTS / 2);
  private keyLength = new Int32Array(EMPTY_SLOTS / 2);
  private values = new Int32Array(EMPTY_SLOTS / 2);
  /** Per entry, the entry found by the lookup after it (-1: none yet). */
  private after = new Int32Array(EMPTY_SLOTS / 2);
  /** The entry the last lookup found or added, -1 after a miss. */
  private last = -1;
  /** Entries in the map. */
  size = 0;

  /** The value of the key `bytes[start, end)`, or {@link MISSING}. */
  get(bytes: Uint8Array, start: number, end: number): number {
    const last = this.last;
    if (last >= 0) {
      const guess = this.after[last];
      if (guess >= 0 && this.keyLength[guess] === end - start && this.sameKey(guess, bytes, start, end)) {
        this.last = guess;
        return this.values[guess];
      }
    }
    const mask = this.slots.length - 1;
    for (let s = hashOf(bytes, bytesView(bytes), start, end) & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s] - 1;
      if (e < 0) {
        this.last = -1;
        return MISSING;
      }
      if (this.keyLength[e] === end - start && this.sameKey(e, bytes, start, end)) {
        if (last >= 0) this.after[last] = e;
        this.last = e;
        return this.values[e];
      }
    }
  }

  /** Where the key found by {@link nextLine} ends. */
  lineEnd = 0;

  /**
   * The value of the entry found after the last one, when `bytes` from
   * `from` hold its key and then a newline before `limit` — the next line of
   * a repeated sequence, read without searching for its end (which is then
   * {@link lineEnd}); else {@link MISSING}, and the map is as it was.
   */
  nextLine(bytes: Uint8Array, from: number, limit: number): number {
    const last = this.last;
    if (last < 0) return MISSING;
    const guess = this.after[last];
    if (guess < 0) return MISSING;
    const end = from + this.keyLength[guess];
    if (end >= limit || bytes[end] !== 10 || !this.sameKey(guess, bytes, from, end)) return MISSING;
    this.last = guess;
    this.lineEnd = end;
    return this.values[guess];
  }

  /** Maps the key `bytes[start, end)`, which is not in the map yet, to `value`. */
  add(bytes: Uint8Array, start: number, end: number, value: number): void {
    const n = end - start;
    if (this.keysUsed + n > this.keys.length) this.keys = grown(this.keys, this.keysUsed + n);
    this.keys.set(bytes.subarray(start, end), this.keysUsed);
    const e = this.size++;
    if (e === this.values.length) {
      this.keyStart = grown(this.keyStart, e + 1);
      this.keyLength = grown(this.keyLength, e + 1);
      this.values = grown(this.values, e + 1);
      this.after = grown(this.after, e + 1);
    }
    this.keyStart[e] = this.keysUsed;
    this.keyLength[e] = n;
    this.values[e] = value;
    this.after[e] = -1;
    this.last = e;
    this.keysUsed += n;
    // At most half full: probes stay short.
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(e, hashOf(bytes, bytesView(bytes), start, end));
  }

  /** Empties the map, keeping its buffers. */
  clear(): void {
    this.slots.fill(0);
    this.keysUsed = 0;
    this.size = 0;
    this.last = -1;
  }

  private sameKey(e: number, bytes: Uint8Array, start: number, end: number): boolean {
    const keys = this.keys;
    const from = this.keyStart[e];
    const n = end - start;
    let i = 0;
    if (n >= 16) {
      // Eight bytes at a time (a native compare's call costs more than a line's loop).
      const kv = keysView(keys);
      const bv = bytesView(bytes);
      for (; i + 8 <= n; i += 8) {
        if (kv.getInt32(from + i, true) !== bv.getInt32(start + i, true) || kv.getInt32(from + i + 4, true) !== bv.getInt32(start + i + 4, true)) return false;
      }
      if (i + 4 <= n) {
        if (kv.getInt32(from + i, true) !== bv.getInt32(start + i, true)) return false;
        i += 4;
      }
    }
    for (; i < n; i++) if (keys[from + i] !== bytes[start + i]) return false;
    return true;
  }

  private place(e: number, hash: number): void {
    const mask = this.slots.length - 1;
    let s = hash & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = e + 1;
  }

  private rehash(length: number): void {
    this.slots = new Int32Array(length);
    for (let e = 0; e < this.size; e++) {
      const start = this.keyStart[e];
      this.place(e, hashOf(this.keys, keysView(this.keys), start, start + this.keyLength[e]));
    }
  }
}

/**
 * A function giving a DataView of its array, kept for the next call with
 * the same array (a reader passes one batch of lines many times): one per
 * array that is read in turn with others.
 */
export function viewCache(): (bytes: Uint8Array) => DataView {
  let of: Uint8Array | null = null;
  let view: DataView = new DataView(new ArrayBuffer(0));
  return (bytes) => {
    if (of !== bytes) {
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      of = bytes;
    }
    return view;
  };
}

// The two arrays a comparison reads: a map's keys, a reader's batch.
const keysView = viewCache();
const bytesView = viewCache();

/** Bytes hashed at the start and at the end of a long key. */
const HASHED_HEAD = 32;
const HASHED_TAIL = 8;

/**
 * A hash of the length and the first {@link HASHED_HEAD} and last
 * {@link HASHED_TAIL} bytes of `bytes[start, end)` (`view` is a DataView of
 * `bytes`), taken four bytes at a time (MurmurHash3's mixing, so that every
 * byte reaches the low bits that pick a slot): a long key costs no more to
 * hash than a short one, and keys that differ only in their middle just
 * share a slot sequence (the bytes are compared whole). Lines that start
 * alike and are as long, yet differ in their middle, are rare: a perf frame
 * line's ip is in its first bytes.
 */
function hashOf(bytes: Uint8Array, view: DataView, start: number, end: number): number {
  const n = end - start;
  let h = n;
  if (n < 4) {
    for (let i = start; i < end; i++) h = mix(h, bytes[i]);
  } else {
    const head = start + Math.min(n, HASHED_HEAD) - 4;
    for (let i = start; i <= head; i += 4) h = mix(h, view.getInt32(i, true));
    if (n > HASHED_HEAD) {
      for (let i = Math.max(head + 4, end - HASHED_TAIL); i + 4 <= end; i += 4) h = mix(h, view.getInt32(i, true));
    }
    // The last bytes whatever the length's remainder (overlapping the words above, the same for equal keys).
    h = mix(h, view.getInt32(end - 4, true));
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** One step of {@link hashOf}: the word `k` into `h`. */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** A copy of `array` at least `needed` long (doubled). */
function grown<T extends Uint8Array | Int32Array>(array: T, needed: number): T {
  let length = array.length * 2;
  while (length < needed) length *= 2;
  const out = new (array.constructor as new (n: number) => T)(length);
  out.set(array);
  return out;
}
