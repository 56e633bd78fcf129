/**
 * The importer registry and content-based format detection. Detection never
 * looks at the file name: every importer sniffs the first decompressed bytes
 * and the most confident one wins.
 */
import { ParseError, excerpt } from './errors.js';
import { HEAD_BYTES, type Input } from './input/source.js';
import type { Head, SnapshotImporter } from './importers/importer.js';
import type { TraceImporter } from './trace/sink.js';
import type { StatsImporter } from './stats/model.js';
import { statsImporters } from './stats/index.js';
import { jemallocImporter } from './importers/jemalloc.js';
import { gperftoolsImporter } from './importers/gperftools.js';
import { pprofImporter } from './importers/pprof.js';
import { androidRecordAllocsImporter } from './importers/android-record-allocs.js';
import { androidHeapDumpImporter } from './importers/android-heap-dump.js';
import { perfScriptImporter } from './importers/perf-script.js';
import { heaptrackImporter } from './importers/heaptrack.js';
import { memrayImporter } from './importers/memray.js';
import { foreignFormat } from './foreign-formats.js';
import { DumpStartScanner } from './stats/past-head.js';
import { readPastHead } from './input/read-past-head.js';

/**
 * Any importer: of snapshots (heap dumps), of event traces, or of allocator
 * statistics. The union lives with the registry, above the three kinds,
 * so that no kind's module imports another's.
 */
export type Importer = SnapshotImporter | TraceImporter | StatsImporter;

/** Every importer, by id. */
export const importers: readonly Importer[] = [
  jemallocImporter,
  gperftoolsImporter,
  pprofImporter,
  androidRecordAllocsImporter,
  androidHeapDumpImporter,
  perfScriptImporter,
  heaptrackImporter,
  memrayImporter,
  ...statsImporters,
];

/** Formats heapscope recognises in order to reject them clearly. */
const KNOWN_OTHERS: readonly { test: RegExp; what: string }[] = [
  { test: /^--- (contentionz|contention|mutex)/, what: 'a lock contention profile, not a heap profile' },
  { test: /^--- (heapz|heap|profile)/, what: 'a Google remote profile header, not supported' },
];

/**
 * What detection sees of an input. Its first line is the first that is not
 * blank: blank lines before a header (an editor's, a shell's `echo`) do not
 * change what the file is, and importers skip them too.
 */
export function headOf(input: Input): Head {
  const text = input.headText();
  let start = 0;
  let firstLine = '';
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    firstLine = text.slice(start, end);
    if (firstLine.endsWith('\r')) firstLine = firstLine.slice(0, -1);
    if (firstLine.trim() !== '' || nl < 0) break;
    start = nl + 1;
  }
  return { bytes: input.head, text, firstLine };
}

/** The importer with this id, or undefined. */
export function importerById(id: string): Importer | undefined {
  return importers.find((i) => i.id === id);
}

/**
 * Picks the importer for an input from its head. With `forced`, that
 * importer is used as is (its parser will reject content that is not its
 * format). Throws a ParseError at line 1 when nothing recognises the head.
 * Allocator statistics that start past the head are found only by
 * {@link detectImporterIn}.
 */
export function detectImporter(input: Input, forced?: string): Importer {
  const found = fromHead(input, forced);
  if (found.importer) return found.importer;
  return unrecognized(input, found.head);
}

/**
 * Picks the importer for an input, as {@link detectImporter}, and where
 * nothing recognises the head of a text input longer than it, looks past it
 * for allocator statistics: a log of a chatty program holds its own output
 * before the dump its allocator printed, wherever that starts. Returns the
 * input to read, from its start: `input` itself, or when the search read
 * past the head, the same content opened again (readPastHead). An
 * input with no statistics is read once, to its end, before its error.
 */
export async function detectImporterIn(input: Input, forced?: string): Promise<{ importer: Importer; input: Input }> {
  const found = fromHead(input, forced);
  if (found.importer) return { importer: found.importer, input };
  const head = found.head;
  if (input.head.length >= HEAD_BYTES && !looksBinary(head.bytes) && !KNOWN_OTHERS.some((o) => o.test.test(head.firstLine))) {
    const scanner = new DumpStartScanner(input.head);
    const again = await readPastHead(input, (chunk) => scanner.feed(chunk), () => scanner.end());
    const importer = scanner.found && importerById(scanner.found.format);
    if (again && importer) return { importer, input: again };
  }
  return unrecognized(input, head);
}

/** The importer forced, or the most confident sniffer's (undefined when none is), and the head it saw. */
function fromHead(input: Input, forced: string | undefined): { importer: Importer; head?: Head } | { importer: undefined; head: Head } {
  if (forced !== undefined) {
    const importer = importerById(forced);
    if (!importer) {
      throw new Error(`unknown input format "${forced}" (known: ${importers.map((i) => i.id).join(', ')})`);
    }
    return { importer };
  }
  if (input.head.length === 0) throw new ParseError(input.name, 1, 'input is empty');
  const head = headOf(input);
  // A profiler's binary capture heapscope does not read: say so and what to do, before any importer guesses at it.
  const foreign = foreignFormat(head);
  if (foreign) throw new ParseError(input.name, 1, `this is ${foreign.name}: ${foreign.advice(input.name)}`);
  let best: Importer | undefined;
  let bestScore = 0;
  for (const importer of importers) {
    const score = importer.sniff(head);
    if (score > bestScore) {
      best = importer;
      bestScore = score;
    }
  }
  return best ? { importer: best, head } : { importer: undefined, head };
}

/** The error of an input nothing recognises. */
function unrecognized(input: Input, head: Head): never {
  for (const other of KNOWN_OTHERS) {
    if (other.test.test(head.firstLine)) throw new ParseError(input.name, 1, `this is ${other.what}`);
  }
  if (looksBinary(head.bytes)) throw new ParseError(input.name, 1, 'unrecognized binary input (not a supported heap profile format)');
  throw new ParseError(input.name, 1, `unrecognized input format: "${excerpt(head.firstLine)}"`);
}

function looksBinary(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 512);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0) return true;
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  return control > n / 10;
}
