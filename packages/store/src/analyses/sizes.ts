/**
 * `sizes` on the store: the histogram of allocation sizes over a
 * selection, equal to the analyzer's `sizes` on the merge of its profiles.
 *
 * A dump knows each sample's average object size only, so the merge's
 * samples (one per stack, thread and sample labels) are what the sizes
 * come from: the engine sums each one's objects and bytes over the
 * selection, and the analyzer's `SizeHistogram` buckets the averages.
 */
import { SizeHistogram, coarsestSampling, type SizesOptions, type SizesReport } from '@heapscope/analyzer';
import type { Sampling } from '@heapscope/parser';
import type { Backend } from '../backend.js';
import type { Selection } from '../selection.js';
import { mergedFacts } from './merged-facts.js';
import { checkStoreOptions, type StoreSiteOptions } from './options.js';
import { flatKeySql, keyNames } from './site-sql.js';

/** Options of `sizes` on the store. */
export type StoreSizesOptions = StoreSiteOptions & Pick<SizesOptions, 'buckets' | 'classes' | 'sites' | 'sizesPerSite'>;

/** Hot allocation sizes of a selection. */
export async function storeSizes(backend: Backend, selection: Selection, options: StoreSizesOptions = {}): Promise<SizesReport> {
  checkStoreOptions(options);
  const by = options.by ?? 'function';
  if (selection.empty) {
    return new SizeHistogram(options, { format: '', exact: false, usable: false, snapshotsHaveAlloc: false }).report();
  }
  const facts = await mergedFacts(backend, selection);
  // The merge has a sample type when any profile has it (zeros elsewhere).
  const useAlloc = facts.sampleTypes.has('alloc_objects');
  const histogram = new SizeHistogram(options, {
    format: facts.format,
    exact: facts.sizeKinds.size === 1 && facts.sizeKinds.has('exact'),
    usable: facts.sizeKind === 'average-usable',
    snapshotsHaveAlloc: useAlloc,
  });
  const [objects, space] = useAlloc ? ['alloc_objects', 'alloc_space'] : ['inuse_objects', 'inuse_space'];
  if (!facts.sampleTypes.has(objects) || !facts.sampleTypes.has(space)) return histogram.report();
  const d = backend.sql;
  const perSample = `SELECT stack, thread, labels, sum(${objects}) AS o, sum(${space}) AS s FROM ${d.fact('samples')} WHERE ${selection.holds(d)} GROUP BY stack, thread, labels`;
  const rows = await backend.query(`SELECT key, o, s FROM (${flatKeySql(backend, perSample, by, ['o', 's'])}) WHERE o > 0`);
  const names = await keyNames(backend, rows.map((r) => String(r.key)), by);
  // As on the merged profile: sampled usable sizes (jemalloc) are counted at their rows' classes, by the merge's sampling.
  const samplings = await backend.query(`SELECT DISTINCT sampling_model AS model, sampling_period AS period FROM ${d.fact('profiles')} WHERE ${selection.holds(d)}`);
  const sampling = coarsestSampling(samplings.map((r) => ({ model: String(r.model), periodBytes: Number(r.period) }) as Sampling));
  const sampledClasses = facts.sizeKind === 'average-usable' && sampling.periodBytes > 1;
  for (const r of rows) {
    const site = names.get(String(r.key)) as string;
    if (sampledClasses) histogram.recordSampledUsable(site, sampling, Number(r.o), Number(r.s));
    else histogram.recordAverage(site, Number(r.o), Number(r.s));
  }
  return histogram.report();
}
