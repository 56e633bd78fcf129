/**
 * `churn` on the store: allocated versus in use per call site over a
 * selection, equal to the analyzer's `churn` on the merge of its profiles
 * (one snapshot: allocated since the processes started, against what is in
 * use in the dumps). The engine sums the four sample types per site.
 */
import { churnOfPoints, missingCumulativeCounts, type ChurnOptions, type ChurnReport } from '@heapscope/analyzer';
import type { Backend } from '../backend.js';
import type { Selection } from '../selection.js';
import { mergedFacts } from './merged-facts.js';
import { checkStoreOptions, type StoreSiteOptions } from './options.js';
import { byName, flatKeySql, keyNames } from './site-sql.js';

/** Options of `churn` on the store. */
export type StoreChurnOptions = StoreSiteOptions & Pick<ChurnOptions, 'limit'>;

type Four = [number, number, number, number];

/** Churn per call site of a selection. */
export async function storeChurn(backend: Backend, selection: Selection, options: StoreChurnOptions = {}): Promise<ChurnReport> {
  checkStoreOptions(options);
  const by = options.by ?? 'function';
  if (selection.empty) return churnOfPoints([], options);
  const facts = await mergedFacts(backend, selection);
  if (!facts.sampleTypes.has('alloc_objects')) throw missingCumulativeCounts(facts.file, facts.format);
  const d = backend.sql;
  const perStack =
    `SELECT stack, thread, sum(alloc_objects) AS ao, sum(alloc_space) AS asp, sum(inuse_objects) AS io, sum(inuse_space) AS isp ` +
    `FROM ${d.fact('samples')} WHERE ${selection.holds(d)} GROUP BY stack, thread`;
  const rows = await backend.query(
    `SELECT key, sum(ao) AS ao, sum(asp) AS asp, sum(io) AS io, sum(isp) AS isp FROM (${flatKeySql(backend, perStack, by, ['ao', 'asp', 'io', 'isp'])}) GROUP BY key`,
  );
  const names = await keyNames(backend, rows.map((r) => String(r.key)), by);
  const sites = byName<Four>(
    rows.map((r) => ({ key: String(r.key), value: [Number(r.ao), Number(r.asp), Number(r.io), Number(r.isp)] })),
    names,
    (a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]],
  );
  return churnOfPoints([{ file: facts.file, sites, sampled: facts.varianceTypes.size > 0 }], options);
}
