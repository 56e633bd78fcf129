/**
 * `top` and `diff` on the store: per-site flat and cum of one sample type
 * over a selection — equal to the analyzer's `top` over the selected
 * profiles (their values, and on sampled profiles their variances, add
 * up); `diff` to its `diffTop` of the two selections (the other selection
 * minus the base, the variances of both added).
 *
 * Each sample's variance is stored at ingest (`<type>_variance`, by the
 * analyzer's formula); the engine sums it per site exactly as it sums the
 * values, and the analyzer's `topOfSums` turns both into rows.
 */
import { topOfSums, type TopOptions, type TopReport } from '@heapscope/analyzer';
import type { Backend, Row } from '../backend.js';
import { STORED_SAMPLE_TYPES, varianceColumn, type StoredValueType } from '../schema.js';
import type { Selection } from '../selection.js';
import { chooseSampleType, mergedFacts } from './merged-facts.js';
import { byName, keyNames, keySumsSql } from './site-sql.js';
import { checkStoreOptions, type StoreSiteOptions } from './options.js';

/** Options of `top` and `diff` on the store. */
export type StoreTopOptions = StoreSiteOptions & Pick<TopOptions, 'sampleType' | 'sort' | 'limit'>;

/** Call sites of a selection ranked by flat (or cum) value. */
export async function storeTop(backend: Backend, selection: Selection, options: StoreTopOptions = {}): Promise<TopReport> {
  checkStoreOptions(options);
  const by = options.by ?? 'function';
  if (selection.empty) return emptyTop(options, by);
  const facts = await mergedFacts(backend, selection);
  const type = chooseSampleType(facts, options.sampleType);
  const d = backend.sql;
  const inner = `SELECT stack, thread, sum(${type.type}) AS v, sum(${varianceColumn(type.type)}) AS sv FROM ${d.fact('samples')} WHERE ${selection.holds(d)} GROUP BY stack, thread`;
  return sumsToReport(backend, inner, type, by, facts.varianceTypes.has(type.type), options);
}

/** Per-site change from `base` to `other`: signed flat and cum. */
export async function storeDiff(backend: Backend, base: Selection, other: Selection, options: StoreTopOptions = {}): Promise<TopReport> {
  checkStoreOptions(options);
  const by = options.by ?? 'function';
  if (base.empty || other.empty) return emptyTop(options, by);
  const [b, o] = [await mergedFacts(backend, base), await mergedFacts(backend, other)];
  // The diff has the sample types both merges have; its default is the other's.
  const shared = new Set([...o.sampleTypes].filter((t) => b.sampleTypes.has(t)));
  const type = chooseSampleType({ sampleTypes: shared, defaultSampleType: o.defaultSampleType, file: `${o.file} − ${b.file}` }, options.sampleType);
  const d = backend.sql;
  const inBase = base.holds(d);
  const inOther = other.holds(d);
  const variance = varianceColumn(type.type);
  // Per sample identity (stack, thread, labels), as the merge: a stack equal
  // in both selections comes out exactly zero before the sites add up. Its
  // noise does not cancel: the variances of both sides add.
  const perSample =
    `SELECT stack, thread, labels, sum(CASE WHEN ${inBase} THEN ${type.type} ELSE 0 END) AS b, sum(CASE WHEN ${inOther} THEN ${type.type} ELSE 0 END) AS o, ` +
    `sum(CASE WHEN ${inBase} THEN ${variance} ELSE 0 END) + sum(CASE WHEN ${inOther} THEN ${variance} ELSE 0 END) AS sv ` +
    `FROM ${d.fact('samples')} WHERE ${inBase} OR ${inOther} GROUP BY stack, thread, labels`;
  const sampled = b.varianceTypes.has(type.type) || o.varianceTypes.has(type.type);
  return sumsToReport(backend, `SELECT stack, thread, o - b AS v, sv FROM (${perSample})`, type, by, sampled, options);
}

/** The report from `inner` (columns stack, thread, v: the value, sv: its variance); error bars when `sampled`. */
async function sumsToReport(backend: Backend, inner: string, type: StoredValueType, by: StoreTopOptions['by'] & string, sampled: boolean, options: StoreTopOptions): Promise<TopReport> {
  const rows = await backend.query(keySumsSql(backend, inner, by, ['v', 'sv']));
  // Every sample has exactly one flat key (`(no stack)` when it has no site): the flat values add up to the total.
  const total = rows.reduce((sum, r) => sum + Number(r.flat_v), 0);
  const names = await keyNames(backend, rows.map((r) => String(r.key)), by);
  const perName = (column: string) => byName(rows.map((r: Row) => ({ key: String(r.key), value: Number(r[column]) })), names, (x, y) => x + y);
  const variance = sampled ? { variance: { flat: perName('flat_sv'), cum: perName('cum_sv') } } : {};
  // Without filters every sample is kept: shown is the total.
  return topOfSums({ type, by, total, shown: total, flat: perName('flat_v'), cum: perName('cum_v'), ...variance }, options);
}

function emptyTop(options: StoreTopOptions, by: TopReport['by']): TopReport {
  const type = STORED_SAMPLE_TYPES.find((t) => t.type === (options.sampleType ?? 'inuse_space')) ?? STORED_SAMPLE_TYPES[3];
  return topOfSums({ type, by, total: 0, shown: 0, flat: new Map(), cum: new Map() }, options);
}
