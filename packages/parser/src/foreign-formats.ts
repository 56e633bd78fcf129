/**
 * Files heapscope recognizes in order to refuse them with advice: a
 * profiler's binary capture that it does not read, whose text (or export)
 * it does. Detection (formats.ts) asks these before the importers, by magic
 * bytes only (docs/formats.md#not-read says what each is and what to do):
 *
 * - `perf.data`, written by `perf record`: the 8 bytes `PERFILE2` (a file
 *   written on a big-endian machine has them reversed, `2ELIFREP`); heapscope
 *   reads the text `perf script` prints of it.
 * - a memray capture, written by `memray run`: its header starts with the
 *   magic `memray` and its NUL terminator (the capture is lz4-compressed on
 *   exit unless `--no-compress`; then source.ts says to `unlz4` it first, and
 *   this says what the result is); heapscope reads `memray transform csv`.
 * - a Perfetto trace (`perfetto`, Android's heapprofd): a `Trace` message,
 *   packets as field 1, among them the tracing service's synchronization
 *   marker — 16 fixed bytes that every trace it writes carries near its start.
 * - valgrind's heap profilers: massif (`massif.out.<pid>`, text that starts
 *   with its `desc:`, `cmd:` and `time_unit:` lines) and DHAT
 *   (`dhat.out.<pid>`, JSON that starts with `{"dhatFileVersion":`). Their
 *   first bytes are text, which no other format starts with.
 */
import type { Head } from './importers/importer.js';

/** A format heapscope recognizes and does not read. */
export interface ForeignFormat {
  /** What the file is, in words. */
  name: string;
  /** Whether the head (first decompressed bytes) is this format. */
  test(head: Uint8Array): boolean;
  /** What to do instead; `file` is the input's name, as the user gave it. */
  advice(file: string): string;
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const startsWith = (head: Uint8Array, magic: readonly number[]) => head.length >= magic.length && magic.every((b, i) => head[i] === b);

const PERF_MAGIC = ascii('PERFILE2');
const PERF_MAGIC_SWAPPED = ascii('2ELIFREP');
const MEMRAY_MAGIC = [...ascii('memray'), 0];
/** The Perfetto tracing service's synchronization marker (a TracePacket's `synchronization_marker` bytes). */
const PERFETTO_SYNC_MARKER = [0x82, 0x47, 0x7a, 0x76, 0xb2, 0x8d, 0x42, 0xba, 0x81, 0xdc, 0x33, 0x32, 0x6d, 0x57, 0xa0, 0x79];

/** Whether `marker` occurs in `bytes`. */
function contains(bytes: Uint8Array, marker: readonly number[]): boolean {
  const first = marker[0];
  for (let i = bytes.indexOf(first); i >= 0 && i + marker.length <= bytes.length; i = bytes.indexOf(first, i + 1)) {
    if (marker.every((b, k) => bytes[i + k] === b)) return true;
  }
  return false;
}

/**
 * A Perfetto `Trace`: it starts with a packet (field 1, length-delimited:
 * tag byte 0x0a) and carries the synchronization marker. The marker alone
 * decides it: a pprof profile also starts with field 1, but never holds
 * those 16 bytes.
 */
function isPerfettoTrace(head: Uint8Array): boolean {
  return head[0] === 0x0a && contains(head, PERFETTO_SYNC_MARKER);
}

/** The first bytes of `head` as text (Latin-1: any byte is one character). */
const textOf = (head: Uint8Array, n = 512) => String.fromCharCode(...head.subarray(0, n));
const MASSIF = /^desc: .*\ncmd: .*\ntime_unit: /;
const DHAT = /^\{\s*"dhatFileVersion"\s*:/;
const VALGRIND_ADVICE =
  'heapscope does not read it. For the same program it reads heaptrack recordings (`heaptrack CMD`), jemalloc and gperftools heap dumps and perf malloc probes; heapscope info --help lists every format it reads';

/** The formats heapscope refuses with advice, in the order they are tried. */
export const FOREIGN_FORMATS: readonly ForeignFormat[] = [
  {
    name: 'a perf.data file (perf record)',
    test: (head) => startsWith(head, PERF_MAGIC) || startsWith(head, PERF_MAGIC_SWAPPED),
    advice: (file) => `heapscope reads perf script's text of it: run \`perf script -i ${file} > ${file}.txt\` first, and give heapscope ${file}.txt`,
  },
  {
    name: 'a memray capture (memray run)',
    test: (head) => startsWith(head, MEMRAY_MAGIC),
    advice: (file) => `heapscope reads memray's CSV export of it: run \`memray transform csv ${file}\` first, and give heapscope the .csv it writes`,
  },
  {
    name: 'a Perfetto trace',
    test: isPerfettoTrace,
    advice: () =>
      "heapscope does not read it. For Android native heaps it reads malloc_debug's record_allocs traces and native heap dumps (am dumpheap -n); heapscope info --help lists every format it reads",
  },
  {
    name: 'a valgrind massif profile (valgrind --tool=massif; ms_print reads it)',
    test: (head) => MASSIF.test(textOf(head).replace(/\r\n/g, '\n')),
    advice: () => VALGRIND_ADVICE,
  },
  {
    name: 'a valgrind DHAT profile (valgrind --tool=dhat; dh_view.html reads it)',
    test: (head) => DHAT.test(textOf(head, 64)),
    advice: () => VALGRIND_ADVICE,
  },
];

/** The foreign format `head` is, or undefined. */
export function foreignFormat(head: Head): ForeignFormat | undefined {
  return FOREIGN_FORMATS.find((f) => f.test(head.bytes));
}
