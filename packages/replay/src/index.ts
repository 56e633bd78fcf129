/**
 * @heapscope/replay — a trace's allocation operations replayed against real
 * allocators (glibc, jemalloc, tcmalloc, mimalloc, or any preloadable
 * library) by a native replayer, and real commands tried under each
 * allocator. Returns data; the CLI renders it (docs/replay.md).
 */
export * from './allocators.js';
export * from './op-stream.js';
export * from './encode.js';
export * from './replayer.js';
export * from './replay.js';
export * from './trial.js';
export * from './verdict.js';
export { median } from './measures.js';
