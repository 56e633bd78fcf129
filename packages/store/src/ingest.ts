/**
 * Ingest: dumps into the store.
 *
 * `ingestFiles` reads the inputs on the loading pipeline's worker threads
 * (one per core, analyzer/src/pipeline/read-pool.ts), and the main thread
 * symbolizes them (one symbolizer for the ingest) and writes their rows in
 * batches of about `batchRows` samples. At most two batches wait in memory,
 * so the ingesting process's memory stays flat however many dumps it reads.
 *
 * A failure (a bad input, the store) stops the ingest: the batch being
 * written is rolled back (DuckDB) or left invisible (ClickHouse, see
 * schema.ts), the profiles of batches written before stay, whole. Ingest
 * is idempotent, so running it again after fixing the cause writes the
 * rest.
 */
import type { HeapProfile } from '@heapscope/parser';
import { readInputs } from '@heapscope/analyzer';
import type { Backend } from './backend.js';
import { resolveTime } from './profile-time.js';
import { dumpOf, storeSymbolizer, type StoreLoadOptions } from './load.js';
import { profileRows, seenIds, type ProfileRows, type TimeSource } from './profile-rows.js';
import { timeMs } from './selection.js';
import { StoreWriter } from './writer.js';

/** Options of an ingest. */
export interface IngestOptions {
  /** Labels of every profile (`--label k=v`); they win over `pid` and `build` found in the dumps. */
  labels?: Readonly<Record<string, string>>;
  /** Time of dumps that record none: a time (Date, ms, ISO string), or 'auto' (default: the file's mtime). */
  time?: 'auto' | Date | number | string;
  /** Sample rows per write (default 500,000). */
  batchRows?: number;
  /** Called after each batch is written. */
  onProgress?: (progress: IngestProgress) => void;
  /** Stops the ingest between two batches; what was written stays. */
  signal?: AbortSignal;
}

/** Options of `ingestProfiles` (`Store.ingest`): also what the profiles' loading found. */
export interface IngestProfilesOptions extends IngestOptions {
  /** Per profile, the main binary's build id where the dump records none (`symbolizedBuildId`): its `build` label. */
  buildIds?: readonly string[];
}

/** Options of `ingestFiles`: also how the inputs are read. */
export interface IngestFilesOptions extends IngestOptions, StoreLoadOptions {
  /** Inputs read at once on worker threads (the pipeline's `jobs`; default: one per core, at most one per input; 1 reads them on this thread). */
  workers?: number;
}

/** Progress after a batch. */
export interface IngestProgress {
  /** Profiles written or found present so far. */
  done: number;
  total: number;
  sampleRows: number;
}

/** One ingested input. */
export interface IngestedProfile {
  /** The input as given. */
  source: string;
  /** Profile id (decimal). */
  profile: string;
  /** `present`: the store already had it (same content, labels and file name). */
  status: 'ingested' | 'present';
  timeMs: number;
  timeSource: TimeSource;
  sampleRows: number;
  labels: Record<string, string>;
  warnings: string[];
}

/** What an ingest did. */
export interface IngestReport {
  /** In input order. */
  profiles: IngestedProfile[];
  ingested: number;
  present: number;
  /** Sample rows written (profiles that were present count none). */
  sampleRows: number;
  /** Bytes of the input files. */
  bytesRead: number;
  seconds: number;
}

const DEFAULT_BATCH_ROWS = 500_000;
/** Label names: letters, digits, `_`, `.`, `-`, starting with a letter or `_`. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Checks label names; returns a plain copy. */
export function checkLabels(labels: Readonly<Record<string, string>> = {}): Record<string, string> {
  for (const key of Object.keys(labels)) {
    if (!LABEL_NAME.test(key)) throw new TypeError(`label "${key}": a name is letters, digits, _ . - (starting with a letter or _)`);
  }
  return { ...labels };
}

/** Parses `k=v` (as `--label` and `--where` give it). */
export function parseLabel(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new TypeError(`"${text}" is not KEY=VALUE`);
  const key = text.slice(0, at);
  checkLabels({ [key]: '' });
  return [key, text.slice(at + 1)];
}

function givenTime(time: IngestOptions['time']): number | null {
  return time === undefined || time === 'auto' ? null : Math.round(timeMs(time, 'time'));
}

/** A written profile's row of the report. */
function reported(rows: ProfileRows, status: 'ingested' | 'present', warnings: string[]): IngestedProfile {
  const labels: Record<string, string> = {};
  const keys = rows.labels.columns.key as string[];
  const values = rows.labels.columns.value as string[];
  keys.forEach((k, i) => (labels[k] = values[i]));
  return {
    source: rows.source,
    profile: rows.id.toString(),
    status,
    timeMs: Number((rows.profile.columns.time_ms as BigInt64Array)[0]),
    timeSource: (rows.profile.columns.time_source as string[])[0] as TimeSource,
    sampleRows: status === 'ingested' ? rows.samples.length : 0,
    labels,
    warnings,
  };
}

function summary(profiles: IngestedProfile[], bytesRead: number, started: number): IngestReport {
  return {
    profiles,
    ingested: profiles.filter((p) => p.status === 'ingested').length,
    present: profiles.filter((p) => p.status === 'present').length,
    sampleRows: profiles.reduce((n, p) => n + p.sampleRows, 0),
    bytesRead,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Ingests profiles already loaded (and symbolized), on this thread. */
export async function ingestProfiles(backend: Backend, profiles: readonly HeapProfile[], options: IngestProfilesOptions = {}): Promise<IngestReport> {
  const started = performance.now();
  const labels = checkLabels(options.labels);
  const given = givenTime(options.time);
  const writer = new StoreWriter(backend);
  const seen = seenIds();
  const out: IngestedProfile[] = [];
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  let batch: ProfileRows[] = [];
  let pendingRows = 0;
  const flush = async () => {
    options.signal?.throwIfAborted();
    const status = await writer.write(batch);
    batch.forEach((rows, i) => out.push(reported(rows, status[i], [])));
    batch = [];
    pendingRows = 0;
    options.onProgress?.({ done: out.length, total: profiles.length, sampleRows: out.reduce((n, p) => n + p.sampleRows, 0) });
  };
  for (const [i, profile] of profiles.entries()) {
    const time = resolveTime(profile, null, given);
    const rows = profileRows(profile, { ...time, labels, buildId: options.buildIds?.[i], seen });
    batch.push(rows);
    pendingRows += rows.samples.length;
    if (pendingRows >= batchRows) await flush();
  }
  if (batch.length > 0) await flush();
  return summary(out, 0, started);
}

/**
 * Reads, symbolizes and ingests files: the loading pipeline reads them on
 * its worker threads (`workers` at a time, in order), this thread
 * symbolizes them with one symbolizer and writes their rows.
 */
export async function ingestFiles(backend: Backend, paths: readonly string[], options: IngestFilesOptions = {}): Promise<IngestReport> {
  const started = performance.now();
  if (paths.length === 0) return summary([], 0, started);
  // Worker threads have no stdin: the caller reads it (loadDump) and calls `ingestProfiles`.
  if (paths.includes('-')) throw new TypeError('ingestFiles reads files on worker threads: load stdin (-) first and ingest the profile with Store.ingest');
  const load: StoreLoadOptions = { symbolize: options.symbolize, symbols: options.symbols, symbolCache: options.symbolCache };
  const labels = checkLabels(options.labels);
  const given = givenTime(options.time);
  const symbolizer = storeSymbolizer(load);
  // One set for the whole ingest: a series of dumps of one binary sends its stacks once.
  const seen = seenIds();
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const writer = new StoreWriter(backend);
  const results: (IngestedProfile | undefined)[] = new Array(paths.length);
  let bytesRead = 0;
  let failure: Error | null = null;
  let pending: { index: number; rows: ProfileRows; warnings: string[] }[] = [];
  let pendingRows = 0;
  /** Sample rows handed to the writer and not written yet. */
  let writingRows = 0;
  let writing: Promise<void> = Promise.resolve();
  let done = 0;

  const flush = () => {
    const batch = pending;
    const rows = pendingRows;
    pending = [];
    pendingRows = 0;
    writingRows += rows;
    writing = writing.then(async () => {
      if (failure || batch.length === 0) return;
      try {
        options.signal?.throwIfAborted();
        const status = await writer.write(batch.map((b) => b.rows));
        batch.forEach((b, i) => (results[b.index] = reported(b.rows, status[i], b.warnings)));
        done += batch.length;
        options.onProgress?.({ done, total: paths.length, sampleRows: results.reduce((n, p) => n + (p?.sampleRows ?? 0), 0) });
      } catch (error) {
        failure ??= error as Error;
      } finally {
        writingRows -= rows;
      }
    });
    return writing;
  };

  try {
    let index = 0;
    // `workers` undefined: the pipeline's default (the available cores, for inputs large enough to be worth it).
    for await (const read of readInputs(paths, { inputFormat: options.inputFormat, lenient: options.lenient, maxStacks: options.maxStacks, jobs: options.workers })) {
      const path = paths[index];
      // While rows are made and written, the workers read on: at most two batches wait in memory.
      while (pendingRows + writingRows >= 2 * batchRows && !failure) await writing;
      if (failure) break;
      options.signal?.throwIfAborted();
      const dump = await dumpOf(read, path, load, symbolizer);
      const time = resolveTime(dump.profile, dump.mtimeMs, given);
      const rows = profileRows(dump.profile, { ...time, labels, buildId: dump.buildId, seen });
      bytesRead += dump.bytes;
      pending.push({ index, rows, warnings: dump.profile.meta.warnings.map((w) => w.message) });
      pendingRows += rows.samples.length;
      if (pendingRows >= batchRows) void flush();
      index++;
    }
  } catch (error) {
    failure ??= options.signal?.aborted ? abortError(options.signal) : (error as Error);
  }
  if (!failure) await flush();
  else await writing;
  if (failure) throw failure;
  return summary(results as IngestedProfile[], bytesRead, started);
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('ingest aborted');
}
