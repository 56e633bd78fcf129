/**
 * Damaged and hostile inputs, for every line importer, on small real inputs
 * cut here from the project's fixtures (and the hand-written samples of the
 * formats without a real file):
 *
 * - cut at every byte: the result is an error, or carries a warning the
 *   whole input does not have, or has the whole input's numbers — never a
 *   clean result with other numbers;
 * - a digit changed inside a zip member: an error naming the member;
 * - values that would unsample or sum to Infinity or NaN: an error at their
 *   line;
 * - bombs per container (plain, gzip, zstd, zip): a run of millions of
 *   blank lines costs no per-line work, and millions of equal records take
 *   the memory of one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync, strFromU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ParseError, openBytes, type AllocatorStats } from '@heapscope/parser';
import { readOpened, type LoadedInput } from '@heapscope/analyzer';
import { ANDROID_HEAP_DUMP_V12, MEMRAY_CSV, RECORD_ALLOCS_TIMED } from '@heapscope/testkit/hand-written';
import { unzstdFile, zstdSync } from '@heapscope/testkit/inputs';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';

const enc = (s: string) => new TextEncoder().encode(s);
const fixtureText = (path: string) =>
  path.endsWith('.gz') ? strFromU8(gunzipSync(readFileSync(path))) : path.endsWith('.zst') ? unzstdFile(path).toString('utf8') : readFileSync(path, 'utf8');
const one = (dir: string, pattern: RegExp) => findFiles(join(FIXTURES, dir), pattern)[0];

/** The lines of `text` from the first matching `from` up to (and with) the first matching `to` after it. */
function between(text: string, from: RegExp, to: RegExp): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => from.test(l));
  const end = lines.findIndex((l, i) => i > start && to.test(l));
  return `${lines.slice(start, end + 1).join('\n')}\n`;
}

/**
 * The executable lines of a dump's map section, with its title: frames
 * outside every executable mapping are cut (bad-frames.ts), so the whole
 * small input keeps its stacks only with these, and a map section cut short
 * shows in the count of frames cut.
 */
function executableMaps(lines: string[]): string[] {
  const maps = lines.indexOf('MAPPED_LIBRARIES:');
  return [lines[maps], ...lines.slice(maps + 1).filter((l) => / r-xp /.test(l))];
}

/** jemalloc: the header, the first two stacks and the executable map lines of a real dump. */
function smallJemalloc(): string {
  const lines = fixtureText(one('jemalloc/all', /\.f\.heap$/)).split('\n');
  const stacks = lines.map((l, i) => (l.startsWith('@') ? i : -1)).filter((i) => i >= 0);
  return [...lines.slice(0, stacks[2]), '', ...executableMaps(lines), ''].join('\n');
}

/** gperftools: every row of a real dump (its header adds them up) and the executable map lines. */
function smallGperftools(): string {
  const lines = fixtureText(one('gperftools', /0005\.heap$/)).split('\n');
  return [...lines.slice(0, lines.indexOf('MAPPED_LIBRARIES:')), ...executableMaps(lines), ''].join('\n');
}

/** perf script: the first four records of a real capture (return probes, frames). */
function smallPerf(): string {
  const records = fixtureText(join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz')).split('\n\n');
  return `${records.slice(0, 4).join('\n\n')}\n\n`;
}

/**
 * heaptrack: the start of the interpreted fixture recording (its header,
 * strings, instruction pointers, stack nodes and the first allocations and
 * frees), then its last timestamp and RSS lines.
 */
function smallHeaptrack(): string {
  const lines = fixtureText(one('heaptrack', /^heaptrack\.workload\.\d+\.zst$/)).split('\n');
  const last = lines.findLastIndex((l) => l.startsWith('c '));
  return [...lines.slice(0, lines.indexOf('+ 3') + 1), ...lines.slice(last, last + 2), ''].join('\n');
}

/** The small real (or, for the Android formats and memray, hand-written) input of each line importer. */
const SMALL: Record<string, () => string> = {
  jemalloc: smallJemalloc,
  gperftools: smallGperftools,
  'perf-script': smallPerf,
  'android-record-allocs': () => RECORD_ALLOCS_TIMED,
  'android-heap-dump': () => ANDROID_HEAP_DUMP_V12,
  heaptrack: smallHeaptrack,
  memray: () => MEMRAY_CSV,
  'jemalloc-stats': () => {
    const dump = fixtureText(join(FIXTURES, 'stats', 'jemalloc', 'exit', 'jemalloc-stats.txt.gz')).split('\n');
    const keep = (re: RegExp) => dump.find((l) => re.test(l))!;
    return [keep(/^___ Begin/), keep(/^Version:/), keep(/^Allocated: /), keep(/^--- End/), ''].join('\n');
  },
  'jemalloc-stats-json': () => {
    // One document, as 5.3 writes it: one line, no final newline.
    const whole = JSON.parse(fixtureText(join(FIXTURES, 'stats', 'jemalloc', 'exit', 'jemalloc-stats.json.gz')));
    const { version, stats } = whole.jemalloc;
    const scalars = Object.fromEntries(Object.entries(stats).filter(([, v]) => typeof v === 'number'));
    return JSON.stringify({ jemalloc: { version, stats: scalars } });
  },
  'glibc-malloc-info': () => between(fixtureText(one('stats/glibc/leak', /malloc-info\.xml$/)), /^<malloc /, /^<\/malloc>/),
  'glibc-malloc-stats': () => between(fixtureText(one('stats/glibc/leak', /malloc-stats\.txt$/)), /^Arena 0:/, /^max mmap bytes/),
  'tcmalloc-stats': () => between(fixtureText(one('stats/tcmalloc/leak', /tcmalloc-stats\.txt$/)), /Bytes in use by application/, /Tcmalloc page size/),
  'mimalloc-stats': () => between(fixtureText(one('stats/mimalloc/exit', /mimalloc-stats\.txt$/)), /heap stats:/, /^\s*process:/),
  proc: () => between(fixtureText(one('stats/glibc/leak', /proc\.txt$/)), /^### /, /^SwapPss:/),
};

/** Formats whose files end at any line: a cut between lines is a shorter, whole file. */
const NO_END_MARKER = new Set(['perf-script', 'android-record-allocs', 'heaptrack', 'memray']);

interface Outcome {
  error?: ParseError;
  warnings: string[];
  numbers: string;
}

const FIGURES = ['allocatedBytes', 'activeBytes', 'residentBytes', 'mappedBytes', 'retainedBytes', 'dirtyBytes', 'muzzyBytes', 'rssBytes'] as const;

/** The numbers of a result: per sample (stack addresses, thread, labels) its values; per dump its figures. */
function numbersOf(l: LoadedInput): string {
  if (l.stats) {
    return JSON.stringify((l.stats as AllocatorStats).snapshots.map((s) => ({ figures: FIGURES.map((f) => s[f]), arenas: s.arenas, classes: s.sizeClasses })));
  }
  const p = l.profile;
  const rows = new Map<string, number[]>();
  for (let i = 0; i < p.samples.length; i++) {
    const thread = p.samples.thread[i] >= 0 ? p.threads[p.samples.thread[i]].key : '';
    const key = `${p.stackLocations(p.samples.stack[i]).map((x) => p.addressHex(x)).join(' ')}|${thread}|${p.samples.labels.map((c) => c.values[i]).join(',')}`;
    const values = p.samples.values.map((v) => v[i]);
    const have = rows.get(key);
    rows.set(key, have ? have.map((v, k) => v + values[k]) : values);
  }
  return JSON.stringify({ types: p.sampleTypes, rows: [...rows].sort(), events: l.trace?.report.events, ops: l.trace?.report.ops });
}

async function outcome(bytes: Uint8Array, format: string, options: Record<string, unknown> = {}): Promise<Outcome> {
  try {
    const loaded = await readOpened(await openBytes('in', bytes, options), { inputFormat: format, ...options });
    return { warnings: loaded.profile.meta.warnings.map((w) => w.message), numbers: numbersOf(loaded) };
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    return { error, warnings: [], numbers: '' };
  }
}

describe('cut at every byte: an error, a warning, or the same numbers', () => {
  for (const [format, make] of Object.entries(SMALL)) {
    it(format, async () => {
      const text = make();
      const bytes = enc(text);
      expect(bytes.length, 'small enough to cut everywhere').toBeLessThan(2500);
      const whole = await outcome(bytes, format);
      expect(whole.error, `${format}: the whole input reads`).toBeUndefined();
      const known = new Set(whole.warnings);
      let silent = 0;
      for (let cut = 1; cut < bytes.length; cut++) {
        // A trace cut between lines is a shorter trace: nothing in the file can tell.
        if (NO_END_MARKER.has(format) && bytes[cut - 1] === 10) continue;
        const r = await outcome(bytes.subarray(0, cut), format);
        if (r.error) {
          expect(r.error.line, `${format} cut at ${cut}: a located error`).toBeGreaterThan(0);
          continue;
        }
        if (r.warnings.some((w) => !known.has(w))) continue;
        silent++;
        expect(r.numbers, `${format} cut at ${cut} (…${JSON.stringify(text.slice(Math.max(0, cut - 30), cut))}): clean, so the numbers must be the whole input's`).toBe(whole.numbers);
      }
      // Only cuts that lose nothing counted (trailing blank or map lines) are silent.
      expect(silent).toBeLessThan(bytes.length / 4);
    });
  }
});

describe('a last line cut short, in the importers of one record per line', () => {
  // (perf drops the record whose callchain the cut line was part of: perf-script.test.ts.)
  for (const format of ['heaptrack', 'memray', 'android-record-allocs']) {
    it(`${format}: dropped with a warning; the records before it are read`, async () => {
      const text = SMALL[format]();
      const lines = text.trimEnd().split(/\r?\n/);
      // The last line that is more than a blank, cut before its last two characters.
      const cut = `${lines.slice(0, -1).join('\n')}\n${lines[lines.length - 1].slice(0, -2)}`;
      const r = await outcome(enc(cut), format);
      expect(r.error, r.error?.message).toBeUndefined();
      expect(r.warnings.some((w) => w.startsWith('the input ends in the middle of a line (truncated?); that line was dropped'))).toBe(true);
      expect(r.numbers).toBe((await outcome(enc(`${lines.slice(0, -1).join('\n')}\n`), format)).numbers);
    });
  }

  it('heaptrack and memray cut before their first whole record: an error, never an empty result', async () => {
    for (const [format, text] of [
      ['heaptrack', smallHeaptrack()],
      ['memray', MEMRAY_CSV],
    ]) {
      const firstRecord = format === 'heaptrack' ? text.indexOf('\n+ ') + 4 : text.indexOf('\n') + 5;
      const r = await outcome(enc(text.slice(0, firstRecord)), format);
      expect(r.error?.message, format).toMatch(/^in:\d+: the input ends in the middle of a line, before any whole record \(truncated\?\)$/);
    }
  });
});

describe('a digit changed inside a zip member', () => {
  for (const [format, make] of Object.entries(SMALL)) {
    it(`${format}: stored or deflated, an error naming the member`, async () => {
      const text = make();
      // The last digit of the member (a digit in the data, not the header).
      const at = text.search(/\d(?=\D*$)/);
      const changed = `${text.slice(0, at)}${text[at] === '1' ? '2' : '1'}${text.slice(at + 1)}`;
      for (const level of [0, 6] as const) {
        const good = zipSync({ 'member.txt': enc(text) }, { level });
        const bad = zipSync({ 'member.txt': enc(changed) }, { level });
        // The corrupted data under the good header: what a changed byte on disk looks like.
        const dataStart = 30 + 'member.txt'.length;
        const corrupt = good.slice();
        const dataLength = new DataView(good.buffer).getUint32(18, true);
        if (dataLength === new DataView(bad.buffer).getUint32(18, true)) corrupt.set(bad.subarray(dataStart, dataStart + dataLength), dataStart);
        else corrupt[dataStart + (dataLength >> 1)] ^= 0x01;
        const r = await outcome(corrupt, format);
        expect(r.error, `${format} level ${level}`).toBeInstanceOf(ParseError);
        expect(r.error!.message).toMatch(/member\.txt|zip data/);
        expect((await outcome(good, format)).numbers).toBe((await outcome(enc(text), format)).numbers);
      }
    });
  }
});

describe('values that would become Infinity or NaN, or lost their unit: an error at their line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['jemalloc', 'heap_v2/524288\n@ 0x10\n  t*: 5: 0 [0: 0]\n\nMAPPED_LIBRARIES:\n', 3, /5 objects of 0 bytes cannot be unsampled/],
    ['jemalloc', 'heap_v2/99999999999999999999\n@ 0x10\n  t*: 5: 80 [0: 0]\n', 1, /sampling period exceeds 2\^53/],
    ['gperftools', 'heap profile: 5: 0 [5: 0] @ heap_v2/524288\n     5:        0 [     5:        0] @ 0x10\n', 2, /5 objects of 0 bytes cannot be unsampled/],
    ['gperftools', 'heap profile: 1: 8 [1: 8] @ heap_v2/99999999999999999999\n 1: 8 [1: 8] @ 0x10\n', 1, /sampling period after "heap_v2\/" exceeds 2\^53/],
    ['gperftools', 'heap profile: 4503599627370496: 1 [0: 0] @ heap_v2/9007199254740992\n 4503599627370496: 1 [0: 0] @ 0x10\n', 2, /cannot be unsampled/],
    ['perf-script', `t 1 [000] ${'9'.repeat(400)}.000001: probe_libc:malloc: (7f) size=8\n\tf00 malloc+0x0 (/lib/libc.so.6)\n\n`, 1, /timestamp beyond 2\^64 ns/],
    ['perf-script', `t 1 [000] 1.000001: ${'9'.repeat(20)} cycles:\n\tf00 main+0x0 (/bin/x)\n\n`, 1, /period beyond 2\^53/],
    ['android-record-allocs', '1: calloc 0x10 99999999999 99999999999\n', 1, /allocation size exceeds 2\^53/],
    ['android-heap-dump', 'Android Native Heap Dump v1.2\n\nz 0  sz 99999999999  num 99999999999  bt 10\nMAPS\nEND\n', 3, /size × num exceeds 2\^53/],
    ['heaptrack', 'v 10400 3\ns 1 x\ni 10 1\nt 1 0\na 20000000000000 1\n+ 0\n', 5, /allocation size exceeds 2\^53/],
    ['heaptrack', 'v 10400 3\nm 1 x 0 0 1000\nt 10 0\n+ 20000000000000 1 10\n', 4, /allocation size exceeds 2\^53/],
    ['heaptrack', 'v 10400 3\nc ffffffffffffff\n', 2, /timestamp beyond 2\^64 ns/],
    ['memray', 'allocator,num_allocations,size,tid,thread_name,stack_trace\nMALLOC,1,99999999999999999999,1,0x1 (MainThread),f;a.py;1\n', 2, /exceeds 2\^53/],
    ['glibc-malloc-info', '<malloc version="1">\n<heap nr="0">\n<sizes>\n</sizes>\n<system type="current" size="99999999999999999999999"/>\n</heap>\n</malloc>\n', 5, /value 99999999999999999999999 is beyond 2\^53/],
    ['glibc-malloc-stats', 'Arena 0:\nsystem bytes     = 99999999999999999999\nin use bytes     =    1\n', 2, /beyond 2\^53/],
    ['tcmalloc-stats', 'MALLOC:   99999999999999999999 (    4.1 MiB) Bytes in use by application\n', 1, /beyond 2\^53/],
    ['mimalloc-stats', 'heap stats:    peak      total      freed    current       unit      count\n  reserved:   99999999999 TiB   32.0 MiB      0       32.0 MiB\n', 2, /beyond 2\^53/],
    ['jemalloc-stats', '___ Begin jemalloc statistics ___\nAllocated: 99999999999999999999, active: 1\n--- End jemalloc statistics ---\n', 2, /beyond 2\^53/],
    ['jemalloc-stats-json', '{"jemalloc":{"version":"5.3.0","stats":{"allocated":1e400}}}', 1, /jemalloc\.stats\.allocated is not a finite number/],
    ['proc', 'Name:\tx\nPid:\t1\nVmRSS:\t99999999999999999999 kB\n', 3, /beyond 2\^53/],
    ['proc', 'Name:\tx\nPid:\t1\nVmRSS:\t 1810\nVmSwap:\t 0 kB\n', 3, /VmRSS is a size: its value is "<n> kB"/],
    ['mimalloc-stats', 'heap stats:    peak      total      freed    current       unit      count\n  reserved:   32.0 MiB   32.0 MiB      0       32.0\n', 2, /the amount 32\.0 has no unit/],
  ];
  for (const [format, text, line, message] of cases) {
    it(`${format}: ${JSON.stringify(text.slice(0, 60))}…`, async () => {
      const r = await outcome(enc(text), format);
      expect(r.error, JSON.stringify(r)).toBeInstanceOf(ParseError);
      expect(r.error!.line).toBe(line);
      expect(r.error!.reason).toMatch(message);
    });
  }
});

const BLANK = new Uint8Array(4 << 20).fill(10);
const BLANK_GZIP = gzipSync(BLANK);
const BLANK_ZSTD = zstdSync(BLANK);

describe('bombs, per container', () => {
  const containers: [string, (b: Uint8Array) => Uint8Array][] = [
    ['plain', (b) => b],
    ['gzip', (b) => gzipSync(b)],
    ['zstd', (b) => zstdSync(b)],
    ['zip', (b) => zipSync({ 'bomb.txt': b })],
  ];

  for (const [format, make] of Object.entries(SMALL)) {
    it(`${format}: 4 million blank lines before the input read like none (plain, gzip, zstd, zip)`, async () => {
      const text = make();
      const expected = await outcome(enc(text), format);
      const bytes = new Uint8Array(BLANK.length + text.length);
      bytes.set(BLANK);
      bytes.set(enc(text), BLANK.length);
      const forms: [string, Uint8Array][] = [
        ['plain', bytes],
        // Two gzip members: the blank lines' (compressed once), then the input's.
        ['gzip', new Uint8Array([...BLANK_GZIP, ...gzipSync(enc(text))])],
        // Two zstd frames likewise.
        ['zstd', new Uint8Array([...BLANK_ZSTD, ...zstdSync(enc(text))])],
        ['zip', zipSync({ 'bomb.txt': bytes }, { level: 1 })],
      ];
      for (const [name, form] of forms) {
        const r = await outcome(form, format);
        expect(r.error, `${name}: ${r.error?.message}`).toBeUndefined();
        expect(r.numbers, name).toBe(expected.numbers);
      }
    });
  }

  it('millions of equal records take the memory of one sample (jemalloc, gperftools, Android heap dump, memray, heaptrack)', async () => {
    const n = 300_000;
    const inputs: [string, string][] = [
      // (1 KiB objects: at R = 1 the Poisson scale is exactly 1 in doubles.)
      ['jemalloc', `heap_v2/1\n${'@ 0x7fcaae0a2630 0x55a791ad7172\n  t*: 1: 1024 [0: 0]\n  t0: 1: 1024 [0: 0]\n'.repeat(n)}\nMAPPED_LIBRARIES:\n`],
      ['gperftools', `heap profile: ${n}: ${16 * n} [${n}: ${16 * n}] @ heapprofile\n${'     1:       16 [     1:       16] @ 0x7fcaae0a2630 0x55a791ad7172\n'.repeat(n)}`],
      ['android-heap-dump', `Android Native Heap Dump v1.2\n\nTotal memory: ${16 * n}\nAllocation records: ${n}\n\n${'z 0  sz       16  num    1  bt 7fcaae0a2630 55a791ad7172\n'.repeat(n)}MAPS\nEND\n`],
      ['memray', `allocator,num_allocations,size,tid,thread_name,stack_trace\n${'MALLOC,1,16,1,0x1 (MainThread),grow;/tmp/app.py;7|main;/tmp/app.py;12\n'.repeat(n)}`],
      // A trace: one site however many events (its live blocks are the trace's own).
      ['heaptrack', `v 10400 3\ns 4 main\ni 55a791ad7172 0 1\nt 1 0\na 10 1\n${'+ 0\n'.repeat(n)}`],
    ];
    for (const [format, text] of inputs) {
      for (const [name, wrap] of containers) {
        const loaded = await readOpened(await openBytes('bomb', wrap(enc(text))), { inputFormat: format });
        const p = loaded.profile;
        expect(p.samples.length, `${format} ${name}`).toBe(1);
        expect(p.total(p.sampleTypeIndex('inuse_objects')), `${format} ${name}`).toBe(n);
        expect(p.meta.warnings, `${format} ${name}`).toEqual([]);
      }
    }
  });

  it('past --max-samples distinct samples, and past the decompressed-bytes limit: errors that name their option', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `@ 0x${(0x1000 + i).toString(16)}\n  t*: 1: 16 [0: 0]\n`).join('');
    const text = `heap_v2/1\n${rows}\nMAPPED_LIBRARIES:\n`;
    const r = await outcome(enc(text), 'jemalloc', { maxSamples: 10 });
    expect(r.error?.message).toMatch(/^in:1: more than 10 distinct samples \(raise the limit with --max-samples\)$/);
    const bomb = await outcome(gzipSync(enc(`heap_v2/1\n${'\n'.repeat(4 << 20)}`)), 'jemalloc', { maxDecompressedBytes: 1 << 20 });
    expect(bomb.error?.message).toMatch(/more than 1048576 bytes after decompression \(raise the limit with --max-decompressed-bytes\)/);
  });
});

describe('CR LF line ends (a file passed through Windows or an old adb shell)', () => {
  for (const [format, make] of Object.entries(SMALL)) {
    it(`${format}: the same numbers and warnings as with LF`, async () => {
      const text = make();
      const lf = await outcome(enc(text.replace(/\r\n/g, '\n')), format);
      const crlf = await outcome(enc(text.replace(/\r?\n/g, '\r\n')), format);
      expect(lf.error).toBeUndefined();
      expect(crlf.error).toBeUndefined();
      expect(crlf.numbers).toBe(lf.numbers);
      expect(crlf.warnings).toEqual(lf.warnings);
    });
  }
});

describe('a dump concatenated with another (cat a.heap b.heap)', () => {
  // The Android heap dump is the hand-written one (no real dump is known).
  const dumps: [string, () => string][] = [
    ['jemalloc', () => fixtureText(one('jemalloc/sampled', /\.f\.heap$/))],
    ['gperftools', () => fixtureText(one('gperftools', /0005\.heap$/))],
    ['android-heap-dump', () => ANDROID_HEAP_DUMP_V12],
  ];
  for (const [format, dump] of dumps) {
    it(`${format}: an error at the second header; under --lenient, the first dump's numbers and a warning`, async () => {
      const text = dump();
      const whole = await outcome(enc(text), format);
      expect(whole.error).toBeUndefined();
      const second = text.split('\n').length; // the first line after the whole file
      const twice = enc(text + text);
      const strict = await outcome(twice, format);
      expect(strict.error?.message).toMatch(new RegExp(`^in:${second}: another profile starts here, after the first one's memory map \\(dumps concatenated\\?\\)`));
      const lenient = await outcome(twice, format, { lenient: true });
      expect(lenient.error).toBeUndefined();
      expect(lenient.numbers).toBe(whole.numbers);
      expect(lenient.warnings.filter((w) => !whole.warnings.includes(w))).toEqual([
        expect.stringMatching(/^skipped malformed record: another profile starts here, .* the rest of the input was not read$/),
      ]);
    });
  }
});

describe('jemalloc: a thread line written twice in one stack record', () => {
  it('is an error at the repeat; under --lenient, skipped, and the whole dump\'s numbers', async () => {
    const text = fixtureText(one('jemalloc/all', /\.f\.heap$/));
    const lines = text.split('\n');
    const at = lines.findIndex((l, i) => /^\s*t\d+: /.test(l) && lines.slice(0, i).some((x) => x.startsWith('@')));
    expect(at, 'a thread line in a stack record').toBeGreaterThan(0);
    const damaged = enc([...lines.slice(0, at + 1), lines[at], ...lines.slice(at + 1)].join('\n'));
    const thread = /t\d+/.exec(lines[at])![0];
    const strict = await outcome(damaged, 'jemalloc');
    expect(strict.error?.message).toMatch(new RegExp(`^in:${at + 2}: second "${thread}:" line for one stack`));
    const whole = await outcome(enc(text), 'jemalloc');
    const lenient = await outcome(damaged, 'jemalloc', { lenient: true });
    expect(lenient.numbers).toBe(whole.numbers);
    expect(lenient.warnings.filter((w) => !whole.warnings.includes(w))).toEqual([`skipped malformed record: second "${thread}:" line for one stack`]);
  });
});

describe('heaptrack: a definition written twice', () => {
  // heaptrack interns strings, instruction pointers, stack nodes and
  // allocation infos: a repeat would shift every later index silently.
  for (const kind of ['s', 'i', 't', 'a']) {
    it(`"${kind}": an error at the repeat; under --lenient, skipped, and the whole input's numbers`, async () => {
      const text = smallHeaptrack();
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.startsWith(`${kind} `));
      expect(at, `a "${kind}" line`).toBeGreaterThan(0);
      const damaged = enc([...lines.slice(0, at + 1), lines[at], ...lines.slice(at + 1)].join('\n'));
      const strict = await outcome(damaged, 'heaptrack');
      expect(strict.error?.message).toMatch(new RegExp(`^in:${at + 2}: this .* repeats the one before it`));
      const whole = await outcome(enc(text), 'heaptrack');
      const lenient = await outcome(damaged, 'heaptrack', { lenient: true });
      expect(lenient.numbers).toBe(whole.numbers);
      expect(lenient.warnings.filter((w) => !whole.warnings.includes(w))).toEqual([expect.stringMatching(/^skipped malformed record: this .* repeats the one before it/)]);
    });
  }
});

describe('timestamps that go backwards', () => {
  it('perf: counted, with the first line, and the events still read', async () => {
    const text = smallPerf();
    const lines = text.split('\n');
    const last = lines.findLastIndex((l) => /^\S.* \d+\.\d+: /.test(l));
    lines[last] = lines[last].replace(/ \d+\.\d+: /, ' 1.000000: ');
    const r = await outcome(enc(lines.join('\n')), 'perf-script');
    expect(r.warnings).toContain('timestamps go backwards: events earlier than an event before them in the file (out of order, damaged or merged trace?)');
    const loaded = await readOpened(await openBytes('in', enc(lines.join('\n'))), { inputFormat: 'perf-script' });
    const w = loaded.profile.meta.warnings.find((x) => x.message.startsWith('timestamps go backwards'))!;
    expect([w.count, w.locations[0].line]).toEqual([1, last + 1]);
    expect(JSON.parse(r.numbers).events).toBe(JSON.parse((await outcome(enc(text), 'perf-script')).numbers).events);
  });
  it('heaptrack: a timestamp earlier than one before it, counted with its line', async () => {
    const text = smallHeaptrack();
    const earlier = text.replace(/\n(\+ 1\n)/, '\nc 300\n$1').replace(/\nc 241\n/, '\nc 5\n');
    const r = await outcome(enc(earlier), 'heaptrack');
    const loaded = await readOpened(await openBytes('in', enc(earlier)), { inputFormat: 'heaptrack' });
    const w = loaded.profile.meta.warnings.find((x) => x.message.startsWith('timestamps go backwards'))!;
    expect([w.count, w.locations[0].line]).toEqual([1, earlier.split('\n').findIndex((l) => l === 'c 5') + 1]);
    expect(JSON.parse(r.numbers).events).toBe(JSON.parse((await outcome(enc(text), 'heaptrack')).numbers).events);
  });
});

describe('detection and lenient reading', () => {
  for (const [format, make] of Object.entries(SMALL)) {
    it(`${format}: a byte order mark and leading blank lines do not change what is detected or read`, async () => {
      const text = make();
      const expected = await outcome(enc(text), format);
      const loaded = await readOpened(await openBytes('x', enc(`\uFEFF\n\n  \n${text}`)));
      expect(loaded.profile.meta.format).toBe(format);
      expect(numbersOf(loaded)).toBe(expected.numbers);
    });
  }

  it('perf: invalid UTF-8 in a comm is an error, and under --lenient a counted warning', async () => {
    const text = smallPerf();
    const bytes = enc(text.replace(/^workload/gm, 'work\u0001oad'));
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 1) bytes[i] = 0xff;
    const strict = await outcome(bytes, 'perf-script');
    expect(strict.error?.message).toMatch(/^in:1: invalid UTF-8$/);
    const lenient = await outcome(bytes, 'perf-script', { lenient: true });
    expect(lenient.error).toBeUndefined();
    expect(lenient.warnings).toContain('invalid UTF-8, replaced by U+FFFD');
    expect(JSON.parse(lenient.numbers).events).toBe(JSON.parse((await outcome(enc(text), 'perf-script')).numbers).events);
  });
});
