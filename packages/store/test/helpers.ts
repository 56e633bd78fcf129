/**
 * Test helpers of the store: the same dumps loaded as the store loads them
 * (for the analyzer's answer); and, from the testkit (the CLI's tests use
 * them too), a local two-shard ClickHouse cluster, dumps staged with known
 * times, and a comparison of reports that allows for the order in which an
 * engine adds.
 */
import { join } from 'node:path';
import type { HeapProfile } from '@heapscope/parser';
import { loadDump, storeSymbolizer, type StoreLoadOptions } from '../src/load.js';
import { FIXTURES } from '@heapscope/testkit/paths';

export { HOUR_MS, clusterForTests, expectSameReport, stageDumps, startCluster, type Cluster } from '@heapscope/testkit/store';

/** How the tests read dumps: against the fixture workload binary, no symbol cache. */
export const LOAD: StoreLoadOptions = { symbols: [join(FIXTURES, 'bin', 'workload')], symbolCache: false };

/** The dumps as the store reads them (one symbolizer, as one worker). */
export async function loadAll(paths: readonly string[], options: StoreLoadOptions = LOAD): Promise<HeapProfile[]> {
  const symbolizer = storeSymbolizer(options);
  const out: HeapProfile[] = [];
  for (const p of paths) out.push((await loadDump(p, options, symbolizer)).profile);
  return out;
}
