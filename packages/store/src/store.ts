/**
 * The store: open one by name, ingest dumps, select profiles, run the
 * analyses on a selection — each returning the analyzer's report type —
 * or any SQL on the documented schema (docs/store.md).
 *
 *   const store = await openStore('heap.duckdb');
 *   await store.ingestFiles(paths, { labels: { host: 'web-1' } });
 *   const report = await store.top(await store.select({ where: { host: 'web-1' } }));
 *   await store.close();
 */
import type { ChurnReport, GrowthReport, SizesReport, TopReport } from '@heapscope/analyzer';
import type { HeapProfile } from '@heapscope/parser';
import type { Backend, SqlResult } from './backend.js';
import { openClickHouse } from './clickhouse-backend.js';
import { parseDbLocation } from './db-location.js';
import { openDuckDb } from './duckdb-backend.js';
import { StoreError } from './errors.js';
import { ingestFiles, ingestProfiles, type IngestFilesOptions, type IngestProfilesOptions, type IngestReport } from './ingest.js';
import { SCHEMA_VERSION } from './schema.js';
import { resolveSelection, type Selection, type SelectionFilter } from './selection.js';
import { storeChurn, type StoreChurnOptions } from './analyses/churn.js';
import { storeGrowth, storeGrowthBy, type GrowthSeriesReport, type StoreGrowthOptions } from './analyses/growth.js';
import { storeSizes, type StoreSizesOptions } from './analyses/sizes.js';
import { storeDiff, storeTop, type StoreTopOptions } from './analyses/top.js';

/** How to open a store. */
export interface OpenStoreOptions {
  /** Only read: the store must exist (analyses, `sql`). Default false: created on first use. */
  readOnly?: boolean;
  /** DuckDB: how long to wait for another process writing the file (default 60 s). */
  lockTimeoutMs?: number;
}

/** An open store. */
export class Store {
  constructor(
    /** The engine and its database. */
    readonly backend: Backend,
  ) {}

  /** `duckdb` or `clickhouse`. */
  get engine(): 'duckdb' | 'clickhouse' {
    return this.backend.engine;
  }

  /** The store as named when opened (password hidden). */
  get name(): string {
    return this.backend.display;
  }

  /** Ingests loaded (and symbolized) profiles; times from the dumps, else `options.time`. */
  ingest(profiles: readonly HeapProfile[], options: IngestProfilesOptions = {}): Promise<IngestReport> {
    return ingestProfiles(this.backend, profiles, options);
  }

  /** Reads, symbolizes and ingests files on worker threads (`heapscope ingest`). */
  ingestFiles(paths: readonly string[], options: IngestFilesOptions = {}): Promise<IngestReport> {
    return ingestFiles(this.backend, paths, options);
  }

  /** The profiles matching `filter` (all when empty); see `Selection.warnings` for why it may be empty. */
  select(filter: SelectionFilter = {}): Promise<Selection> {
    return resolveSelection(this.backend, filter);
  }

  /** As the analyzer's `top` over the selected profiles (the values of their merge; each one's sampling variances added). */
  top(selection: Selection, options: StoreTopOptions = {}): Promise<TopReport> {
    return storeTop(this.backend, selection, options);
  }

  /** As the analyzer's `sizes` on the merge of the selected profiles. */
  sizes(selection: Selection, options: StoreSizesOptions = {}): Promise<SizesReport> {
    return storeSizes(this.backend, selection, options);
  }

  /** As the analyzer's `churn` on the merge of the selected profiles. */
  churn(selection: Selection, options: StoreChurnOptions = {}): Promise<ChurnReport> {
    return storeChurn(this.backend, selection, options);
  }

  /** Growth over the selected profiles in time order (one point per profile, or per `bucket`). */
  growth(selection: Selection, options: StoreGrowthOptions = {}): Promise<GrowthReport> {
    return storeGrowth(this.backend, selection, options);
  }

  /** Growth split into one series per value of `label` (e.g. per host). */
  growthBy(selection: Selection, label: string, options: StoreGrowthOptions = {}): Promise<GrowthSeriesReport> {
    return storeGrowthBy(this.backend, selection, label, options);
  }

  /** `other` minus `base`, per site (as the analyzer's `diffTop` of the two selections' profiles). */
  diff(base: Selection, other: Selection, options: StoreTopOptions = {}): Promise<TopReport> {
    return storeDiff(this.backend, base, other, options);
  }

  /** Runs a query on the store's schema (`heapscope sql`). */
  sql(query: string): Promise<SqlResult> {
    return this.backend.userQuery(query);
  }

  /** Bytes the store takes on disk (DuckDB: after a checkpoint; ClickHouse: active parts on every server). */
  sizeBytes(): Promise<number> {
    return this.backend.sizeBytes();
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/**
 * Opens the store `db` (a DuckDB file path, `clickhouse://HOST:PORT/DATABASE`,
 * or, when undefined, `$HEAPSCOPE_DB`), creating its schema on first use
 * unless read-only. Throws {@link StoreError} (one line) when the store
 * cannot be used: not a DuckDB file, unreachable, locked, not a heapscope
 * store, or a schema newer than this code.
 */
export async function openStore(db?: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseDbLocation(db);
  const readOnly = options.readOnly === true;
  const backend =
    location.kind === 'duckdb'
      ? await openDuckDb(location.path, location.display, { readOnly, lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS })
      : await openClickHouse(location);
  try {
    await checkSchema(backend, readOnly);
  } catch (error) {
    await backend.close();
    throw error;
  }
  return new Store(backend);
}

/**
 * What an older schema lacks, by version. Why no migration: the variances
 * come from the analyzer's formula over each sample (sampling-error.ts);
 * filling them into a store would copy that formula into SQL for both
 * engines, and rewrite every sample row (on ClickHouse, every part), where
 * ingesting the dumps again uses the one formula.
 */
const OLDER_SCHEMAS: Record<number, string> = {
  1: 'its samples have no sampling variances (error bars)',
};

/** Creates the schema of a new store; refuses a database that is not a heapscope store, or a newer schema. */
async function checkSchema(backend: Backend, readOnly: boolean): Promise<void> {
  const version = await backend.schemaVersion();
  if (version === null) {
    const tables = await backend.tableNames();
    if (tables.length > 0) throw new StoreError(backend.display, `not a heapscope store (it has other tables: ${tables.slice(0, 5).join(', ')})`);
    if (readOnly) throw new StoreError(backend.display, 'an empty database, not a heapscope store yet (ingest creates it)');
    await backend.createSchema(SCHEMA_VERSION);
    return;
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(backend.display, `store schema version ${version} is newer than this heapscope reads (${SCHEMA_VERSION}): use a newer heapscope`);
  }
  if (version < SCHEMA_VERSION) {
    throw new StoreError(backend.display, `store schema version ${version} is older than this heapscope reads (${SCHEMA_VERSION}): ${OLDER_SCHEMAS[version] ?? 'it lacks columns this one needs'}; ingest the dumps again into a new store`);
  }
}
