/**
 * The map from byte strings to ints that the perf reader looks frame lines
 * up in (model/bytes-map.ts): against a Map of strings on keys that share
 * what the hash reads (their first 32 and last 8 bytes, their length) and
 * differ only in their middle, short keys, keys at any offset of any array,
 * repeated sequences (the guess of the entry after the last one, and the
 * line after the last one read without its end) broken at any point, growth
 * and clearing.
 */
import { describe, expect, it } from 'vitest';
import { BytesMap, MISSING } from '../src/model/bytes-map.js';

/** A deterministic pseudo-random generator (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `key` placed at `offset` of a new array, between bytes that would read as more of it. */
function placed(key: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(offset + key.length + 9).fill(key.length > 0 ? key[0] : 7);
  out.set(key, offset);
  return out;
}

const str = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');

describe('BytesMap', () => {
  it('keeps apart keys that differ only where the hash does not look, and finds each at any offset', () => {
    const rnd = random(42);
    const keys: Uint8Array[] = [];
    // Long keys of one base per length, a byte changed anywhere: in the middle, where the hash does not look, they share their slots.
    for (const length of [41, 43, 45, 46, 64, 203]) {
      const base = Uint8Array.from({ length }, () => 32 + Math.floor(rnd() * 90));
      for (let at = 0; at < length; at++) {
        for (const b of [0, 255]) {
          const key = base.slice();
          key[at] = b;
          keys.push(key);
        }
      }
    }
    // Short keys, the empty one among them, and keys that are prefixes of others.
    for (let length = 0; length <= 40; length++) keys.push(Uint8Array.from({ length }, (_, i) => (i * 7) & 255));
    const map = new BytesMap();
    const reference = new Map<string, number>();
    keys.forEach((key, i) => {
      const k = str(key);
      if (reference.has(k)) return;
      const offset = i % 5;
      expect(map.get(placed(key, offset), offset, offset + key.length)).toBe(MISSING);
      map.add(placed(key, offset), offset, offset + key.length, i);
      reference.set(k, i);
    });
    expect(map.size).toBe(reference.size);
    expect(map.size).toBeGreaterThan(100);
    for (let round = 0; round < 2; round++) {
      keys.forEach((key, i) => {
        const offset = (i * 3 + round) % 11;
        expect(map.get(placed(key, offset), offset, offset + key.length)).toBe(reference.get(str(key)));
      });
    }
    // A key one byte longer or shorter than a stored one is not it.
    const long = keys[0];
    expect(map.get(long, 0, long.length - 1)).toBe(reference.get(str(long.subarray(0, long.length - 1))) ?? MISSING);
  });

  it('gives the same values as a Map of strings over repeated sequences broken at random, past growth and clearing', () => {
    const rnd = random(7);
    // Frame-line-like keys: a few hundred, some sharing their ends.
    const pool = Array.from({ length: 3000 }, (_, i) => {
      const text = `\t${' '.repeat(8 + (i % 5))}${(0x1000 + (i % 97) * 16).toString(16)} sym${i % 13}<${'x'.repeat(i % 50)}${i}> (/usr/lib/lib${i % 7}.so)`;
      return new TextEncoder().encode(text);
    });
    const sequences = Array.from({ length: 200 }, () => Array.from({ length: 2 + Math.floor(rnd() * 30) }, () => Math.floor(rnd() * pool.length)));
    const map = new BytesMap();
    let reference = new Map<string, number>();
    let lookups = 0;
    let guessed = 0;
    for (let step = 0; step < 8_000; step++) {
      const seq = sequences[Math.floor(rnd() * sequences.length)].slice();
      // Sometimes a frame differs from the last time this sequence was seen: the guess is wrong there.
      if (rnd() < 0.3) seq[Math.floor(rnd() * seq.length)] = Math.floor(rnd() * pool.length);
      // The sequence as lines of one batch (a byte before the first, no newline after the last), read as the perf reader reads them.
      const batch = new TextEncoder().encode(`x${seq.map((k) => new TextDecoder().decode(pool[k])).join('\n')}`);
      let from = 1;
      for (let n = 0; n < seq.length; n++) {
        const key = pool[seq[n]];
        const want = reference.get(str(key)) ?? MISSING;
        const end = from + key.length;
        // The line after the last one, when it is the one that followed it before: found without its end.
        const next = map.nextLine(batch, from, batch.length);
        if (next !== MISSING) {
          if (next !== want || map.lineEnd !== end) throw new Error(`step ${step}: line ${n} read as ${next} to ${map.lineEnd}, want ${want} to ${end}`);
          guessed++;
        } else {
          const got = map.get(batch, from, end);
          if (got !== want) throw new Error(`step ${step}: key ${seq[n]} gave ${got}, want ${want}`);
          if (got === MISSING) {
            map.add(batch, from, end, seq[n] * 3);
            reference.set(str(key), seq[n] * 3);
          }
        }
        lookups++;
        from = end + 1;
      }
      if (step === 5_000) {
        map.clear();
        reference = new Map();
        expect(map.size).toBe(0);
      }
    }
    expect(lookups).toBeGreaterThan(80_000);
    // Most lines were the ones after the last; many were not (the sequences change).
    expect(guessed).toBeGreaterThan(lookups / 3);
    expect(lookups - guessed).toBeGreaterThan(lookups / 20);
    expect(map.size).toBe(reference.size);
    expect(map.size).toBeGreaterThan(1000); // past the first slot table and key buffer
  });
});
