/**
 * The analyses on the store (docs/store.md): `--db DB` (or `$HEAPSCOPE_DB`
 * when no input is given) makes `top`, `sizes`, `growth`, `churn` and
 * `diff` read a selection of the store's profiles instead of input files;
 * `ingest` and `sql` always use a store. What a command does with the
 * store is its own (the library returns the analyzer's report types, so the
 * renderers are the same); here is what every one of them shares: whether
 * the run reads the store, the options that belong to files or to the
 * store only, opening and closing the store, and the selection.
 *
 * The store (and DuckDB's native module with it) is loaded only when a run
 * uses it: a run over files does not pay for loading an engine.
 */
import type { Selection, Store } from '@heapscope/store';
import { counted } from '@heapscope/parser';
import { UsageError } from './io.js';
import type { CommonOptions, StoreOptions } from './options.js';
import type { Run } from './run.js';

type StoreLibrary = typeof import('@heapscope/store');

let library: Promise<StoreLibrary> | undefined;

/** `@heapscope/store`, loaded on first use. */
export function storeLibrary(): Promise<StoreLibrary> {
  library ??= import('@heapscope/store');
  return library;
}

/**
 * The store's options by attribute name, as flags: given without `--db`
 * they are usage errors (they would be silently ignored over files).
 */
const STORE_ONLY: Record<string, string> = {
  where: '--where',
  baseWhere: '--base-where',
  from: '--from',
  to: '--to',
  byLabel: '--by-label',
  bucket: '--bucket',
  lockTimeout: '--lock-timeout',
};

/**
 * Options that read or filter files, by attribute name: given with `--db`
 * they are usage errors. The stack filters are among them because call
 * sites are keyed once, at ingest, with the default rules (docs/store.md).
 */
const FILES_ONLY: Record<string, string> = {
  inputFormat: '--input-format',
  symbols: '--symbols',
  symbolize: '--no-symbolize',
  symbolCache: '--no-symbol-cache',
  shortNames: '--short-names',
  lenient: '--lenient',
  maxStacks: '--max-stacks',
  maxSamples: '--max-samples',
  maxStringBytes: '--max-string-bytes',
  maxDecompressedBytes: '--max-decompressed-bytes',
  keepBadFrames: '--keep-bad-frames',
  sizeArg: '--size-arg',
  allocEvent: '--alloc-event',
  freeEvent: '--free-event',
  focus: '--focus',
  ignore: '--ignore',
  hide: '--hide',
  thread: '--thread',
  keepAllocatorFrames: '--keep-allocator-frames',
  order: '--order',
  windows: '--windows',
  lifetimes: '--lifetimes',
};

/** The environment variable naming the store when none is given (the store's `HEAPSCOPE_DB`). */
const DB_VARIABLE = 'HEAPSCOPE_DB';

/**
 * Whether an analysis reads the store: `--db` given, or no input and
 * `$HEAPSCOPE_DB` set. Checks that the options fit: a store run takes no
 * input files and no file options, a run over files no store option.
 */
export function readsStore(run: Run<CommonOptions & StoreOptions>): boolean {
  const store = run.options.db !== undefined || (run.args.length === 0 && (process.env[DB_VARIABLE] ?? '') !== '');
  if (store) {
    if (run.args.length > 0) throw new UsageError(`--db reads the profiles from the store: give no input files (${run.args[0]}), or no --db`);
    const given = Object.entries(FILES_ONLY).filter(([name]) => run.given(name));
    if (given.length > 0) throw new UsageError(`${given.map(([, flag]) => flag).join(', ')}: for input files, not the store (call sites are keyed at ingest; analyze the files instead)`);
  } else {
    const given = Object.entries(STORE_ONLY).filter(([name]) => run.given(name));
    if (given.length > 0) throw new UsageError(`${given.map(([, flag]) => flag).join(', ')} select profiles of a store: give --db (or set $${DB_VARIABLE})`);
  }
  return store;
}

/** How to open the store. */
export interface OpenOptions {
  /** Only read: the store must exist. */
  readOnly: boolean;
}

/**
 * Opens the run's store (`--db`, else `$HEAPSCOPE_DB`), runs `use` on it and
 * closes it, whatever happens. Errors of the store (not a store,
 * unreachable, locked) are the library's one-line `StoreError`s (exit 1);
 * an option the store cannot apply is a usage error.
 */
export async function withStore<T>(run: Run<CommonOptions & StoreOptions>, how: OpenOptions, use: (store: Store) => Promise<T>): Promise<T> {
  const { openStore, UnsupportedOptionError } = await storeLibrary();
  const timeout = run.options.lockTimeout;
  const store = await openStore(run.options.db, { readOnly: how.readOnly, lockTimeoutMs: timeout === undefined ? undefined : timeout * 1000 });
  try {
    return await use(store);
  } catch (error) {
    if (error instanceof UnsupportedOptionError) throw new UsageError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

/**
 * The profiles `--where` (or `where`), `--from` and `--to` select; why the
 * selection may be empty is a warning of the run, not an error.
 */
export async function selectProfiles(store: Store, run: Run<CommonOptions & StoreOptions>, where: Record<string, string> = run.options.where): Promise<Selection> {
  const selection = await store.select({ where, from: run.options.from, to: run.options.to });
  run.warn(selection.warnings);
  return selection;
}

/** What a store run read, for a report's text: the store, the selection's labels and times, and how many profiles. */
export function selectionName(store: Store, selection: Selection, run: Run<CommonOptions & StoreOptions>, where: Record<string, string> = run.options.where): string {
  const parts = Object.entries(where).map(([k, v]) => `${k}=${v}`);
  if (run.options.from !== undefined) parts.push(`from ${new Date(run.options.from).toISOString()}`);
  if (run.options.to !== undefined) parts.push(`to ${new Date(run.options.to).toISOString()}`);
  return `${store.name} (${parts.length > 0 ? `${parts.join(' ')}, ` : ''}${counted(selection.profiles, 'profile')})`;
}
