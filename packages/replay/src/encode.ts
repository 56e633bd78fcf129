/**
 * A trace, read by heapscope's importers, encoded into an op stream file for
 * the replayer. Every check of the trace happens here, before any allocator
 * runs: a malformed trace is a ParseError (FILE:LINE), and a trace whose
 * operations cannot be replayed (no pointers) is rejected.
 */
import { closeSync, openSync, rmSync } from 'node:fs';
import {
  ParseError,
  detectImporterIn,
  openInput,
  parseTrace,
  traceBuilder,
  type Input,
  type LoadOptions,
  type TraceFacts,
  type Warning,
} from '@heapscope/parser';
import { OpStreamWriter, type OpStreamCounts } from './op-stream.js';

/** A trace encoded into an op stream file. */
export interface EncodedTrace extends OpStreamCounts {
  /** The trace's display name. */
  file: string;
  /** The importer that read it. */
  format: string;
  /** The op stream file. */
  path: string;
  facts: TraceFacts;
  /** The importer's warnings (failed allocations, lines skipped under `lenient`, …). */
  warnings: Warning[];
}

/**
 * Reads the trace `source` (a path, `-` for stdin, or an opened input) and
 * writes its operations to `opsPath` (created or truncated). The file is
 * removed again when the trace is rejected.
 */
export async function encodeTrace(source: string | Input, opsPath: string, options: LoadOptions = {}): Promise<EncodedTrace> {
  const { importer, input } = await detectImporterIn(typeof source === 'string' ? await openInput(source, options) : source, options.inputFormat);
  if (importer.kind !== 'trace') {
    const what = importer.kind === 'stats' ? 'allocator statistics' : 'a heap snapshot';
    throw new ParseError(input.name, 1, `this is ${what} (${importer.id}), not an allocation trace: only traces (record_allocs, perf malloc/free probes, heaptrack) can be replayed`, importer.id);
  }
  const fd = openSync(opsPath, 'w');
  let done = false;
  try {
    const writer = new OpStreamWriter(fd);
    const builder = traceBuilder(input, importer, options);
    const facts = await parseTrace(input, importer, builder, writer, options);
    const counts = writer.end();
    if (!facts.tracksPointers) {
      throw new ParseError(input.name, 1, 'the trace records no pointers (perf entry probes without return probes): its allocations cannot be replayed', importer.id);
    }
    if (counts.ops === 0) throw new ParseError(input.name, 1, 'the trace holds no allocation operations', importer.id);
    done = true;
    return { ...counts, file: input.name, format: importer.id, path: opsPath, facts, warnings: builder.meta.warnings };
  } finally {
    closeSync(fd);
    if (!done) rmSync(opsPath, { force: true });
  }
}
