import { openStore } from '@heapscope/store';
import { top, mergeProfiles } from '@heapscope/analyzer';
import { loadDump, storeSymbolizer } from '../dist/load.js';
import { rmSync } from 'node:fs';
const LOAD = { symbols: ['/work/hstore/fixtures/bin/workload'], symbolCache: false };
const files = ['/work/shared/corpus/pprof-legacy/cppbench.heap', '/work/shared/corpus/pprof-legacy/gobench.heap', '/work/shared/corpus/jemalloc/habersaat-manual-profile.heap', '/work/shared/corpus/jemalloc/pprof-pr690-jemalloc.heap'];
for (const f of files) {
  rmSync('/tmp/c.duckdb', { force: true }); rmSync('/tmp/c.duckdb.wal', { force: true });
  const store = await openStore('/tmp/c.duckdb');
  await store.ingestFiles([f], LOAD);
  const sel = await store.select();
  const a = await store.top(sel, { sampleType: 'alloc_objects' in {} ? undefined : undefined });
  const p = (await loadDump(f, LOAD, storeSymbolizer(LOAD))).profile;
  const b = top([mergeProfiles([p])]);
  const an = a.rows.map((r) => r.name).sort(); const bn = b.rows.map((r) => r.name).sort();
  console.log(f, a.rows.length, b.rows.length, an.filter((x) => !bn.includes(x)).slice(0, 3), bn.filter((x) => !an.includes(x)).slice(0, 3), p.meta.timeNs);
  await store.close();
}
