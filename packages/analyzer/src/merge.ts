/**
 * Merging profiles into one (sum), and diff as "negate the base and merge"
 * (as google/pprof does).
 *
 * Identity across inputs, robust to address-space randomization:
 * - a mapping is its file (path and build id), size and file offset — not its
 *   start address;
 * - a location is its mapping, its offset in that mapping, and its lines
 *   (addresses outside any mapping are compared as they are);
 * - stacks are re-interned through the merged prefix tree;
 * - samples with the same (stack, thread, labels) are summed.
 *
 * The merge of several inputs is the same whatever the grouping
 * (associative) and is built one input at a time (streaming: memory grows
 * with the merged profile, not with the number of inputs).
 */
import {
  EMPTY_STACK,
  PairIndex,
  ProfileBuilder,
  WarningCollector,
  float64Column,
  withoutProducerNames,
  type HeapProfile,
  type Mapping,
  type MergedInputs,
  type ProfileMeta,
  type Sampling,
  type ValueType,
} from '@heapscope/parser';
import { samplingName } from './snapshot-series.js';

/** How one input was recorded, as the facts of a merge (its own, or those of its inputs when it is a merge). */
export function inputsOf(meta: ProfileMeta): MergedInputs {
  if (meta.merged) return meta.merged;
  return {
    count: 1,
    formats: [`${meta.format}${meta.variant ? ` ${meta.variant}` : ''}`],
    samplings: [{ model: meta.sampling.model, periodBytes: meta.sampling.periodBytes }],
    sizeKinds: [meta.sizeKind],
    pids: meta.pid !== undefined ? [meta.pid] : [],
  };
}

/** The facts of a sum of inputs described by `a` and `b`. */
export function combineInputs(a: MergedInputs, b: MergedInputs): MergedInputs {
  const union = <T>(x: readonly T[], y: readonly T[], key: (v: T) => string = String) => {
    const seen = new Set(x.map(key));
    return [...x, ...y.filter((v) => !seen.has(key(v)))];
  };
  return {
    count: a.count + b.count,
    formats: union(a.formats, b.formats),
    samplings: union(a.samplings, b.samplings, samplingName),
    sizeKinds: union(a.sizeKinds, b.sizeKinds),
    pids: union(a.pids, b.pids),
  };
}

/** The facts of a sum of inputs, from their metadata. */
export function summedInputs(metas: readonly ProfileMeta[]): MergedInputs | undefined {
  return metas.length === 0 ? undefined : metas.map(inputsOf).reduce(combineInputs);
}

/**
 * The sampling a sum of differently sampled inputs is described by: the
 * coarsest one. Why: a sum's values were unsampled per input, and the
 * analyses use the sampling only to estimate noise; the coarsest sampling
 * overstates the noise of the finer parts rather than understating the
 * noise of the coarse ones (a change called real that is sampling noise).
 */
export function coarsestSampling(samplings: readonly Sampling[]): Sampling {
  return samplings.reduce((a, b) => (b.model !== 'none' && (a.model === 'none' || b.periodBytes > a.periodBytes) ? b : a));
}

/** Accumulates profiles into one merged profile. */
export class ProfileMerger {
  private builder: ProfileBuilder | undefined;
  private readonly sampleTypes: ValueType[] = [];
  private readonly labelKeys: { key: string; unit: string }[] = [];
  private readonly mappingIds = new Map<string, number>();
  private readonly mappingStarts: bigint[] = [];
  private readonly locationIds = new Map<string, number>();
  private readonly sampleIndex = new PairIndex(4096);
  private readonly sampleOfKey = new Map<string, number>();
  private readonly rows: { stack: number; thread: number; labels: number[] }[] = [];
  private readonly values: ReturnType<typeof float64Column>[] = [];
  private readonly warnings = new WarningCollector();
  private meta: ProfileMeta | undefined;
  private merged: MergedInputs | undefined;
  private defaultSampleType = '';
  private inputs = 0;

  /** Adds one profile, with its values multiplied by `factor` (−1 for a diff's base). */
  add(profile: HeapProfile, factor = 1): void {
    this.inputs++;
    this.mergeMeta(profile);
    for (const t of profile.sampleTypes) {
      if (!this.sampleTypes.some((s) => s.type === t.type)) {
        this.sampleTypes.push(t);
        const column = float64Column(4096);
        for (let i = 0; i < this.rows.length; i++) column.push(0);
        this.values.push(column);
      }
    }
    for (const l of profile.samples.labels) {
      if (!this.labelKeys.some((k) => k.key === l.key)) this.labelKeys.push({ key: l.key, unit: l.unit });
    }
    if (!this.defaultSampleType) this.defaultSampleType = profile.defaultSampleType;
    const b = this.ensureBuilder();
    const mappingMap = profile.mappings.map((m) => this.mapping(b, m));
    const locationMap = this.locations(b, profile, mappingMap);
    const { parent, location } = profile.stacks;
    const stackMap = new Int32Array(profile.stacks.length);
    stackMap[EMPTY_STACK] = EMPTY_STACK;
    for (let s = 1; s < profile.stacks.length; s++) stackMap[s] = b.internStackNode(stackMap[parent[s]], locationMap[location[s]]);
    const threadMap = profile.threads.map((t) => b.thread(t.key, t.name));
    const typeColumn = profile.sampleTypes.map((t) => this.sampleTypes.findIndex((s) => s.type === t.type));
    const labelColumn = profile.samples.labels.map((l) => this.labelKeys.findIndex((k) => k.key === l.key));
    const otherLabels = profile.samples.labels.filter((l) => l.key !== 'bytes');
    for (let i = 0; i < profile.samples.length; i++) {
      const stack = stackMap[profile.samples.stack[i]];
      const t = profile.samples.thread[i];
      const thread = t >= 0 ? threadMap[t] : -1;
      const labels = new Array<number>(this.labelKeys.length).fill(NaN);
      profile.samples.labels.forEach((l, k) => (labels[labelColumn[k]] = l.values[i]));
      const row = this.row(stack, thread, otherLabels.length === 0 ? null : labels, labels);
      typeColumn.forEach((c, k) => (this.values[c].data[row] += factor * profile.samples.values[k][i]));
    }
  }

  private ensureBuilder(): ProfileBuilder {
    if (!this.builder) {
      // Sample types are fixed at finish(); the builder only interns tables.
      // Locations come with their mappings: an unmapped address stays unmapped.
      this.builder = new ProfileBuilder({ sampleTypes: [], meta: this.meta as ProfileMeta, maxStacks: Number.MAX_SAFE_INTEGER, locateUnmapped: false });
    }
    return this.builder;
  }

  private mergeMeta(p: HeapProfile): void {
    this.warnings.addAll(p.meta.warnings);
    this.merged = this.merged ? combineInputs(this.merged, inputsOf(p.meta)) : inputsOf(p.meta);
    if (!this.meta) {
      // Location ids change in the merge: a producer's list of them is dropped.
      this.meta = { ...withoutProducerNames(p.meta), warnings: [] };
      return;
    }
    const m = this.meta;
    if (m.format !== p.meta.format) m.format = 'merged';
    if (m.variant !== p.meta.variant) m.variant = '';
    if (m.file !== p.meta.file) m.file = `${this.inputs} inputs`;
    if (m.pid !== p.meta.pid) m.pid = undefined;
    m.dumpSeq = undefined;
    m.dumpKind = undefined;
    m.timeNs = undefined;
    m.sampling = coarsestSampling(this.merged.samplings);
    if (m.sizeKind !== p.meta.sizeKind) m.sizeKind = 'average-requested';
    m.returnAddresses = m.returnAddresses && p.meta.returnAddresses;
  }

  private mapping(b: ProfileBuilder, m: Mapping): number {
    const key = `${m.path}\u0000${m.buildId}\u0000${m.limit - m.start}\u0000${m.fileOffset}`;
    let id = this.mappingIds.get(key);
    if (id === undefined) {
      id = b.addMapping(m);
      this.mappingIds.set(key, id);
      this.mappingStarts[id] = m.start;
    }
    return id;
  }

  private locations(b: ProfileBuilder, p: HeapProfile, mappingMap: number[]): Int32Array {
    const { addressHi, addressLo, mapping, lineStart, lineFunction, lineNumber } = p.locations;
    const out = new Int32Array(p.locations.length);
    for (let l = 0; l < p.locations.length; l++) {
      const m = mapping[l];
      const merged = m >= 0 ? mappingMap[m] : -1;
      const address = p.address(l);
      // The offset into the mapping identifies code across processes.
      const offset = m >= 0 ? address - p.mappings[m].start : address;
      const lines: [number, number][] = [];
      let lineKey = '';
      for (let k = lineStart[l]; k < lineStart[l + 1]; k++) {
        const f = lineFunction[k];
        const name = p.strings[p.functions.name[f]];
        const file = p.strings[p.functions.fileName[f]];
        lines.push([b.internFunction(name, file, p.strings[p.functions.systemName[f]], p.functions.startLine[f]), lineNumber[k]]);
        lineKey += `\u0000${name}\u0000${file}\u0000${lineNumber[k]}`;
      }
      const key = `${merged}\u0000${offset}${lineKey}`;
      let id = this.locationIds.get(key);
      if (id === undefined) {
        // Addresses are given in the layout of the first input with this mapping.
        const absolute = merged >= 0 ? this.mappingStarts[merged] + offset : address;
        id = b.addLocation(Number((absolute >> 32n) & 0xffffffffn), Number(absolute & 0xffffffffn), merged, lines);
        this.locationIds.set(key, id);
      }
      out[l] = id;
    }
    return out;
  }

  private row(stack: number, thread: number, otherLabels: number[] | null, labels: number[]): number {
    let row: number;
    if (otherLabels === null) {
      const before = this.sampleIndex.size;
      row = this.sampleIndex.intern(stack, thread + 1);
      if (row < before) return this.rowOfIndex[row];
      row = this.newRow(stack, thread, labels);
      this.rowOfIndex[this.sampleIndex.size - 1] = row;
      return row;
    }
    const key = `${stack}\u0000${thread}\u0000${otherLabels.join('\u0000')}`;
    const known = this.sampleOfKey.get(key);
    if (known !== undefined) return known;
    row = this.newRow(stack, thread, labels);
    this.sampleOfKey.set(key, row);
    return row;
  }

  private readonly rowOfIndex: number[] = [];

  private newRow(stack: number, thread: number, labels: number[]): number {
    this.rows.push({ stack, thread, labels });
    for (const c of this.values) c.push(0);
    return this.rows.length - 1;
  }

  /** The merged profile. */
  finish(): HeapProfile {
    if (!this.builder || !this.meta) throw new Error('nothing to merge');
    const tables = this.builder.finish();
    const n = this.rows.length;
    const values = this.values.map((c) => c.finish());
    const labels = this.labelKeys.map((k, i) => {
      const column = new Float64Array(n);
      for (let r = 0; r < n; r++) column[r] = this.rows[r].labels[i] ?? NaN;
      return { ...k, values: column };
    });
    // The average object size of a summed sample, from its summed values.
    const bytes = labels.find((l) => l.key === 'bytes');
    if (bytes) {
      const pick = (space: string, objects: string) => {
        const s = this.sampleTypes.findIndex((t) => t.type === space);
        const o = this.sampleTypes.findIndex((t) => t.type === objects);
        return s >= 0 && o >= 0 ? [values[s], values[o]] : undefined;
      };
      const inuse = pick('inuse_space', 'inuse_objects');
      const alloc = pick('alloc_space', 'alloc_objects');
      for (let r = 0; r < n; r++) {
        if (inuse && inuse[1][r] !== 0) bytes.values[r] = inuse[0][r] / inuse[1][r];
        else if (alloc && alloc[1][r] !== 0) bytes.values[r] = alloc[0][r] / alloc[1][r];
      }
    }
    return tables.with({
      sampleTypes: this.sampleTypes,
      defaultSampleType: this.defaultSampleType,
      samples: {
        length: n,
        stack: Int32Array.from(this.rows, (r) => r.stack),
        thread: Int32Array.from(this.rows, (r) => r.thread),
        values,
        labels,
      },
      meta: { ...this.meta, merged: this.merged && this.merged.count > 1 ? this.merged : undefined, warnings: this.warnings.list() },
    });
  }
}

/** One profile from several inputs: the only one, or their sum (as every analysis over several inputs takes them). */
export function sumProfiles(profiles: readonly HeapProfile[]): HeapProfile {
  return profiles.length === 1 ? profiles[0] : mergeProfiles(profiles);
}

/** Sums profiles into one. */
export function mergeProfiles(profiles: readonly HeapProfile[]): HeapProfile {
  const merger = new ProfileMerger();
  for (const p of profiles) merger.add(p);
  return merger.finish();
}

/**
 * `input − base` per (stack, thread): a profile with signed values. The
 * sample types are those the two share.
 */
export function diffProfiles(base: HeapProfile, input: HeapProfile): HeapProfile {
  const merger = new ProfileMerger();
  merger.add(base, -1);
  merger.add(input, 1);
  const merged = merger.finish();
  const shared = merged.sampleTypes.map((t, i) => ({ t, i })).filter(({ t }) => base.sampleTypeIndex(t.type) >= 0 && input.sampleTypeIndex(t.type) >= 0);
  return merged.with({
    sampleTypes: shared.map((s) => s.t),
    defaultSampleType: input.defaultSampleType,
    samples: { ...merged.samples, values: shared.map((s) => merged.samples.values[s.i]) },
    meta: { ...merged.meta, file: `${input.meta.file} − ${base.meta.file}` },
  });
}
