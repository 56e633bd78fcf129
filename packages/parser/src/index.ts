/**
 * @heapscope/parser — the profile model, input layer (files, stdin, gzip,
 * zip), format detection, importers and symbolization.
 */
export * from './errors.js';
export * from './plural.js';
export * from './model/address.js';
export * from './model/columns.js';
export * from './model/pair-index.js';
export * from './model/string-table.js';
export * from './model/profile.js';
export * from './model/builder.js';
export * from './model/integrity.js';
export * from './model/symbols.js';
export * from './input/lines.js';
export * from './input/source.js';
export * from './importers/importer.js';
export * from './trace/sink.js';
export * from './importers/unsample.js';
export * from './importers/dump-name.js';
export * from './importers/pprof-facts.js';
export { jemallocImporter } from './importers/jemalloc.js';
export { gperftoolsImporter } from './importers/gperftools.js';
export { androidRecordAllocsImporter, type RecordAllocsFacts } from './importers/android-record-allocs.js';
export { androidHeapDumpImporter } from './importers/android-heap-dump.js';
export { perfScriptImporter, type PerfScriptFacts } from './importers/perf-script.js';
export { heaptrackImporter, type HeaptrackFacts } from './importers/heaptrack.js';
export { memrayImporter, MEMRAY_ALLOCATORS } from './importers/memray.js';
export * from './stats/index.js';
export * from './formats.js';
export * from './foreign-formats.js';
export * from './load.js';
export * from './symbolize/index.js';
