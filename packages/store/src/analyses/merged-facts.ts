/**
 * What the analyzer would know of the merge of a selection's profiles
 * (`ProfileMerger` in @heapscope/analyzer): its sample types (the union),
 * its default sample type (the first profile's), its format and size kind
 * (shared, or `merged` / `average-requested` when they differ), its file
 * name (shared, or `N inputs`); and the sample types that some profile
 * carries sampling variances for. Profiles are in selection order: by time,
 * then source, then id.
 */
import { SampleTypeError } from '@heapscope/analyzer';
import type { Backend } from '../backend.js';
import { STORED_SAMPLE_TYPES, isStoredSampleType, type StoredValueType } from '../schema.js';
import type { Selection } from '../selection.js';

/** The merged profile's facts. */
export interface MergedFacts {
  profiles: number;
  /** Sample types some profile has (the merge's). */
  sampleTypes: Set<string>;
  /** Sample types every profile has. */
  everyHas: Set<string>;
  /** Sample types some profile was sampled in (its values carry variances): their reports carry error bars. */
  varianceTypes: Set<string>;
  defaultSampleType: string;
  format: string;
  sizeKind: string;
  /** Formats and size kinds of every profile. */
  formats: Set<string>;
  sizeKinds: Set<string>;
  file: string;
}

/** The merged facts of a non-empty selection. */
export async function mergedFacts(backend: Backend, selection: Selection): Promise<MergedFacts> {
  const d = backend.sql;
  const groups = await backend.query(
    `SELECT format, size_kind, sample_types, variance_types, CAST(count(*) AS DOUBLE) AS n, min(source) AS s0, max(source) AS s1 FROM ${d.fact('profiles')} WHERE ${selection.holds(d)} ` +
      `GROUP BY format, size_kind, sample_types, variance_types`,
  );
  const [first] = await backend.query(`SELECT default_type FROM ${d.fact('profiles')} WHERE ${selection.holds(d)} ORDER BY time_ms, source, profile LIMIT 1`);
  const profiles = groups.reduce((n, g) => n + Number(g.n), 0);
  const sampleTypes = new Set<string>();
  const varianceTypes = new Set<string>();
  const formats = new Set<string>();
  const sizeKinds = new Set<string>();
  const sources = new Set<string>();
  let everyHas: Set<string> | null = null;
  for (const g of groups) {
    const types = g.sample_types as string[];
    types.forEach((t) => sampleTypes.add(t));
    (g.variance_types as string[]).forEach((t) => varianceTypes.add(t));
    everyHas = new Set(everyHas === null ? types : types.filter((t) => everyHas!.has(t)));
    formats.add(String(g.format));
    sizeKinds.add(String(g.size_kind));
    sources.add(String(g.s0)).add(String(g.s1));
  }
  return {
    profiles,
    sampleTypes,
    everyHas: everyHas ?? new Set(),
    varianceTypes,
    defaultSampleType: String(first?.default_type ?? 'inuse_space'),
    format: formats.size === 1 ? [...formats][0] : 'merged',
    sizeKind: sizeKinds.size === 1 ? [...sizeKinds][0] : 'average-requested',
    formats,
    sizeKinds,
    file: sources.size === 1 ? [...sources][0] : `${profiles} inputs`,
  };
}

/**
 * The sample type an analysis reads: the one asked for, else the merge's
 * default; it must be one the merge has (and the store keeps).
 */
export function chooseSampleType(facts: Pick<MergedFacts, 'sampleTypes' | 'defaultSampleType' | 'file'>, requested: string | undefined): StoredValueType {
  const wanted = requested ?? facts.defaultSampleType;
  if (!facts.sampleTypes.has(wanted) || !isStoredSampleType(wanted)) {
    const why = wanted.startsWith('alloc_') ? ' (these dumps have no cumulative allocation counts)' : '';
    throw new SampleTypeError(`${facts.file}: no sample type "${wanted}"${why}; it has: ${[...facts.sampleTypes].join(', ')}`);
  }
  return STORED_SAMPLE_TYPES.find((t) => t.type === wanted)!;
}
