/**
 * The perf importer reads a sample line from its undecoded bytes
 * (perf-sample-line.ts, perf-payload.ts): a byte scanner for the usual
 * shape of its head and one for its payload, each of which may decline a
 * line, and the general scanners over the decoded line. Whatever a byte
 * scanner accepts, the string scanner must read the same — comm, pid, tid,
 * time, period, event, payload; the payload's own address, arguments (name,
 * kind, value) and trailing frame — on every line of the real perf files
 * (the fixtures and, when present, the shared corpus), on lines written to
 * reach the grammar's corners, and on byte mutations of real sample lines.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SAMPLE_HEAD_SCANNERS, scanSampleLine, type SampleHead } from '../src/importers/perf-sample-line.js';
import { PayloadArgs } from '../src/importers/perf-payload.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote, displayName, findFiles } from '@heapscope/testkit/paths';

corpusSkipNote();

const fresh = (): SampleHead => ({ commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: 0, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 });
const utf8 = new TextDecoder();
const encode = (text: string) => new TextEncoder().encode(text);

/** What a head says, as text (`at(from, to)` gives a range of the line): the fields, not the offsets, so a failure reads. */
function reading(h: SampleHead, at: (from: number, to?: number) => string) {
  return { comm: at(h.commStart, h.commEnd), pid: h.pid, tid: h.tid, timeNs: h.timeNs, period: h.period, event: at(h.eventStart, h.eventEnd), payload: at(h.payloadStart) };
}

/** What scanned arguments say, as text (`at` as for {@link reading}). */
function argsReading(ok: boolean, args: PayloadArgs, at: (from: number, to?: number) => string) {
  if (!ok) return 'not a payload';
  const list = [];
  for (let a = 0; a < args.count; a++) {
    list.push({ name: at(args.nameStart[a], args.nameEnd[a]), kind: args.kind[a], value: args.kind[a] === 0 ? null : [args.hi[a], args.lo[a]] });
  }
  return { ip: args.hasIp ? [args.ipHi, args.ipLo] : null, args: list, rest: args.rest >= 0 ? at(args.rest) : null };
}

interface Tally {
  /** Lines the general head scanner takes. */
  heads: number;
  /** Of those, the lines the byte head scanner takes. */
  byteHeads: number;
  /** Payloads the general scanner takes (of heads it takes), and of those the ones the byte scanner takes. */
  payloads: number;
  bytePayloads: number;
}

/** What a batch holds around the line under test: the end of a line before it, the start of one after it. */
const BEFORE = encode('w 1/2 [3] 4.5: ev: (7f <- 8f) a=1\n');
const AFTER = encode('=2 <- 9f) 77 [0]: 1.5: x:\n');

const bytesArgs = new PayloadArgs();
const textArgs = new PayloadArgs();

/**
 * Runs the byte scanners and the string scanners on the line `bytes`
 * (valid UTF-8): returns how they differ ('' when they agree), and counts
 * into `tally`. The byte scanners run as the reader runs them
 * (`scanSampleLine`, `PayloadArgs.scanLine`: the byte scanner, else the
 * general one on the decoded line), and on their own.
 */
function agree(line: Uint8Array, tally: Tally): string {
  // The line inside a batch, between bytes that would read as more of it: offsets are the batch's, and nothing past the line is read.
  const bytes = new Uint8Array(BEFORE.length + line.length + AFTER.length);
  bytes.set(BEFORE);
  bytes.set(line, BEFORE.length);
  bytes.set(AFTER, BEFORE.length + line.length);
  const start = BEFORE.length;
  const end = start + line.length;
  const text = utf8.decode(line);
  const ofLine = (from: number, to?: number) => text.slice(from, to);
  const ofBytes = (from: number, to = end) => utf8.decode(bytes.subarray(from, to));
  const b = fresh();
  const general = SAMPLE_HEAD_SCANNERS.tokens(text, b);
  const theirs = general ? JSON.stringify(reading(b, ofLine)) : 'not a sample line';
  const a = fresh();
  const byBytes = SAMPLE_HEAD_SCANNERS.bytes(bytes, start, end, a);
  if (byBytes && JSON.stringify(reading(a, ofBytes)) !== theirs) return `head, bytes: ${JSON.stringify(reading(a, ofBytes))}\n  general: ${theirs}`;
  const r = fresh();
  const read = scanSampleLine(bytes, start, end, r, (from, to) => ofBytes(from, to));
  const mine = read ? JSON.stringify(reading(r, ofBytes)) : 'not a sample line';
  if (mine !== theirs) return `head, as read: ${mine}\n  general: ${theirs}`;
  if (!general) return '';
  tally.heads++;
  if (byBytes) tally.byteHeads++;
  const textOk = textArgs.scan(text, b.payloadStart);
  const expected = JSON.stringify(argsReading(textOk, textArgs, ofLine));
  if (textOk) tally.payloads++;
  const bytesOk = bytesArgs.scanBytes(bytes, r.payloadStart, end);
  if (bytesOk) {
    if (textOk) tally.bytePayloads++;
    const got = JSON.stringify(argsReading(true, bytesArgs, ofBytes));
    if (got !== expected) return `payload, bytes: ${got}\n  general: ${expected}`;
  }
  const readOk = bytesArgs.scanLine(bytes, r.payloadStart, end, (from, to) => ofBytes(from, to));
  const got = JSON.stringify(argsReading(readOk, bytesArgs, ofBytes));
  if (got !== expected) return `payload, as read: ${got}\n  general: ${expected}`;
  return '';
}

/** Checks every line; fails on the first lines the scanners read differently; returns the tally. */
function compare(lines: readonly Uint8Array[], where: string): Tally {
  const tally: Tally = { heads: 0, byteHeads: 0, payloads: 0, bytePayloads: 0 };
  const differ: string[] = [];
  for (const bytes of lines) {
    const why = agree(bytes, tally);
    if (why !== '' && differ.length < 5) differ.push(`${JSON.stringify(utf8.decode(bytes))}\n  ${why}`);
  }
  expect(differ, `${where}: lines the byte and string scanners read differently`).toEqual([]);
  return tally;
}

/** The lines of a (gzipped) text file, as bytes (CR LF lines without their CR, as the line cursor gives them). */
function linesOf(path: string): Uint8Array[] {
  const raw = readFileSync(path);
  const bytes = new Uint8Array(raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw);
  const lines: Uint8Array[] = [];
  for (let start = 0; start <= bytes.length; ) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    lines.push(bytes.subarray(start, end > start && bytes[end - 1] === 13 ? end - 1 : end));
    start = end + 1;
  }
  return lines;
}

/** Sample lines in the shapes the grammar allows (perf versions, simpleperf, hand-made corners). */
const CORNERS = [
  'workload  6791 [000]  8840.266231:          probe_libc:malloc: (7ffff7e6b930) size=59',
  'workload  6791 [000]  8840.266266:  probe_libc:malloc__return: (7ffff7e6b930 <- 7ffff7fcd382) ptr=0x5555555592a0',
  'hs worker  6167 [000]  4335.993590:          probe_libc:malloc: (7ffff7e6c930) size=8225',
  'FS Broker 5906  7564/7598 [001] 12345.678901:     250000 cycles:ppp: ',
  'swapper     0 [000] 1.000000:     250000 cpu-clock: ffffffff8100 native_safe_halt+0x6 ([kernel.kallsyms])',
  'perf 123/456 [003] 10.123456789: probe:malloc: (7f00) size=3',
  'perf 123/456 10.1234567: 1 task-clock:ppp:',
  'python3.11 99 [000] 5.000001: 1 cycles:',
  'python3.11 99 5.000001: cycles:',
  '  java 12 [2] 7.5: 3 9event:',
  'app\t4242\t[3]\t115540.9540:\t1\tcpu-cycles:\t',
  'app\t4242\t115540.954012345678:\t1\tcpu-cycles:',
  'kworker/0:1 123 [000] 1.000000: cycles:',
  'a b c 1/2 [000] 3.000000: 4 ev: x: y',
  'comm 123 cycles:',
  'comm 1/2 [7] 9 cycles: payload',
  'Wörker ünd 77 [000] 8840.266231: probe_libc:malloc: (7ffff7e6b930) size=59 näme=0x1f',
  'w 77 [000] 8840.266231: probe_libc:free: (7ffff7e6b930) ptr=0x5555555592a0 name="a b\\" c" v={1, 2} n=-12 big=123456789012345678 x=1e3 (fault)',
  'w 77 [000] 8840.266231: probe_libc:free: (7ffff7e6b930 <- 7f <- 8f) ptr=18446744073709551615 huge=18446744073709551616 =3 a= b',
  'w 77 [000] 8840.266231: probe_libc:free: (7ffff7e6b930',
  'w 77 [000] 8840.266231: probe_libc:free: name="unclosed',
  'w 77 [000] 8840.266231: probe_libc:malloc: (7ffff7e6b930) size=0x 0x10=1 7ffff7e6b930 malloc+0x0 (/usr/lib/libc.so.6)',
  '\t  7ffff7e6b930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
  '7ffff7e6b930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
  '',
  '# event : name = probe_libc:malloc',
];

describe('perf script: the byte and the string scanners of sample lines agree', () => {
  it("on lines written to reach the grammar's corners", () => {
    const { byteHeads, bytePayloads, payloads } = compare(CORNERS.map(encode), 'corners');
    // The byte scanners take most of them (the rest they decline, and the general ones decide).
    expect(byteHeads).toBeGreaterThanOrEqual(14);
    expect(bytePayloads).toBeGreaterThanOrEqual(12);
    expect(payloads - bytePayloads).toBeGreaterThanOrEqual(2);
  });

  const fixtures = findFiles(FIXTURES, /\.perf\.txt\.gz$/);
  // Printings whose sample lines have fields between tid and time (-F +tod, +misc): the byte scanner declines them all, by design.
  const generalOnly = /\.(fields-tod|fields-pid-period-misc)\.perf\.txt\.gz$/;
  it('has perf fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(7));
  for (const path of fixtures) {
    it(`on every line of ${displayName(path)}, and the byte scanners read nearly all its sample lines`, () => {
      const { heads, byteHeads, payloads, bytePayloads } = compare(linesOf(path), displayName(path));
      // -F without comm, tid and time: no line is a sample line (the importer refuses the file, saying so).
      if (path.endsWith('.fields-event-first.perf.txt.gz')) return expect(heads).toBe(0);
      expect(heads).toBeGreaterThan(100);
      if (generalOnly.test(path)) expect(byteHeads).toBe(0);
      else expect(byteHeads / heads).toBeGreaterThan(0.99);
      expect(bytePayloads / payloads).toBeGreaterThan(0.99);
    });
  }

  it.skipIf(!HAVE_CORPUS)("on every line of the shared corpus's perf script files", () => {
    const files = findFiles(join(CORPUS, 'perf-script'), /./);
    expect(files.length).toBeGreaterThan(5);
    let byteHeads = 0;
    for (const path of files) byteHeads += compare(linesOf(path), displayName(path)).byteHeads;
    expect(byteHeads).toBeGreaterThan(1000);
  });

  it('on mutations of real sample lines (each byte replaced by each byte the grammar looks at or by a two-byte character, or quoted or braced from there on)', () => {
    const samples = new Map<string, Uint8Array>();
    for (const name of ['perf/workload.dwarf-worker.perf.txt.gz', 'cxx/perf/cxx.nocallchain-ip.perf.txt.gz', 'cpu-perf/workload.cpu-clock.perf.txt.gz']) {
      let taken = 0;
      for (const line of linesOf(join(FIXTURES, name))) {
        const text = utf8.decode(line);
        if (taken < 40 && text !== '' && !/^\s/.test(text) && !samples.has(text)) {
          samples.set(text, line);
          taken++;
        }
      }
    }
    const grammar = [32, 9, 58, 46, 47, 91, 93, 40, 41, 60, 45, 61, 34, 123, 48, 57, 120, 97];
    const mutations: Uint8Array[] = [];
    for (const line of samples.values()) {
      for (let i = 0; i < line.length; i++) {
        for (const b of grammar) {
          const mutated = line.slice();
          mutated[i] = b;
          mutations.push(mutated);
        }
        // A two-byte character in place of the byte: offsets in bytes and in UTF-16 units part.
        mutations.push(Uint8Array.from([...line.subarray(0, i), 0xc3, 0xa9, ...line.subarray(i + 1)]));
        // A quoted or braced value from here to the line's end (the payloads the byte scanner leaves to the general one).
        mutations.push(Uint8Array.from([...line.subarray(0, i), 34, ...line.subarray(i), 34]));
        mutations.push(Uint8Array.from([...line.subarray(0, i), 123, ...line.subarray(i), 125]));
      }
    }
    const tally = compare(mutations, 'mutations');
    expect(mutations.length).toBeGreaterThan(50_000);
    // Most mutations leave a sample line, and the byte scanners take most of those: both sides are exercised.
    expect(tally.byteHeads).toBeGreaterThan(tally.heads / 2);
    expect(tally.heads - tally.byteHeads).toBeGreaterThan(1000);
    expect(tally.bytePayloads).toBeGreaterThan(tally.payloads / 2);
    expect(tally.payloads - tally.bytePayloads).toBeGreaterThan(50);
  });
});
