/**
 * `growth` on the store: per call site, its value at each point of a
 * series, ordered by time — one point per profile (equal to the analyzer's
 * `growth` over those dumps in time order), or per time bucket (`bucket:
 * '1h'`: the bucket's profiles summed, as the merge of them would be).
 * With `splitBy: LABEL`, one series per value of the label (per host).
 *
 * The engine sums each site's value and sampling variance per point (each
 * sample's variance is stored at ingest, by the analyzer's formula); the
 * analyzer's `growthOfPoints` ranks the sites, its noise and slope noise
 * from those variances. For a bucket the variances of its dumps add up
 * (independent samples).
 */
import { growthOfPoints, type GrowthOptions, type GrowthPoint, type GrowthReport, type SeriesFacts } from '@heapscope/analyzer';
import type { ValueType } from '@heapscope/parser';
import type { Backend, Row } from '../backend.js';
import { varianceColumn } from '../schema.js';
import type { Selection } from '../selection.js';
import { chooseSampleType, mergedFacts } from './merged-facts.js';
import { checkStoreOptions, type StoreSiteOptions } from './options.js';
import { joinFlatKey, keyNames } from './site-sql.js';

/** Options of `growth` on the store. */
export interface StoreGrowthOptions extends StoreSiteOptions, Pick<GrowthOptions, 'sampleType' | 'limit'> {
  /** One point per time bucket of this length (`30m`, `1h`, `1d`, or ms), instead of one per profile. */
  bucket?: string | number;
}

/** One series of a split growth: the label's value and its report. */
export interface LabeledGrowth {
  /** The label's value (e.g. the host). */
  value: string;
  /** Profiles in the series. */
  profiles: number;
  report: GrowthReport;
}

/** Growth per series of a label's values. */
export interface GrowthSeriesReport {
  /** The label that splits the selection. */
  label: string;
  /** Series in order of their label values. */
  series: LabeledGrowth[];
  /** Profiles of the selection without the label (left out). */
  unlabeled: number;
}

/**
 * Site values are summed as integers of 2^-20 units (each sample's value
 * cast, as each engine casts: deterministically): exact, so a site whose
 * samples are the same in two dumps has the same value in both, whatever
 * order the engine adds them in (floating-point sums in different orders
 * differ in the last bits, and growth's trend compares points exactly).
 * Up to 8.8 × 10^12 per site and point; 2^-20 is far below a byte or an object.
 */
const FIXED_POINT = 1048576;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A bucket length in ms from `1h`, `30m`, `1d`, `15s`, `500ms` or a number of ms. */
export function bucketMs(bucket: string | number): number {
  if (typeof bucket === 'number') {
    if (!(bucket >= 1) || !Number.isInteger(bucket)) throw new TypeError(`bucket: ${bucket} is not a whole number of ms`);
    return bucket;
  }
  const m = /^(\d+)\s*(ms|s|m|h|d)$/.exec(bucket.trim());
  if (!m || Number(m[1]) === 0) throw new TypeError(`bucket: "${bucket}" is not a length like 30m, 1h or 1d`);
  return Number(m[1]) * UNITS[m[2]];
}

/** Growth over the selection: one series. */
export async function storeGrowth(backend: Backend, selection: Selection, options: StoreGrowthOptions = {}): Promise<GrowthReport> {
  const { series } = await growthSeries(backend, selection, null, options);
  return series[0]?.report ?? emptyGrowth(options);
}

/** Growth over the selection split by the values of `label`. */
export async function storeGrowthBy(backend: Backend, selection: Selection, label: string, options: StoreGrowthOptions = {}): Promise<GrowthSeriesReport> {
  const result = await growthSeries(backend, selection, label, options);
  return { label, ...result };
}

async function growthSeries(
  backend: Backend,
  selection: Selection,
  label: string | null,
  options: StoreGrowthOptions,
): Promise<{ series: LabeledGrowth[]; unlabeled: number }> {
  checkStoreOptions(options);
  const by = options.by ?? 'function';
  if (selection.empty) return { series: [], unlabeled: 0 };
  const facts = await mergedFacts(backend, selection);
  const type = chooseSampleType(facts, options.sampleType);
  const bucket = options.bucket === undefined ? null : bucketMs(options.bucket);
  const d = backend.sql;

  // Each selected profile's point and series.
  const point = bucket === null ? 'profile' : d.intDiv('time_ms', String(bucket));
  const labelJoin = label === null ? '' : `${d.joinOne} (SELECT profile, ingest, value FROM ${d.shardLocal('profile_labels')} WHERE key = ${d.quote(label)}) USING (profile, ingest)`;
  const placed = await backend.query(`SELECT profile, ${point} AS point, ${label === null ? "''" : 'value'} AS series FROM ${d.fact('profiles')} ${labelJoin} WHERE ${selection.holds(d)}`);
  const placeOf = new Map(placed.map((r) => [String(r.profile), `${r.series}\u0000${r.point}`]));

  // Per profile and site: the value and its sampling variance (stored per
  // sample at ingest). The query joins only the sites table: on a cluster,
  // each shard sums its own samples down to profiles × sites.
  const { join, key } = joinFlatKey(backend, by);
  const rows = await backend.query(
    `SELECT profile, ${key} AS site, sum(CAST(${type.type} * ${FIXED_POINT} AS BIGINT)) AS v, sum(${varianceColumn(type.type)}) AS sv ` +
      `FROM ${d.fact('samples')} ${join} WHERE ${selection.holds(d)} GROUP BY profile, site`,
  );
  const names = await keyNames(backend, rows.map((r) => String(r.site)), by);
  const pointFacts = await pointsOf(backend, selection, label, bucket, type);

  const sitesOf = new Map<string, Map<string, { value: number; variance: number }>>();
  for (const r of rows) {
    const id = placeOf.get(String(r.profile));
    if (id === undefined) continue; // a profile without the label
    let sites = sitesOf.get(id);
    if (!sites) sitesOf.set(id, (sites = new Map()));
    const name = names.get(String(r.site)) as string;
    const known = sites.get(name);
    // Fixed-point units, added as integers (exact below 2^53), divided at the end.
    if (known) {
      known.value += Number(r.v);
      known.variance += Number(r.sv);
    } else sites.set(name, { value: Number(r.v), variance: Number(r.sv) });
  }
  for (const sites of sitesOf.values()) for (const site of sites.values()) site.value /= FIXED_POINT;
  const bySeries = new Map<string, { points: GrowthPoint[]; profiles: number }>();
  for (const p of pointFacts) {
    let s = bySeries.get(p.series);
    if (!s) bySeries.set(p.series, (s = { points: [], profiles: 0 }));
    s.profiles += p.profiles;
    s.points.push({ label: p.facts.file, type, facts: p.facts, sites: sitesOf.get(`${p.series}\u0000${p.point}`) ?? new Map() });
  }
  const out: LabeledGrowth[] = [...bySeries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([value, s]) => ({ value, profiles: s.profiles, report: growthOfPoints(s.points, options) }));
  const labeled = out.reduce((n, s) => n + s.profiles, 0);
  return { series: out, unlabeled: selection.profiles - labeled };
}

interface PointFacts {
  series: string;
  point: string;
  profiles: number;
  facts: SeriesFacts;
}

/** The points of every series, in order (per profile: time, source, id; per bucket: its start), with their series facts. */
async function pointsOf(backend: Backend, selection: Selection, label: string | null, bucket: number | null, type: ValueType): Promise<PointFacts[]> {
  const d = backend.sql;
  const labels = label === null ? '' : `${d.joinOne} (SELECT profile, ingest, value FROM ${d.shardLocal('profile_labels')} WHERE key = ${d.quote(label)}) USING (profile, ingest)`;
  const seriesColumn = label === null ? `''` : 'value';
  const hasAlloc = (t: string) => `CASE WHEN ${d.contains('sample_types', `'${t}'`)} THEN 1 ELSE 0 END`;
  if (bucket === null) {
    const rows = await backend.query(
      `SELECT profile AS point, ${seriesColumn} AS series, source, format, variant, sampling_model, sampling_period, pid, dump_seq, binary_name, size_kind, ` +
        `total_alloc_objects, total_alloc_space, ${hasAlloc('alloc_objects')} AS has_ao, ${hasAlloc('alloc_space')} AS has_as, ${hasAlloc(type.type)} AS has_type, warnings ` +
        `FROM ${d.fact('profiles')} ${labels} WHERE ${selection.holds(d)} ORDER BY time_ms, source, profile`,
    );
    return rows.map((r) => {
      // As growthPoint: every dump of a series must have the sample type.
      if (Number(r.has_type) !== 1) throw new Error(`${r.source}: no sample type "${type.type}" in this dump; choose one every dump has`);
      return { series: String(r.series), point: String(r.point), profiles: 1, facts: profileFacts(r) };
    });
  }
  // Outputs are named apart from the columns: ClickHouse aliases are visible throughout a query.
  const same = (column: string) => `CASE WHEN min(${column}) = max(${column}) THEN min(${column}) ELSE NULL END AS same_${column}`;
  const rows = await backend.query(
    `SELECT point, series, CAST(count(*) AS DOUBLE) AS profiles, ${same('pid')}, ${same('format')}, ${same('variant')}, ${same('sampling_model')}, ${same('sampling_period')}, ` +
      `max(sampling_period) AS max_period, ${same('binary_name')}, ${same('size_kind')}, sum(total_alloc_objects) AS sum_alloc_objects, sum(total_alloc_space) AS sum_alloc_space, ` +
      `min(${hasAlloc('alloc_objects')}) AS has_ao, min(${hasAlloc('alloc_space')}) AS has_as ` +
      `FROM (SELECT ${d.intDiv('time_ms', String(bucket))} AS point, ${seriesColumn} AS series, pid, format, variant, sampling_model, sampling_period, binary_name, size_kind, ` +
      `total_alloc_objects, total_alloc_space, sample_types FROM ${d.fact('profiles')} ${labels} WHERE ${selection.holds(d)}) GROUP BY series, point ORDER BY series, point`,
  );
  return rows.map((r) => {
    const start = new Date(Number(r.point) * bucket).toISOString();
    const sampling = r.same_sampling_model === null || r.same_sampling_period === null ? 'mixed' : `${r.same_sampling_model}/${Number(r.same_sampling_period)}`;
    return {
      series: String(r.series),
      point: String(r.point),
      profiles: Number(r.profiles),
      facts: {
        file: start,
        pid: r.same_pid === null || Number(r.same_pid) < 0 ? undefined : Number(r.same_pid),
        dumpSeq: undefined,
        format: r.same_format === null ? 'mixed' : `${r.same_format}${r.same_variant ? ` ${r.same_variant}` : ''}`,
        sampling,
        sampled: Number(r.max_period) > 1,
        binary: r.same_binary_name === null ? '' : String(r.same_binary_name),
        sizeKind: r.same_size_kind === null ? 'mixed' : String(r.same_size_kind),
        cumulative: cumulativeOf({ ...r, total_alloc_objects: r.sum_alloc_objects, total_alloc_space: r.sum_alloc_space }),
        truncated: false,
      },
    };
  });
}

/** As the analyzer's `seriesFacts`, from a profiles row. */
function profileFacts(r: Row): SeriesFacts {
  return {
    file: String(r.source),
    pid: Number(r.pid) < 0 ? undefined : Number(r.pid),
    dumpSeq: Number(r.dump_seq) < 0 ? undefined : Number(r.dump_seq),
    format: `${r.format}${r.variant ? ` ${r.variant}` : ''}`,
    sampling: `${r.sampling_model}/${Number(r.sampling_period)}`,
    sampled: Number(r.sampling_period) > 1,
    binary: String(r.binary_name),
    sizeKind: String(r.size_kind),
    cumulative: cumulativeOf(r),
    truncated: (r.warnings as string[]).some((w) => /truncated/.test(w)),
  };
}

function cumulativeOf(r: Row): SeriesFacts['cumulative'] {
  const out: SeriesFacts['cumulative'] = {};
  if (Number(r.has_ao) === 1) out.alloc_objects = Number(r.total_alloc_objects);
  if (Number(r.has_as) === 1) out.alloc_space = Number(r.total_alloc_space);
  return out;
}

function emptyGrowth(options: StoreGrowthOptions): GrowthReport {
  const type = options.sampleType ?? 'inuse_space';
  const unit = type.endsWith('_space') ? 'bytes' : 'count';
  return { sampleType: type, unit, points: 0, labels: [], slopeUnit: `${unit} per point`, rows: [], rowCount: 0, verdict: 'no profile selected' };
}
