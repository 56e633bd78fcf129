/**
 * @heapscope/analyzer — pure analyses from the model to plain,
 * JSON-serializable reports. Nothing here prints.
 */
export * from './frames.js';
export * from './frame-table.js';
export * from './allocator-frames.js';
export * from './sample-type.js';
export * from './sites.js';
export * from './top.js';
export * from './info.js';
export * from './peak.js';
export * from './profile-kind.js';
export * from './accumulate/live-set.js';
export * from './accumulate/accumulator.js';
export * from './pipeline/read-input.js';
export * from './pipeline/read-pool.js';
export { packInput, unpackInput, type PackedInput } from './pipeline/packed-input.js';
export { errorData, rebuildError, type ErrorData } from './pipeline/read-protocol.js';
export * from './pipeline/symbolize-inputs.js';
export * from './pipeline/load-profiles.js';
export * from './merge.js';
export * from './size-classes.js';
export * from './sizes.js';
export * from './snapshot-series.js';
export * from './growth.js';
export * from './churn.js';
export * from './diagnose/diagnose.js';
export * from './units.js';
export * from './finite.js';
export * from './whole-numbers.js';
export * from './call-tree.js';
export * from './flame.js';
export * from './sampling-error.js';
export * from './waste/bins.js';
export * from './waste/mixed-sizes.js';
export * from './waste/fragmentation.js';
export * from './waste/row-class.js';
export * from './waste/waste-tally.js';
export * from './waste/size-class-waste.js';
export * from './error-bar-coverage.js';
export * from './memory-over-time.js';
export * from './call-tree-views.js';
