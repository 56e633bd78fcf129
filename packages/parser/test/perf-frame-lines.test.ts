/**
 * Frame lines of perf script text read as undecoded bytes: the one-pass
 * reader of frame lines of the usual shape above a cut (`usualFrameLines`)
 * against the general frame scanner (`isFrameLine`), on every line of the
 * real captures of fixtures/ and on mutations of them; and the reader on
 * real records damaged above a cut (errors at their line, nothing dropped),
 * cut short, in CR LF, with invalid UTF-8, and in chunks of any size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ParseError } from '@heapscope/parser';
import { FIXTURES } from '@heapscope/testkit/paths';
import { isFrameLine, usualFrameLines } from '../src/importers/perf-frame-line.js';
import { importError, importPerf, messages, type Imported } from './helpers/perf-text.js';

const CAPTURES = [
  'perf/workload.fp.perf.txt.gz',
  'perf/workload.dwarf-worker.perf.txt.gz',
  'perf/workload.sizes.perf.txt.gz',
  'cxx/perf/cxx.fp.perf.txt.gz',
  'cxx/perf/cxx.dwarf.perf.txt.gz',
  'cxx/perf/cxx.nocallchain-ip.perf.txt.gz',
  'cpu-perf/workload.cpu-clock.perf.txt.gz',
];
const textOf = (name: string) => new TextDecoder().decode(gunzipSync(new Uint8Array(readFileSync(join(FIXTURES, name)))));
const bytesOf = (text: string) => new TextEncoder().encode(text);

const count = { lines: 0 };

/** Whether `usualFrameLines` takes `line` (given with its newline) as one frame line. */
function usual(line: Uint8Array): boolean {
  const bytes = new Uint8Array(line.length + 1);
  bytes.set(line);
  bytes[line.length] = 10;
  const end = usualFrameLines(bytes, 0, bytes.length, count);
  if ((end === bytes.length) !== (count.lines === 1)) throw new Error(`went to ${end} over ${count.lines} lines`);
  return count.lines === 1;
}

const general = (line: Uint8Array) => isFrameLine(line, 0, line.length);

describe('perf frame lines: the usual shape against the general scanner', () => {
  it('takes only frame lines, on every line of the real captures, and most of their frame lines', async () => {
    let frames = 0;
    let taken = 0;
    const wrong: string[] = [];
    for (const name of CAPTURES) {
      const bytes = gunzipSync(new Uint8Array(readFileSync(join(FIXTURES, name))));
      for (let start = 0; start < bytes.length; ) {
        let end = bytes.indexOf(10, start);
        if (end < 0) end = bytes.length;
        const line = bytes.subarray(start, end);
        const isFrame = general(line);
        if (usual(line)) {
          if (!isFrame) wrong.push(`${name}: ${new TextDecoder().decode(line)}`);
          taken++;
        }
        if (isFrame) frames++;
        start = end + 1;
      }
    }
    expect(wrong).toEqual([]);
    expect(frames).toBeGreaterThan(50_000);
    // Symbols with parentheses (C++ signatures), or starting with a digit, are left to scanFrame.
    expect(taken / frames).toBeGreaterThan(0.6);
  });

  it('leaves every other shape to the general scanner, which reads it', () => {
    const cases: [string, boolean][] = [
      ['\t    555555a0fed8 [unknown] ([unknown])', true],
      ['\t           98930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)', true],
      ['98930 malloc+0x0 (/lib/libc.so.6)', true], // no indent (older perf)
      ['  abc (inlined)', true],
      ['  abc ()', true],
      ['  abc (x)', true],
      // Declined by the usual shape, decided by scanFrame.
      ['\t 4005d0 foo(int) (/opt/app)', false],
      ['\t 4005d0 (/opt/app)', true], // only a dso
      ['\t 4005d0 main (/opt/app) ', false], // trailing blank
      ['\t 4005d0 main (/opt/app)\r', false],
      ['\t 12345678901234567 main (/opt/app)', false], // 17 hex digits
      ['dd 29776 666709.771979: 10101010 cpu-clock: ', false], // a sample line whose comm is hex
      ['\t 4005d0 1234 (x)', false], // a tid after a hex comm
      ['\t 4005d0 9lives (x)', false], // a digit first: left to scanFrame (a frame)
      ['\t 4005d0 main(/opt/app)', false],
      ['\t 4005d0 main (/opt/app) (inlined)', false],
      ['\t 4005d0 main (/opt/(app)', false],
      ['\t 4005d0 main /opt/app)', false],
      ['\t 4005d0 main', false],
      ['\t 4005g0 main (/opt/app)', false],
      ['', false],
      ['\t', false],
    ];
    for (const [text, taken] of cases) {
      const line = bytesOf(text);
      expect(usual(line), text).toBe(taken);
      if (taken) expect(general(line), text).toBe(true);
    }
    // What the general scanner makes of the declined ones (it, not the usual shape, decides).
    expect(['\t 4005d0 foo(int) (/opt/app)', '\t 4005d0 (/opt/app) ', '\t 4005d0 9lives (x)', '\t 4005d0 main (/opt/app) (inlined)'].map((t) => general(bytesOf(t)))).toEqual([true, true, true, true]);
    expect(['dd 29776 666709.771979: 10101010 cpu-clock: ', '\t 4005d0 1234 (x)', '\t 12345678901234567 main (/opt/app)'].map((t) => general(bytesOf(t)))).toEqual([false, false, false]);
  });

  it('takes only frame lines among mutations of real frame lines (each byte replaced by each byte the grammar looks at)', () => {
    const lines = new Set<string>();
    for (const name of ['cxx/perf/cxx.fp.perf.txt.gz', 'perf/workload.dwarf-worker.perf.txt.gz']) {
      for (const text of textOf(name).split('\n')) if (text.startsWith('\t') && lines.size < 400) lines.add(text);
    }
    const grammar = [32, 9, 40, 41, 47, 48, 57, 97, 103, 13, 0xc3];
    let checked = 0;
    let taken = 0;
    const wrong: string[] = [];
    for (const text of lines) {
      const line = bytesOf(text);
      for (let i = 0; i < line.length; i++) {
        for (const b of grammar) {
          const mutated = line.slice();
          mutated[i] = b;
          if (usual(mutated)) {
            taken++;
            if (!general(mutated)) wrong.push(new TextDecoder().decode(mutated));
          }
          checked++;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(40_000);
    expect(taken).toBeGreaterThan(checked / 4);
  });

  it('goes over lines up to the first other one, never past its limit', () => {
    const lines = ['\t    555555a0fed8 [unknown] ([unknown])', '\t               0 [unknown] ([unknown])', '\t 4005d0 foo(int) (/opt/app)', '\t    555555a0fed8 [unknown] ([unknown])', ''];
    const bytes = bytesOf(lines.join('\n'));
    const count = { lines: 0 };
    const third = lines[0].length + lines[1].length + 2;
    expect(usualFrameLines(bytes, 0, bytes.length, count)).toBe(third);
    expect(count.lines).toBe(2);
    // A line whose newline is not before the limit (the end of a batch) is not taken.
    expect(usualFrameLines(bytes, 0, lines[0].length, count)).toBe(0);
    expect(count.lines).toBe(0);
    expect(usualFrameLines(bytes, 0, lines[0].length + 1, count)).toBe(lines[0].length + 1);
    expect(count.lines).toBe(1);
    // From the middle: the line after the first.
    expect(usualFrameLines(bytes, lines[0].length + 1, bytes.length, count)).toBe(third);
    expect(count.lines).toBe(1);
  });
});

/** A real record of the cppcheck frame-pointer capture's shape: two frames, then broken unwinding. */
const LIBSTDCXX = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30';
function record(t: number, garbage: number, ptr: number): string[] {
  const lines = [
    `cppcheck  4421 [000]  9046.${String(897000 + 2 * t + 1).padStart(6, '0')}:  probe_libc:malloc__return: (7ffff7ab6930 <- 7ffff7ca958c) ptr=0x${ptr.toString(16)}`,
    `\t           a958c operator new+0x1c (${LIBSTDCXX})`,
    '\t          405540 simplecpp::load+0x9c0 (/usr/bin/cppcheck)',
  ];
  for (let k = 0; k < garbage; k++) lines.push(`\t    ${(0x555555a0fed8 + 0x50 * (k % 7)).toString(16)} [unknown] ([unknown])`);
  lines.push('');
  return lines;
}

/** Entry and return records of `n` allocations, each with `garbage` frames above a cut. */
function capture(n: number, garbage: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`cppcheck  4421 [000]  9046.${String(897000 + 2 * i).padStart(6, '0')}:          probe_libc:malloc: (7ffff7ab6930) size=${16 + i}`);
    lines.push('\t           98930 malloc+0x0 (/usr/lib/x86_64-linux-gnu/libc.so.6)', '\t               0 [unknown] ([unknown])', '');
    lines.push(...record(i, garbage, 0x555555a22000 + 0x100 * i));
  }
  return lines;
}

/** What an import gives, for comparing two. */
const summary = (r: Imported) => ({ events: r.events, warnings: r.profile.meta.warnings, stacks: r.profile.stacks.length, locations: r.profile.locations.length });

describe('perf frame lines: the reader above a cut', () => {
  it('counts every frame above the cut, in chunks of any size, with LF or CR LF', async () => {
    const text = capture(12, 120).join('\n');
    const plain = await importPerf(text);
    expect(plain.events).toHaveLength(12);
    expect(plain.events.every((e) => e[4] === 'operator new < simplecpp::load')).toBe(true);
    // Each return record's 120 frames from its cut on, and each entry record's one.
    expect(messages(plain.warnings)).toEqual([expect.stringMatching(/^1452 stack frames outside every executable mapping .* cut from 24 stacks/)]);
    for (const chunkBytes of [1, 7, 64, 4096]) expect(summary(await importPerf(text, { chunkBytes })), `${chunkBytes}`).toEqual(summary(plain));
    const crlf = await importPerf(text.replaceAll('\n', '\r\n'), { chunkBytes: 61 });
    expect(summary(crlf)).toEqual(summary(plain));
    // Kept, the same lines become locations: the counts agree.
    const kept = await importPerf(text, { keepBadFrames: true });
    expect(kept.events.map((e) => (e[4] as string).split(' < ').length)).toEqual(new Array(12).fill(122));
  });

  it('stops at a line above the cut that is not a frame: an error at its line, or one record skipped when lenient', async () => {
    const lines = capture(6, 40);
    // Damage a frame line of the fourth return record, 30 lines above its cut.
    const at = lines.findIndex((l, i) => i > 0 && l.startsWith('cppcheck') && l.includes('__return') && lines.slice(0, i).filter((x) => x.includes('__return')).length === 3) + 3 + 30;
    expect(lines[at]).toMatch(/\[unknown\] \(\[unknown\]\)$/);
    lines[at] = '\t    555555a0fed8 [unknown] ([unknown]) trailing words';
    const text = lines.join('\n');
    for (const chunkBytes of [undefined, 5, 333]) {
      const error = await importError(text, { chunkBytes });
      expect([error.file, error.line]).toEqual(['records.txt', at + 1]);
      expect(error.reason).toContain('expected a callchain frame');
    }
    const lenient = await importPerf(text, { lenient: true });
    // The damaged record is dropped whole, said once at its line; its entry record still counts its allocation; the others are kept.
    expect(lenient.events.map((e) => [e[0], e[0] === 'alloc' ? e[2] : e[1]])).toEqual([
      ['alloc', 16],
      ['alloc', 17],
      ['alloc', 18],
      ['untracked', 19],
      ['alloc', 20],
      ['alloc', 21],
    ]);
    expect(messages(lenient.warnings)).toContainEqual(expect.stringContaining('entry records without their return record'));
    expect(lenient.warnings.find((w) => w.message.startsWith('skipped malformed record'))?.locations).toEqual([{ file: 'records.txt', line: at + 1 }]);
  });

  it('takes a sample line right after the frames above a cut as the next record, and counts source lines among them', async () => {
    const lines = capture(3, 20);
    // No blank line after the second return record's frames.
    const blank = lines.findIndex((l, i) => l === '' && lines.slice(0, i).filter((x) => x.includes('__return')).length === 2);
    lines.splice(blank, 1);
    const glued = await importPerf(lines.join('\n'));
    expect(glued.events).toHaveLength(3);
    // A `-F +srcline` line under a frame above the cut.
    const withSrcline = capture(3, 20);
    withSrcline.splice(10, 0, '  ??:0');
    const srcline = await importPerf(withSrcline.join('\n'));
    expect(srcline.events).toEqual((await importPerf(capture(3, 20).join('\n'))).events);
    expect(messages(srcline.warnings)).toContainEqual(expect.stringContaining('source lines (perf script -F +srcline, +srccode) are not used'));
  });

  it('keeps a record cut short among its frames above the cut, and says where the input ends', async () => {
    const lines = capture(4, 50);
    const text = lines.join('\n');
    const whole = await importPerf(text);
    // Cut in the middle of the last record's 30th frame above its cut.
    const end = text.lastIndexOf('[unknown] ([unknown])', text.length - 21 * 41);
    const cut = await importPerf(text.slice(0, end + 5));
    expect(cut.events).toEqual(whole.events);
    const lineNo = text.slice(0, end).split('\n').length;
    expect(cut.warnings[0].message).toContain('the input ends in the middle of a line');
    expect(cut.warnings[0].locations).toEqual([{ file: 'records.txt', line: lineNo }]);
  });

  it('reports invalid UTF-8 above a cut at its line, or replaces it when lenient; a byte order mark changes nothing', async () => {
    const lines = capture(3, 30);
    const text = lines.join('\n');
    const bytes = bytesOf(text);
    // A frame above the second return record's cut (its 10th frame), one byte of its symbol made invalid.
    const at = lines.indexOf(lines.filter((l) => l.includes('__return'))[1]) + 1 + 3 + 10;
    expect(lines[at - 1]).toMatch(/\[unknown\] \(\[unknown\]\)$/);
    const offset = lines.slice(0, at - 1).join('\n').length + 1 + lines[at - 1].indexOf('unknown') + 2;
    const bad = bytes.slice();
    bad[offset] = 0xff;
    for (const chunkBytes of [undefined, 9]) {
      const failed = await importPerf(bad, { chunkBytes }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(ParseError);
      expect([(failed as ParseError).line, (failed as ParseError).reason]).toEqual([at, 'invalid UTF-8']);
    }
    const lenient = await importPerf(bad, { lenient: true });
    expect(lenient.events).toEqual((await importPerf(text)).events);
    expect(lenient.warnings.find((w) => w.message.startsWith('invalid UTF-8'))?.locations).toEqual([{ file: 'records.txt', line: at }]);
    const bom = new Uint8Array(bytes.length + 3);
    bom.set([0xef, 0xbb, 0xbf]);
    bom.set(bytes, 3);
    expect(summary(await importPerf(bom))).toEqual(summary(await importPerf(bytes)));
  });
});

/** Everything an import gives that output is made of: events with their stacks (and modules), samples, warnings, counts. */
const whole = (r: Imported) => ({ ...summary(r), samples: r.samples, facts: r.facts, functions: r.profile.functions.name.length });

describe('perf frame lines: the lines that repeat the ones after the last frame (BytesMap nextLine)', () => {
  // In 1-byte chunks every batch holds one line: no line is read as the one after the last, each goes through the general path.
  for (const name of ['cxx/perf/cxx.dwarf.perf.txt.gz', 'perf/workload.dwarf-worker.perf.txt.gz', 'cxx/perf/cxx.fp.perf.txt.gz']) {
    it(`reads the records of ${name} (its first 5,000 lines) as the general path does`, async () => {
      const text = textOf(name).split('\n').slice(0, 5000).join('\n');
      const followed = await importPerf(text, { modules: true });
      expect(followed.events.length + followed.samples.length).toBeGreaterThan(200);
      expect(whole(followed)).toEqual(whole(await importPerf(text, { chunkBytes: 1, modules: true })));
    });
  }

  it('takes only the line it guessed, whole: callchains that part from the last one at any frame, by one byte or in length', async () => {
    const lines = textOf('cxx/perf/cxx.dwarf.perf.txt.gz').split('\n').slice(0, 5000);
    // In every third record, change one frame line: its offset's last digit, a blank more, its dso's last byte, or a byte more there.
    let record = 0;
    let changed = 0;
    for (let i = 1; i < lines.length; i++) {
      if (!lines[i].startsWith('\t') || lines[i - 1].startsWith('\t')) continue;
      if (record++ % 3 !== 0) continue;
      let j = i;
      while (j + 1 < lines.length && lines[j + 1].startsWith('\t')) j++;
      const at = i + (record % (j - i + 1));
      const line = lines[at];
      const variant = record % 9;
      if (variant < 3) lines[at] = line.replace(/\+0x([0-9a-f]*)[0-9a-f] \(/, (_, h) => `+0x${h}${variant} (`);
      else if (variant < 5) lines[at] = `\t ${line.slice(1)}`;
      else if (variant < 7) lines[at] = line.replace(/.\)$/, (m) => `${m[0] === 'q' ? 'r' : 'q'})`); // the same length
      else lines[at] = line.replace(/ \(([^()]*)\)$/, ' ($1x)');
      if (lines[at] !== line) changed++;
    }
    expect(changed).toBeGreaterThan(100);
    const text = lines.join('\n');
    const followed = await importPerf(text, { modules: true });
    expect(whole(followed)).toEqual(whole(await importPerf(text, { chunkBytes: 1, modules: true })));
    // The changed frames are other locations: stacks that the unchanged capture does not have.
    const plain = await importPerf(textOf('cxx/perf/cxx.dwarf.perf.txt.gz').split('\n').slice(0, 5000).join('\n'), { modules: true });
    expect(followed.profile.locations.length).toBeGreaterThan(plain.profile.locations.length);
  });
});
