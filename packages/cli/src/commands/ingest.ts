/**
 * `heapscope ingest --db DB [--label k=v]… INPUT…`: heap dumps into the
 * store (docs/store.md), read and symbolized on worker threads; standard
 * input (`-`) is read here and handed to the store as a loaded profile.
 */
import type { LoadedInput } from '@heapscope/analyzer';
import type { IngestProgress, IngestReport } from '@heapscope/store';
import { existsSync, rmSync } from 'node:fs';
import { ParseError } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import {
  commonOptions,
  dbOption,
  ingestInputOptions,
  ingestLabelOption,
  ingestTimeOption,
  lockTimeoutOption,
  type CommonOptions,
  type InputOptions,
  type StoreOptions,
} from '../options.js';
import type { Progress } from '../progress.js';
import type { Run } from '../run.js';
import { renderIngest } from '../render/ingest.js';
import { storeLibrary, withStore } from '../store-access.js';

interface IngestOptions extends InputOptions, StoreOptions {
  label: Record<string, string>;
  time: 'auto' | number;
}

interface IngestResult {
  report: IngestReport;
  db: string;
}

export const ingestCommand = command<IngestOptions & CommonOptions, IngestResult>({
  name: 'ingest',
  summary: 'heap dumps into a store (DuckDB file or ClickHouse) for the analyses with --db',
  args: [['<input...>', 'heap dumps of any snapshot format (plain, gzip, zstd or zip; - for stdin)']],
  options: [
    dbOption('the store: a DuckDB file (created on first use) or clickhouse://HOST:PORT/DATABASE (default $HEAPSCOPE_DB)'),
    ingestLabelOption(),
    ingestTimeOption(),
    lockTimeoutOption(),
    ...commonOptions(),
    ...ingestInputOptions(),
  ],
  help: `
Each dump becomes one profile of the store: its samples (after unsampling,
with their sampling variances), its labels (given with --label, plus pid
and build where the dump records them) and its time (the dump's own, else
--time, else the file's modification time). Strings, functions, locations
and stacks are stored once however many dumps share them. Ingesting the
same dump again writes nothing ("present"). A profile is visible whole or
not at all: an ingest that fails or is interrupted leaves no partial one.
Files are read on worker threads, one per core; on a terminal a progress
line counts the dumps ingested.

Examples:
  $ heapscope ingest --db fleet.duckdb --label host=$(hostname) /var/tmp/jeprof.*.heap
  $ heapscope ingest --db clickhouse://127.0.0.1:8123/heapscope --label host=web-1 dump.heap
  $ curl -s http://web-1/debug/pprof/heap | heapscope ingest --db fleet.duckdb --label host=web-1 -`,
  async analyze(run) {
    const o = run.options;
    if (run.args.filter((a) => a === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
    const files = run.args.filter((a) => a !== '-');
    // Standard input first: a bad one fails before anything is written.
    const stdin = run.args.includes('-') ? (await run.load(['-']))[0] : undefined;
    if (stdin && (stdin.trace || stdin.stats)) {
      throw new ParseError('-', 1, `${stdin.trace ? 'an event trace' : 'allocator statistics'} (${stdin.profile.meta.format}): the store holds heap snapshots`, stdin.profile.meta.format);
    }
    // A DuckDB file this ingest creates is its output: when the ingest fails before any profile is
    // written (a bad first input, a statistics file), the new, empty store goes too, as a failed -o
    // leaves no file. Profiles written before a failure stay (docs/store.md: ingesting again writes the rest).
    const library = await storeLibrary();
    const location = library.parseDbLocation(o.db);
    const created = location.kind === 'duckdb' && !existsSync(location.path) ? location.path : undefined;
    try {
      return await ingestInto(run, stdin, files);
    } catch (error) {
      if (created !== undefined && (await profileCount(created)) === 0) for (const path of [created, `${created}.wal`]) rmSync(path, { force: true });
      throw error;
    }
  },
  output: {
    kind: 'report',
    json: ({ report, db }, run) => ({ db, ...report, warnings: run.warnings }),
    text: ({ report, db }) => renderIngest(report, db),
  },
});

/** Profiles in the DuckDB store at `path`, or undefined when it cannot be read (then it is left alone). */
async function profileCount(path: string): Promise<number | undefined> {
  try {
    const store = await (await storeLibrary()).openStore(path, { readOnly: true });
    try {
      return Number((await store.sql('SELECT count(*) FROM profiles')).rows[0][0]);
    } finally {
      await store.close();
    }
  } catch {
    return undefined;
  }
}

/** Ingests the files and the loaded standard input into the run's store. */
async function ingestInto(run: Run<IngestOptions & CommonOptions>, stdin: LoadedInput | undefined, files: readonly string[]): Promise<IngestResult> {
  const o = run.options;
  return withStore(run, { readOnly: false }, async (store) => {
    const load = { inputFormat: o.inputFormat, lenient: o.lenient, maxStacks: o.maxStacks, symbolize: o.symbolize, symbols: o.symbols, symbolCache: o.symbolCache };
    const fromFiles = files.length > 0 ? await ingestWithProgress(run.progress(), (onProgress) => store.ingestFiles(files, { ...load, workers: o.jobs, labels: o.label, time: o.time, onProgress })) : undefined;
    // Standard input has no modification time: with --time auto, its time is now.
    const fromStdin = stdin ? await store.ingest([stdin.profile], { labels: o.label, time: o.time === 'auto' ? Date.now() : o.time, buildIds: [await (await storeLibrary()).symbolizedBuildId(stdin)] }) : undefined;
    const report = joined(run.args, fromFiles, fromStdin);
    for (const p of report.profiles) run.warn(p.warnings.map((w) => `${p.source}: ${w}`));
    return { report, db: store.name };
  });
}

/** Runs an ingest with a count of the dumps done on the progress line (a terminal only), erased at the end. */
async function ingestWithProgress(progress: Progress, ingest: (onProgress?: (p: IngestProgress) => void) => Promise<IngestReport>): Promise<IngestReport> {
  const count = progress.counter('ingested', 'dump');
  try {
    return await ingest(count && ((p) => count(p.done, p.total)));
  } finally {
    progress.done();
  }
}

/** The reports of the files and of standard input as one, its profiles in the order of the arguments. */
function joined(args: readonly string[], files: IngestReport | undefined, stdin: IngestReport | undefined): IngestReport {
  const parts = [files, stdin].filter((r): r is IngestReport => r !== undefined);
  const fileProfiles = [...(files?.profiles ?? [])];
  const profiles = args.map((a) => (a === '-' ? stdin!.profiles[0] : fileProfiles.shift()!));
  const sum = (f: (r: IngestReport) => number) => parts.reduce((n, r) => n + f(r), 0);
  return { profiles, ingested: sum((r) => r.ingested), present: sum((r) => r.present), sampleRows: sum((r) => r.sampleRows), bytesRead: sum((r) => r.bytesRead), seconds: sum((r) => r.seconds) };
}
