/**
 * `top` and `diff` on the store: per-site flat and cum of one sample type
 * over a selection — equal to the analyzer's `top` on the merge of the
 * selected profiles; `diff` to its `top` on `diffProfiles` of the two
 * selections' merges (the other selection minus the base).
 */
import { topOfSums, type TopOptions, type TopReport } from '@heapscope/analyzer';
import type { ValueType } from '@heapscope/parser';
import type { Backend } from '../backend.js';
import { STORED_SAMPLE_TYPES } from '../schema.js';
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
  const inner = `SELECT stack, thread, sum(${type.type}) AS v FROM ${d.fact('samples')} WHERE ${selection.holds(d)} GROUP BY stack, thread`;
  return sumsToReport(backend, inner, type, by, options);
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
  // Per sample identity (stack, thread, labels), as the merge: a stack equal
  // in both selections comes out exactly zero before the sites add up.
  const perSample =
    `SELECT stack, thread, labels, sum(CASE WHEN ${inBase} THEN ${type.type} ELSE 0 END) AS b, sum(CASE WHEN ${inOther} THEN ${type.type} ELSE 0 END) AS o ` +
    `FROM ${d.fact('samples')} WHERE ${inBase} OR ${inOther} GROUP BY stack, thread, labels`;
  return sumsToReport(backend, `SELECT stack, thread, o - b AS v FROM (${perSample})`, type, by, options);
}

async function sumsToReport(backend: Backend, inner: string, type: ValueType, by: StoreTopOptions['by'] & string, options: StoreTopOptions): Promise<TopReport> {
  const rows = await backend.query(keySumsSql(backend, inner, by));
  // Every sample has exactly one flat key (`(no stack)` when it has no site): the flat values add up to the total.
  const total = rows.reduce((sum, r) => sum + Number(r.flat), 0);
  const names = await keyNames(backend, rows.map((r) => String(r.key)), by);
  const add = (x: number, y: number) => x + y;
  const flat = byName(rows.map((r) => ({ key: String(r.key), value: Number(r.flat) })), names, add);
  const cum = byName(rows.map((r) => ({ key: String(r.key), value: Number(r.cum) })), names, add);
  // Without filters every sample is kept: shown is the total.
  return topOfSums({ type, by, total, shown: total, flat, cum }, options);
}

function emptyTop(options: StoreTopOptions, by: TopReport['by']): TopReport {
  const type = STORED_SAMPLE_TYPES.find((t) => t.type === (options.sampleType ?? 'inuse_space')) ?? STORED_SAMPLE_TYPES[3];
  return topOfSums({ type, by, total: 0, shown: 0, flat: new Map(), cum: new Map() }, options);
}
