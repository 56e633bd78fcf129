/**
 * Importers of allocator statistics (jemalloc, glibc, tcmalloc, mimalloc)
 * and of /proc memory snapshots. See model.ts.
 */
import { ParseContext, type ImportOptions } from '../importers/importer.js';
import type { Input } from '../input/source.js';
import type { AllocatorStats, StatsImporter } from './model.js';
import { jemallocStatsTextImporter } from './jemalloc-text.js';
import { jemallocStatsJsonImporter } from './jemalloc-json.js';
import { glibcMallocInfoImporter } from './glibc-malloc-info.js';
import { glibcMallocStatsImporter } from './glibc-malloc-stats.js';
import { tcmallocStatsImporter } from './tcmalloc.js';
import { mimallocStatsImporter } from './mimalloc.js';
import { procImporter } from './proc.js';

export * from './model.js';
export { parseMarker, type Marker } from './series.js';
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

/** Parses an opened input with a statistics importer; its warnings land in the result. */
export async function parseStats(input: Input, importer: StatsImporter, options: ImportOptions = {}): Promise<AllocatorStats> {
  const ctx = new ParseContext(input.name, importer.id, options);
  const stats = await importer.parse(input, ctx);
  stats.warnings = ctx.warningList();
  return stats;
}
