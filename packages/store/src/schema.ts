/**
 * The store's schema, one description for both engines (docs/store.md
 * documents it for `heapscope sql`).
 *
 * - `profiles`: one row per ingested dump; `profile_labels`: its labels.
 * - `samples`: a profile's samples (stack, thread, the four heap sample
 *   types after unsampling, and each one's sampling variance).
 * - `strings`, `functions`, `locations`, `stacks`, `threads`: deduplicated
 *   rows keyed by content hashes (`content-hash.ts`): the same stack from a
 *   thousand hosts is one row.
 *
 * A profile becomes visible with its `profiles` row, written last: its
 * samples and labels carry the same `(profile, ingest)` pair, and every
 * query reaches samples through the profiles it selects. DuckDB also
 * writes each batch in one transaction; on ClickHouse, rows of an
 * interrupted ingest stay invisible (no `profiles` row names their
 * `ingest`).
 *
 * On a ClickHouse cluster the fact tables (`profiles`, `profile_labels`,
 * `samples`) are MergeTree tables `<name>_local` on every shard behind a
 * `Distributed` table `<name>` sharded by profile id, so a profile's rows
 * live on one shard; the dictionary tables are ReplacingMergeTree tables on
 * every server, written through a `Distributed` table over a cluster whose
 * one shard has every server as a replica (so every shard can join them).
 */

/**
 * The schema version this code writes and reads. Bumped on any change to the tables below.
 *
 * - 1: the first.
 * - 2: samples carry each sample type's sampling variance (`*_variance`), profiles the types that have one (`variance_types`).
 */
export const SCHEMA_VERSION = 2;

/** Column types, named as ClickHouse does; `sql-dialect.ts` maps them for DuckDB. */
export type ColumnType = 'Int64' | 'Int32' | 'UInt8' | 'Float64' | 'String' | 'Array(Int64)' | 'Array(Int32)' | 'Array(String)';

/** One column: name, type, and what it holds (for docs/store.md). */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  doc: string;
}

/** A table of the schema. */
export interface TableSpec {
  name: string;
  /** `fact`: sharded by profile; `dictionary`: deduplicated by `key`, on every server; `meta`: the schema version. */
  kind: 'fact' | 'dictionary' | 'meta';
  /** The column that identifies a row (dictionary tables), or the sort key's first column. */
  key: string;
  /** ClickHouse sort key. */
  orderBy: string[];
  doc: string;
  columns: ColumnSpec[];
}

const c = (name: string, type: ColumnType, doc: string): ColumnSpec => ({ name, type, doc });

/** The sample types the store keeps, as columns of `samples`, with their units. */
export const STORED_SAMPLE_TYPES = [
  { type: 'alloc_objects', unit: 'count' },
  { type: 'alloc_space', unit: 'bytes' },
  { type: 'inuse_objects', unit: 'count' },
  { type: 'inuse_space', unit: 'bytes' },
] as const;

/** A stored sample type, with its unit. */
export type StoredValueType = (typeof STORED_SAMPLE_TYPES)[number];

/** A stored sample type's name. */
export type StoredSampleType = StoredValueType['type'];

/** The column of `samples` that holds the sampling variance of a stored sample type's values. */
export function varianceColumn(type: StoredSampleType): string {
  return `${type}_variance`;
}

/** Whether `type` is a column of `samples`. */
export function isStoredSampleType(type: string): type is StoredSampleType {
  return STORED_SAMPLE_TYPES.some((t) => t.type === type);
}

export const TABLES: readonly TableSpec[] = [
  {
    name: 'heapscope_meta',
    kind: 'meta',
    key: 'key',
    orderBy: ['key'],
    doc: 'facts about the store itself: `schema_version`',
    columns: [c('key', 'String', 'fact name'), c('value', 'String', 'its value')],
  },
  {
    name: 'profiles',
    kind: 'fact',
    key: 'profile',
    orderBy: ['profile'],
    doc: 'one row per ingested dump; a profile is visible once this row exists',
    columns: [
      c('profile', 'Int64', 'profile id: hash of the content, the labels and the source file name'),
      c('ingest', 'Int64', 'id of the ingest that wrote it; samples and labels carry the same pair'),
      c('time_ms', 'Int64', 'dump time, ms since 1970-01-01 UTC (from the dump, else the file, else given)'),
      c('time_source', 'String', '`dump`, `mtime` or `given`: where time_ms came from'),
      c('source', 'String', 'the input as given to ingest (path)'),
      c('format', 'String', 'importer id: `jemalloc`, `gperftools`, `pprof`, …'),
      c('variant', 'String', 'producer detail: `heap_v2`, …'),
      c('sample_types', 'Array(String)', 'the sample types the dump has (the others are 0 in samples)'),
      c('default_type', 'String', 'the sample type shown when none is asked for'),
      c('sampling_model', 'String', '`poisson`, `uniform` or `none`'),
      c('sampling_period', 'Float64', 'sampling period R in bytes (0: every allocation recorded)'),
      c('variance_types', 'Array(String)', 'the sample types whose values carry a sampling variance in samples (empty when every allocation was recorded)'),
      c('size_kind', 'String', '`exact`, `average-requested` or `average-usable`'),
      c('pid', 'Int64', 'process id, -1 when unknown'),
      c('dump_seq', 'Int64', "producer's dump sequence number, -1 when unknown"),
      c('dump_kind', 'String', 'jemalloc dump kind (`f`, `i`, `m`, `u`) or empty'),
      c('binary_name', 'String', 'file name of the main binary, or empty'),
      c('build_id', 'String', "the main binary's GNU build id, or empty"),
      c('sample_count', 'Int64', 'rows in samples'),
      c('total_alloc_objects', 'Float64', 'sum of alloc_objects over the samples'),
      c('total_alloc_space', 'Float64', 'sum of alloc_space'),
      c('total_inuse_objects', 'Float64', 'sum of inuse_objects'),
      c('total_inuse_space', 'Float64', 'sum of inuse_space'),
      c('warnings', 'Array(String)', 'warnings from reading and symbolizing the dump'),
      c('ingested_ms', 'Int64', 'when it was ingested, ms since 1970-01-01 UTC'),
    ],
  },
  {
    name: 'profile_labels',
    kind: 'fact',
    key: 'profile',
    orderBy: ['key', 'value', 'profile'],
    doc: 'labels of profiles: given at ingest, plus `pid` and `build` where the dump records them',
    columns: [c('profile', 'Int64', 'profile id'), c('ingest', 'Int64', 'ingest id'), c('key', 'String', 'label name'), c('value', 'String', 'label value')],
  },
  {
    name: 'samples',
    kind: 'fact',
    key: 'profile',
    orderBy: ['profile', 'stack'],
    doc: "a profile's samples, values after unsampling (fractional), and the variance of each value due to sampling; a sample type the dump lacks is 0",
    columns: [
      c('profile', 'Int64', 'profile id'),
      c('ingest', 'Int64', 'ingest id'),
      c('stack', 'Int64', 'stack id (stacks.stack)'),
      c('thread', 'Int64', 'thread id (threads.thread), 0 when the sample has no thread'),
      c('labels', 'Int64', 'string id of the numeric sample labels (`bytes=…;zygote=…`) when the dump has labels besides bytes, else 0'),
      c('alloc_objects', 'Float64', 'objects allocated (cumulative)'),
      c('alloc_space', 'Float64', 'bytes allocated (cumulative)'),
      c('inuse_objects', 'Float64', 'objects in use'),
      c('inuse_space', 'Float64', 'bytes in use'),
      c('alloc_objects_variance', 'Float64', "the variance of alloc_objects due to sampling (N̂·(1 − p)/p, p the chance that one of the sample's objects was recorded); 0 when every allocation was recorded"),
      c('alloc_space_variance', 'Float64', 'the variance of alloc_space (N̂·Z̄²·(1 − p)/p, Z̄ the average size)'),
      c('inuse_objects_variance', 'Float64', 'the variance of inuse_objects'),
      c('inuse_space_variance', 'Float64', 'the variance of inuse_space'),
    ],
  },
  {
    name: 'strings',
    kind: 'dictionary',
    key: 'string',
    orderBy: ['string'],
    doc: 'the names analyses group by (functions, modules, files, whole stacks) and sample label strings',
    columns: [c('string', 'Int64', 'string id: hash of the value'), c('value', 'String', 'the string')],
  },
  {
    name: 'functions',
    kind: 'dictionary',
    key: 'function',
    orderBy: ['function'],
    doc: 'symbolized functions',
    columns: [
      c('function', 'Int64', 'function id: hash of the four columns below'),
      c('name', 'String', 'display (demangled) name'),
      c('system_name', 'String', 'raw (mangled) name'),
      c('file', 'String', 'source file, or empty'),
      c('start_line', 'Int32', 'first line, 0 when unknown'),
    ],
  },
  {
    name: 'locations',
    kind: 'dictionary',
    key: 'location',
    orderBy: ['location'],
    doc: 'code locations: a place in a binary and its source lines (innermost inlined function first)',
    columns: [
      c('location', 'Int64', 'location id: hash of the mapping (path, build id, size, file offset), the offset in it and the lines'),
      c('module', 'String', 'file name of the mapping, or empty'),
      c('mapping_path', 'String', "the mapping's path as the dump gives it"),
      c('build_id', 'String', "the mapping's build id, or empty"),
      c('file_offset', 'Int64', 'offset of the address in the mapped file (the address itself when outside any mapping)'),
      c('line_functions', 'Array(Int64)', 'function id of each line, innermost first; empty when not symbolized'),
      c('line_numbers', 'Array(Int32)', 'source line of each line, 0 when unknown'),
    ],
  },
  {
    name: 'stacks',
    kind: 'dictionary',
    key: 'stack',
    orderBy: ['stack'],
    doc: 'call stacks as a prefix tree: a stack is its leaf location and its parent (the stack without that frame)',
    columns: [
      c('stack', 'Int64', 'stack id: hash of the parent id and the location id; 0 is the empty stack'),
      c('parent', 'Int64', 'the stack without its leaf frame; 0 at the root'),
      c('location', 'Int64', 'the leaf location (locations.location); 0 for the empty stack'),
    ],
  },
  {
    name: 'stack_sites',
    kind: 'dictionary',
    key: 'stack',
    orderBy: ['stack'],
    doc: "the call-site keys of each stack that samples name, as the analyses group by them (allocator frames dropped at the leaf, as jeprof does)",
    columns: [
      c('stack', 'Int64', 'stack id (stacks.stack)'),
      c('site_functions', 'Array(Int64)', 'string ids of the functions on the call-site path, leaf (call site) first, each once; `(no stack)` when none'),
      c('site_modules', 'Array(Int64)', 'the same path by module'),
      c('site_files', 'Array(Int64)', 'the same path by source file'),
      c('site_stack', 'Int64', 'string id of the whole call-site path, `leaf < caller < …`'),
    ],
  },
  {
    name: 'threads',
    kind: 'dictionary',
    key: 'thread',
    orderBy: ['thread'],
    doc: 'threads samples are attributed to',
    columns: [c('thread', 'Int64', 'thread id: hash of key and name'), c('key', 'String', "producer's thread key"), c('name', 'String', 'thread name, or empty')],
  },
];

/** A table by name. */
export function table(name: string): TableSpec {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`no table ${name}`);
  return t;
}

/** The dictionary tables, in the order an ingest writes them (a stack's location before it). */
export const DICTIONARY_TABLES = ['strings', 'functions', 'locations', 'stacks', 'stack_sites', 'threads'] as const;
export type DictionaryTable = (typeof DICTIONARY_TABLES)[number];
