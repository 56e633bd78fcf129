/**
 * The list of real dumps every snapshot check runs over: the project's
 * fixtures (always) and the shared corpus (when present).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync, zipSync } from 'fflate';
import { ANDROID_HEAP_DUMP_V12, MEMRAY_CSV, RECORD_ALLOCS_TIMED } from './hand-written.js';
import { CORPUS, FIXTURES, displayName, findFiles } from './paths.js';

/** `bytes` compressed by the real `zstd` command (installed by scripts/setup.sh), with extra options (level, checksum). */
export function zstdSync(bytes: Uint8Array, ...options: string[]): Uint8Array {
  return new Uint8Array(execFileSync('zstd', ['-q', '-c', ...options], { input: bytes, maxBuffer: 1 << 28 }));
}

/** A zstd-compressed file's content, decompressed by the real `zstd` command. */
export function unzstdFile(path: string): Buffer {
  return execFileSync('zstd', ['-q', '-dc', path], { maxBuffer: 1 << 28 });
}

/** Whether a file (gzipped or not) ends with a newline. */
export function endsWithNewline(path: string): boolean {
  const bytes = path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path);
  return bytes[bytes.length - 1] === 10;
}

/** Heap dumps written by real allocators: project fixtures then corpus files. */
export function snapshotInputs(): string[] {
  return [
    ...findFiles(join(FIXTURES, 'jemalloc'), /\.heap$/),
    ...findFiles(join(FIXTURES, 'gperftools'), /\.heap$/),
    ...findFiles(join(FIXTURES, 'cxx'), /\.heap$/),
    ...findFiles(join(CORPUS, 'jemalloc'), /\.heap$/),
    ...findFiles(join(CORPUS, 'pprof-legacy'), /\.(heap|growth)$/),
  ];
}

/** The one fixture file in `dir` (under fixtures/) whose name matches; its pid changes on every regeneration. */
export function fixtureFile(dir: string, pattern: RegExp): string {
  const found = findFiles(join(FIXTURES, dir), pattern);
  if (found.length !== 1) throw new Error(`expected one fixture matching ${pattern} in fixtures/${dir}, found ${found.length}`);
  return found[0];
}

/** Fixture files in `dir` whose names match, in name order. */
export function fixtureFiles(dir: string, pattern: RegExp): string[] {
  return findFiles(join(FIXTURES, dir), pattern);
}

/**
 * One input of the checks that run over every importer's files (the round
 * trips through pprof and speedscope, and `go tool pprof`'s reading of
 * heapscope's pprof).
 */
export interface ImporterInput {
  /** The file heapscope reads. */
  path: string;
  /** A stable name for test titles. */
  name: string;
  /** The importer detection must choose. */
  format: string;
  /** Where the file comes from: a fixture the project generated, the shared corpus, or a hand-written sample (formats with no real file). */
  origin: 'fixture' | 'corpus' | 'hand-written';
  /** The symbolization options that give this input its function names: `--symbols BINARY` or `--no-symbolize`. */
  symbolArgs: string[];
  /** Recorded `--text` output of jeprof or google-pprof on this dump, per sample type (fixtures with a golden/ folder). */
  reference?: { tool: 'jeprof' | 'google-pprof'; golden: (type: string) => string };
}

const WORKLOAD = join(FIXTURES, 'bin', 'workload');
const STATS_WORKLOAD = join(FIXTURES, 'stats', 'bin', 'stats-workload');
const CXX_BIN = join(FIXTURES, 'cxx', 'bin');

/**
 * Every importer's inputs: the fixtures (heap dumps of jemalloc, gperftools
 * and the stats workload's jemalloc profiles; perf script malloc probe
 * records; the same of the C++ workload; heaptrack recordings), the shared
 * corpus when present (jemalloc, legacy pprof text, perf script CPU samples,
 * record_allocs zips, heaptrack recordings), and hand-written Android and memray
 * samples written into `scratch` (no real native heap dump exists; the
 * record_allocs sample covers that importer without the corpus), plain and
 * in the compressed forms the tools produce.
 */
export function importerInputs(scratch: string): ImporterInput[] {
  const out: ImporterInput[] = [];
  const add = (path: string, format: string, origin: ImporterInput['origin'], symbolArgs: string[], reference?: ImporterInput['reference']) =>
    out.push({ path, name: origin === 'hand-written' ? `hand-written/${basename(path)}` : displayName(path), format, origin, symbolArgs, reference });
  const golden = (tool: 'jeprof' | 'google-pprof', dump: string) => ({ tool, golden: (type: string) => join(dirname(dump), 'golden', `${basename(dump)}.${type}.${tool}.txt`) });
  for (const dump of findFiles(join(FIXTURES, 'jemalloc'), /\.heap$/)) add(dump, 'jemalloc', 'fixture', ['--symbols', WORKLOAD], golden('jeprof', dump));
  for (const dump of findFiles(join(FIXTURES, 'gperftools'), /\.heap$/)) add(dump, 'gperftools', 'fixture', ['--symbols', WORKLOAD], golden('google-pprof', dump));
  for (const dump of findFiles(join(FIXTURES, 'stats', 'jemalloc'), /\.heap$/)) add(dump, 'jemalloc', 'fixture', ['--symbols', STATS_WORKLOAD]);
  for (const capture of findFiles(join(FIXTURES, 'perf'), /\.perf\.txt\.gz$/)) add(capture, 'perf-script', 'fixture', ['--symbols', WORKLOAD]);
  // The C++ dumps' reference outputs name sites differently (reference-agreement.test.ts says how): no `reference`.
  for (const dump of findFiles(join(FIXTURES, 'cxx', 'jemalloc'), /\.heap$/)) add(dump, 'jemalloc', 'fixture', ['--symbols', CXX_BIN]);
  for (const dump of findFiles(join(FIXTURES, 'cxx', 'gperftools'), /\.heap$/)) add(dump, 'gperftools', 'fixture', ['--symbols', CXX_BIN]);
  for (const capture of findFiles(join(FIXTURES, 'cxx', 'perf'), /\.perf\.txt\.gz$/)) add(capture, 'perf-script', 'fixture', ['--symbols', CXX_BIN]);
  for (const recording of findFiles(join(FIXTURES, 'heaptrack'), /\.zst$/)) add(recording, 'heaptrack', 'fixture', ['--symbols', WORKLOAD]);
  const none = ['--no-symbolize'];
  for (const dump of findFiles(join(CORPUS, 'jemalloc'), /\.heap$/)) add(dump, 'jemalloc', 'corpus', none);
  for (const dump of findFiles(join(CORPUS, 'pprof-legacy'), /\.(heap|growth)$/)) add(dump, 'gperftools', 'corpus', none);
  // A capture whose last line has no newline was cut (by hand: perf ends
  // every line); it reads as truncated, which perf-fixtures.test.ts checks.
  for (const capture of findFiles(join(CORPUS, 'perf-script'), /./).filter(endsWithNewline)) add(capture, 'perf-script', 'corpus', none);
  for (const trace of findFiles(join(CORPUS, 'android-record-allocs'), /\.zip$/)) add(trace, 'android-record-allocs', 'corpus', none);
  // Not heaptrack_gui's recording: its 315,000 distinct stacks make the round
  // trips too slow for the unit tests; heaptrack.test.ts checks it against heaptrack_print.
  for (const recording of findFiles(join(CORPUS, 'heaptrack'), /\.(gz|zst|raw|expected)$/)) {
    if (!basename(recording).startsWith('heaptrack.heaptrack_gui.')) add(recording, 'heaptrack', 'corpus', none);
  }
  mkdirSync(scratch, { recursive: true });
  const write = (name: string, bytes: Uint8Array | string, format: string) => {
    const path = join(scratch, name);
    writeFileSync(path, bytes);
    add(path, format, 'hand-written', none);
  };
  const utf8 = (text: string) => new TextEncoder().encode(text);
  write('backtrace_heap.1234.txt', ANDROID_HEAP_DUMP_V12, 'android-heap-dump');
  // As pulled off a device and zipped; the member name is what adb wrote.
  write('backtrace_heap.1234.zip', zipSync({ 'backtrace_heap.1234.txt': utf8(ANDROID_HEAP_DUMP_V12) }), 'android-heap-dump');
  write('record_allocs.txt', RECORD_ALLOCS_TIMED, 'android-record-allocs');
  write('record_allocs.txt.gz', gzipSync(utf8(RECORD_ALLOCS_TIMED)), 'android-record-allocs');
  // memray could not be installed to make a real export (see hand-written.ts).
  write('memray-capture.csv', MEMRAY_CSV, 'memray');
  return out;
}
