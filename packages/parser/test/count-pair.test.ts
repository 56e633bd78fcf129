/**
 * The `<count>: <bytes> [<count>: <bytes>]` scanner (count-pair.ts), which
 * reads every count line of jemalloc and gperftools dumps as bytes, against
 * a plain reading with a regular expression: the same pairs accepted, the
 * same numbers, the same end position — on the layouts the allocators write,
 * on blanks and tabs where the grammar allows them, and on lines that are
 * almost pairs.
 */
import { describe, expect, it } from 'vitest';
import { countPair, scanCountPair } from '../src/importers/count-pair.js';

const BLANKS = '[ \\t]*';
const INT = '(-?[0-9]+)';
const PAIR = new RegExp(`^${BLANKS}${INT}${BLANKS}:${BLANKS}${INT}${BLANKS}\\[${BLANKS}${INT}${BLANKS}:${BLANKS}${INT}${BLANKS}\\]`);

/** The pair at `from` read with the regular expression: numbers and end, or null. */
function plain(line: string, from: number): { n1: number; s1: number; n2: number; s2: number; pos: number } | null {
  const m = PAIR.exec(line.slice(from));
  if (!m) return null;
  const [n1, s1, n2, s2] = m.slice(1, 5).map(Number);
  return { n1, s1, n2, s2, pos: from + m[0].length };
}

function scanned(line: string, from: number): { n1: number; s1: number; n2: number; s2: number; pos: number } | null {
  const bytes = new TextEncoder().encode(line);
  const out = countPair();
  out.pos = from;
  return scanCountPair(bytes, bytes.length, out) ? { ...out } : null;
}

const LINES = [
  // jemalloc's t* and thread rows, gperftools' header and rows
  '  t*: 40960: 20798336 [0: 0]',
  '  t0: 504: 5206096 [1004: 10326096]',
  '  t12: 1: 4096 [1: 4096] worker thread',
  'heap profile:   64:  1048576 [   128:  2097152] @ heapprofile',
  '     1:      512 [     1:      512] @ 0x7f00 0x55aa',
  '\t3 :\t7 [ 1 : 2 ] @ 0x1',
  '-1: -512 [0: 0]',
  '-0: 0 [0: -0]',
  '9007199254740991: 9007199254740991 [9007199254740991: 9007199254740991]',
  // almost pairs
  '',
  '   ',
  '1: 2 [3: 4',
  '1: 2 [3 4]',
  '1 2 [3: 4]',
  '1: 2 3: 4]',
  ': 2 [3: 4]',
  '1: - [3: 4]',
  '1: 2 [3: -]',
  '1: 2 [3: 4)',
  '1:2[3:4]',
  'x1: 2 [3: 4]',
  '1: 2 [3: 4x]',
  '1: 2\u00a0[3: 4]',
  '１: 2 [3: 4]',
];

describe('scanCountPair', () => {
  it('reads what the regular expression reads, from the line start and from inside it', () => {
    let pairs = 0;
    for (const line of LINES) {
      for (const from of [0, 1, 4]) {
        if (from > line.length) continue;
        const expected = plain(line, from);
        // The byte scanner's positions are bytes: equal to characters on ASCII lines.
        if (/^[\x00-\x7f]*$/.test(line)) expect(scanned(line, from), `${JSON.stringify(line)} from ${from}`).toEqual(expected);
        else expect(scanned(line, from), JSON.stringify(line)).toBeNull();
        if (expected) pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(10);
  });

  it('keeps negative zero and the sign of each number', () => {
    const out = scanned('-0: 0 [0: -0]', 0);
    expect(Object.is(out?.n1, -0)).toBe(true);
    expect(Object.is(out?.s2, -0)).toBe(true);
    expect(scanned('-1: -512 [0: 0]', 0)).toMatchObject({ n1: -1, s1: -512 });
  });

  it('rejects a pair whose numbers overflow to infinities of both signs, and keeps one that overflows to one', () => {
    const huge = '9'.repeat(400);
    expect(scanned(`${huge}: -${huge} [0: 0]`, 0)).toBeNull();
    expect(scanned(`${huge}: 1 [0: 0]`, 0)).toMatchObject({ n1: Infinity, s1: 1 });
  });
});
