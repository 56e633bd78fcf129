/**
 * The perf importer reads a sample line with two scanners of one grammar
 * (perf-sample-line.ts): a fast one for the usual shape, which may decline a
 * line, and the general one, token by token. Whatever the fast one
 * accepts, the general one must read the same — comm, pid, tid, time,
 * period, event, payload — on every line of the real perf files (the
 * fixtures and, when present, the shared corpus) and on lines written to
 * reach the grammar's corners.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SAMPLE_HEAD_SCANNERS, type SampleHead } from '../src/importers/perf-sample-line.js';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote, displayName, findFiles } from '@heapscope/testkit/paths';

corpusSkipNote();

const fresh = (): SampleHead => ({ commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: 0, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 });

/** What a head says, as text: the fields, not the offsets, so a failure reads. */
function reading(line: string, h: SampleHead) {
  return {
    comm: line.slice(h.commStart, h.commEnd),
    pid: h.pid,
    tid: h.tid,
    timeNs: h.timeNs,
    period: h.period,
    event: line.slice(h.eventStart, h.eventEnd),
    payload: line.slice(h.payloadStart),
  };
}

/** Runs both scanners on every line; fails on the first lines they read differently; returns how many each accepted. */
function compare(lines: readonly string[], where: string): { fast: number; tokens: number } {
  let fast = 0;
  let tokens = 0;
  const differ: string[] = [];
  for (const line of lines) {
    const a = fresh();
    const b = fresh();
    const fastOk = SAMPLE_HEAD_SCANNERS.fast(line, a);
    const tokensOk = SAMPLE_HEAD_SCANNERS.tokens(line, b);
    if (tokensOk) tokens++;
    if (!fastOk) continue;
    fast++;
    const mine = JSON.stringify(reading(line, a));
    const theirs = tokensOk ? JSON.stringify(reading(line, b)) : 'not a sample line';
    if (mine !== theirs && differ.length < 5) differ.push(`${JSON.stringify(line)}\n  fast:    ${mine}\n  general: ${theirs}`);
  }
  expect(differ, `${where}: lines the two scanners read differently`).toEqual([]);
  return { fast, tokens };
}

function linesOf(path: string): string[] {
  const bytes = readFileSync(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  return text.split('\n');
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
  '\t  7ffff7e6b930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
  '7ffff7e6b930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)',
  '',
  '# event : name = probe_libc:malloc',
];

describe('perf script: the fast and the general sample-line scanners agree', () => {
  it('on lines written to reach the grammar\'s corners', () => {
    const { fast } = compare(CORNERS, 'corners');
    // The fast scanner takes most of them (the rest it declines, and the general one decides).
    expect(fast).toBeGreaterThanOrEqual(10);
  });

  const fixtures = findFiles(join(FIXTURES, 'perf'), /\.perf\.txt\.gz$/);
  it('has perf fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(3));
  for (const path of fixtures) {
    it(`on every line of ${displayName(path)}, and the fast one reads nearly all its sample lines`, () => {
      const { fast, tokens } = compare(linesOf(path), displayName(path));
      expect(tokens).toBeGreaterThan(100);
      expect(fast / tokens).toBeGreaterThan(0.99);
    });
  }

  it.skipIf(!HAVE_CORPUS)('on every line of the shared corpus\'s perf script files', () => {
    const files = findFiles(join(CORPUS, 'perf-script'), /./);
    expect(files.length).toBeGreaterThan(5);
    let fast = 0;
    for (const path of files) fast += compare(linesOf(path), displayName(path)).fast;
    expect(fast).toBeGreaterThan(1000);
  });
});
