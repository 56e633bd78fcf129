/**
 * @heapscope/store — the profile store: dumps ingested into DuckDB (one
 * file, embedded, the default) or a ClickHouse cluster, and the analyses
 * run as SQL on a selection of them, returning the analyzer's reports
 * (docs/store.md).
 */
export { openStore, Store, type OpenStoreOptions } from './store.js';
export { StoreError } from './errors.js';
export { parseDbLocation, HEAPSCOPE_DB, type DbLocation, type DuckDbLocation, type ClickHouseLocation } from './db-location.js';
export { Selection, type SelectionFilter } from './selection.js';
export {
  checkLabels,
  parseLabel,
  type IngestOptions,
  type IngestProfilesOptions,
  type IngestFilesOptions,
  type IngestProgress,
  type IngestReport,
  type IngestedProfile,
} from './ingest.js';
export { loadDump, storeSymbolizer, symbolizedBuildId, type StoreLoadOptions, type LoadedDump } from './load.js';
export type { SqlResult, Backend } from './backend.js';
export { SCHEMA_VERSION, TABLES, STORED_SAMPLE_TYPES, type TableSpec, type ColumnSpec } from './schema.js';
export { UnsupportedOptionError, type StoreSiteOptions } from './analyses/options.js';
export type { StoreTopOptions } from './analyses/top.js';
export type { StoreSizesOptions } from './analyses/sizes.js';
export type { StoreChurnOptions } from './analyses/churn.js';
export { bucketMs, type StoreGrowthOptions, type GrowthSeriesReport, type LabeledGrowth } from './analyses/growth.js';
export { ClickHouseBackend } from './clickhouse-backend.js';
