/**
 * Importers of allocator statistics (jemalloc, glibc, tcmalloc, mimalloc)
 * and of /proc memory snapshots. See model.ts.
 */
import type { StatsImporter } from './model.js';
import { jemallocStatsTextImporter } from './jemalloc-text.js';
import { jemallocStatsJsonImporter } from './jemalloc-json.js';
import { glibcMallocInfoImporter } from './glibc-malloc-info.js';
import { glibcMallocStatsImporter } from './glibc-malloc-stats.js';
import { tcmallocStatsImporter } from './tcmalloc.js';
import { mimallocStatsImporter } from './mimalloc.js';
import { procImporter } from './proc.js';

export * from './model.js';
export { parseMarker, type Marker } from './dump-reader.js';
export {
  jemallocStatsTextImporter,
  jemallocStatsJsonImporter,
  glibcMallocInfoImporter,
  glibcMallocStatsImporter,
  tcmallocStatsImporter,
  mimallocStatsImporter,
  procImporter,
};

/** Every statistics importer, for the registry in formats.ts. */
export const statsImporters: readonly StatsImporter[] = [
  jemallocStatsTextImporter,
  jemallocStatsJsonImporter,
  glibcMallocInfoImporter,
  glibcMallocStatsImporter,
  tcmallocStatsImporter,
  mimallocStatsImporter,
  procImporter,
];
