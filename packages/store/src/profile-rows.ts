/**
 * A profile turned into the store's rows (schema.ts): its `profiles` row
 * and labels, its samples, and the dictionary rows (strings, functions,
 * locations, stacks, threads) it refers to that the caller has not seen yet.
 *
 * Identity follows `ProfileMerger` in @heapscope/analyzer, so that
 * analyses on the store equal the analyzer on the merged files: a mapping
 * is its path, build id, size and file offset (not its start address); a
 * location is its mapping, its offset in it and its lines; a stack is its
 * parent and its leaf location; a thread its key and name. A stack's
 * call-site keys (`site_*`) come from the analyzer's `SiteIndex`, which
 * reads only the stack's own frames, so they are stored once per stack.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { EMPTY_STACK, PairIndex, type HeapProfile } from '@heapscope/parser';
import { FrameTable, SiteIndex, mainMapping, sampleVariances, type GroupBy } from '@heapscope/analyzer';
import { ContentHash, Domain } from './content-hash.js';
import { RowBatchBuilder, type RowBatch } from './row-batch.js';
import { DICTIONARY_TABLES, STORED_SAMPLE_TYPES, varianceColumn, type DictionaryTable } from './schema.js';

/** Where a profile's time came from. */
export type TimeSource = 'dump' | 'mtime' | 'given';

/** What a profile's rows need besides the profile. */
export interface ProfileRowsOptions {
  /** Dump time, ms since the epoch. */
  timeMs: number;
  timeSource: TimeSource;
  /** Labels given by the user; they win over the ones found in the dump. */
  labels: Readonly<Record<string, string>>;
  /** The main binary's build id when the dump has none (from the file the symbolizer read), or ''. */
  buildId?: string;
  /** Ids already emitted by this producer: their dictionary rows are left out. Updated. */
  seen?: SeenIds;
}

/** Ids of dictionary rows already emitted, per table (as pairs of 32-bit halves: no BigInt per lookup). */
export type SeenIds = Record<DictionaryTable, PairIndex>;

/** An empty {@link SeenIds}. */
export function seenIds(): SeenIds {
  return Object.fromEntries(DICTIONARY_TABLES.map((t) => [t, new PairIndex(1024)])) as SeenIds;
}

/** Marks id `index` of `halves` seen in `set`; true when it was not seen before. */
function firstSight(set: PairIndex, halves: Uint32Array, index: number): boolean {
  const before = set.size;
  return set.intern(halves[2 * index] | 0, halves[2 * index + 1] | 0) === before;
}

/** Ids of one kind, as a BigInt64Array (for the rows) with a view of their 32-bit halves (for hashing). */
class Ids {
  readonly values: BigInt64Array;
  readonly halves: Uint32Array;
  constructor(n: number) {
    this.values = new BigInt64Array(n);
    // Little-endian platforms (x86-64, arm64): the low half of id i is halves[2 i].
    this.halves = new Uint32Array(this.values.buffer);
  }
}

/** One profile's rows. `ingest` columns are 0: the writer sets them. */
export interface ProfileRows {
  /** Profile id (also in `profile.columns.profile[0]`). */
  id: bigint;
  /** The input's display name. */
  source: string;
  profile: RowBatch;
  labels: RowBatch;
  samples: RowBatch;
  dictionary: Record<DictionaryTable, RowBatch>;
}

/** The labels a dump records: `pid`, and `build` (the main binary's build id). */
export function dumpLabels(profile: HeapProfile, buildId: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (profile.meta.pid !== undefined) out.pid = String(profile.meta.pid);
  if (buildId) out.build = buildId;
  return out;
}

const GROUPINGS: GroupBy[] = ['function', 'module', 'file', 'stack'];

/** The rows of `profile`. */
export function profileRows(profile: HeapProfile, options: ProfileRowsOptions): ProfileRows {
  const seen = options.seen ?? seenIds();
  const dict = Object.fromEntries(DICTIONARY_TABLES.map((t) => [t, new RowBatchBuilder(t)])) as Record<DictionaryTable, RowBatchBuilder>;
  const one = new Ids(1);
  const str = (s: string): bigint => {
    new ContentHash(Domain.string).string(s).digestInto(one.halves, 0);
    const id = one.values[0];
    if (firstSight(seen.strings, one.halves, 0)) dict.strings.add([id, s]);
    return id;
  };

  const functionIds = functionRows(profile, seen, dict.functions);
  const locationIds = locationRows(profile, functionIds, seen, dict.locations);
  const stackIds = stackRows(profile, locationIds, seen, dict.stacks, dict.stack_sites, str).values;
  const threadIds = new Ids(profile.threads.length);
  profile.threads.forEach((t, i) => {
    new ContentHash(Domain.thread).string(t.key).string(t.name).digestInto(threadIds.halves, i);
    if (firstSight(seen.threads, threadIds.halves, i)) dict.threads.add([threadIds.values[i], t.key, t.name]);
  });

  // Samples, in the profile's order.
  const { samples } = profile;
  const n = samples.length;
  const stack = new BigInt64Array(n);
  const thread = new BigInt64Array(n);
  const labels = new BigInt64Array(n);
  const values = STORED_SAMPLE_TYPES.map(() => new Float64Array(n));
  const columnOf = STORED_SAMPLE_TYPES.map((t) => profile.sampleTypeIndex(t.type));
  // As in ProfileMerger: samples are told apart by their numeric labels only
  // when the dump has labels besides `bytes` (the average size, derived).
  const labelColumns = samples.labels;
  const distinctLabels = labelColumns.some((l) => l.key !== 'bytes');
  for (let i = 0; i < n; i++) {
    stack[i] = stackIds[samples.stack[i]];
    thread[i] = samples.thread[i] >= 0 ? threadIds.values[samples.thread[i]] : 0n;
    labels[i] = distinctLabels ? str(labelColumns.map((l) => `${l.key}=${l.values[i]}`).join(';')) : 0n;
    columnOf.forEach((c, k) => {
      if (c >= 0) values[k][i] = samples.values[c][i];
    });
  }

  // Each value's sampling variance, by the analyzer's formula (sampling-error.ts), so that the
  // engine sums variances as it sums values; null where the dump was not sampled.
  const variances = columnOf.map((c) => (c >= 0 ? sampleVariances(profile, c) : null));

  const given = Object.entries(options.labels);
  const buildId = mainBuildId(profile) || options.buildId || '';
  const allLabels = { ...dumpLabels(profile, buildId), ...Object.fromEntries(given) };
  const labelEntries = Object.entries(allLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  // Profile id: the content (what the samples hold), the labels and the file name.
  const content = createHash('sha256');
  content.update(`${profile.meta.format}\u0000${profile.sampleTypes.map((t) => t.type).join(',')}\u0000`);
  for (const column of [stack, thread, labels, ...values]) content.update(new Uint8Array(column.buffer));
  const idHash = createHash('sha256').update(content.digest()).update(JSON.stringify([labelEntries, basename(profile.meta.file)])).digest();
  const id = idHash.readBigInt64BE(0) & 0x7fffffffffffffffn;

  const sampleRows: RowBatch = {
    table: 'samples',
    length: n,
    columns: {
      profile: new BigInt64Array(n).fill(id),
      ingest: new BigInt64Array(n),
      stack,
      thread,
      labels,
      ...Object.fromEntries(STORED_SAMPLE_TYPES.map((t, k) => [t.type, values[k]])),
      ...Object.fromEntries(STORED_SAMPLE_TYPES.map((t, k) => [varianceColumn(t.type), variances[k] ?? new Float64Array(n)])),
    },
  };
  const labelRows = new RowBatchBuilder('profile_labels');
  for (const [key, value] of labelEntries) labelRows.add([id, 0n, key, value]);

  const { meta } = profile;
  const totals = values.map((column) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += column[i];
    return sum;
  });
  const profileRow = new RowBatchBuilder('profiles');
  profileRow.add([
    id,
    0n,
    BigInt(Math.round(options.timeMs)),
    options.timeSource,
    meta.file,
    meta.format,
    meta.variant,
    profile.sampleTypes.map((t) => t.type),
    profile.defaultSampleType,
    meta.sampling.model,
    meta.sampling.periodBytes,
    STORED_SAMPLE_TYPES.filter((_, k) => variances[k] !== null).map((t) => t.type),
    meta.sizeKind,
    BigInt(meta.pid ?? -1),
    BigInt(meta.dumpSeq ?? -1),
    meta.dumpKind ?? '',
    mainBinaryName(profile),
    buildId,
    BigInt(n),
    ...totals,
    meta.warnings.map((w) => (w.count > 1 ? `${w.message} (${w.count} times)` : w.message)),
    BigInt(Date.now()),
  ]);

  return {
    id,
    source: meta.file,
    profile: profileRow.finish(),
    labels: labelRows.finish(),
    samples: sampleRows,
    dictionary: Object.fromEntries(DICTIONARY_TABLES.map((t) => [t, dict[t].finish()])) as Record<DictionaryTable, RowBatch>,
  };
}

/** Function ids per function index; new functions go to `out`. */
function functionRows(p: HeapProfile, seen: SeenIds, out: RowBatchBuilder): Ids {
  const { name, systemName, fileName, startLine } = p.functions;
  const ids = new Ids(p.functions.length);
  for (let f = 0; f < p.functions.length; f++) {
    const row = [p.strings[name[f]], p.strings[systemName[f]], p.strings[fileName[f]], startLine[f]] as const;
    new ContentHash(Domain.function).string(row[0]).string(row[1]).string(row[2]).int(row[3]).digestInto(ids.halves, f);
    if (firstSight(seen.functions, ids.halves, f)) out.add([ids.values[f], ...row]);
  }
  return ids;
}

/** Location ids per location index; new locations go to `out`. */
function locationRows(p: HeapProfile, functionIds: Ids, seen: SeenIds, out: RowBatchBuilder): Ids {
  const { mapping, lineStart, lineFunction, lineNumber, addressHi, addressLo } = p.locations;
  const ids = new Ids(p.locations.length);
  // Per mapping: its identity hashed once, and its start's halves.
  const mappingHash = p.mappings.map((m) => new ContentHash(0).string(m.path).string(m.buildId).big(m.limit - m.start).big(m.fileOffset).digest());
  const startHalves = p.mappings.map((m) => [Number(m.start >> 32n), Number(m.start & 0xffffffffn)]);
  for (let l = 0; l < p.locations.length; l++) {
    const mi = mapping[l];
    const h = new ContentHash(Domain.location);
    // The offset into the mapping identifies code across processes (ASLR).
    let hi = addressHi[l];
    let lo = addressLo[l];
    if (mi >= 0) {
      h.word(1).big(mappingHash[mi]);
      const [sh, sl] = startHalves[mi];
      const borrow = lo < sl ? 1 : 0;
      lo = (lo - sl + 0x100000000) % 0x100000000;
      hi = hi - sh - borrow;
    } else h.word(0);
    h.word(lo).word(hi >>> 0);
    for (let k = lineStart[l]; k < lineStart[l + 1]; k++) h.id(functionIds.halves, lineFunction[k]).word(lineNumber[k]);
    h.digestInto(ids.halves, l);
    if (firstSight(seen.locations, ids.halves, l)) {
      const m = mi >= 0 ? p.mappings[mi] : undefined;
      const offset = m ? p.address(l) - m.start + m.fileOffset : p.address(l);
      const fns: bigint[] = [];
      const lines: number[] = [];
      for (let k = lineStart[l]; k < lineStart[l + 1]; k++) {
        fns.push(functionIds.values[lineFunction[k]]);
        lines.push(lineNumber[k]);
      }
      out.add([ids.values[l], m ? basename(m.path) : '', m?.path ?? '', m?.buildId ?? '', offset, fns, lines]);
    }
  }
  return ids;
}

/**
 * Stack ids per stack node (0 for the empty stack); new stacks go to
 * `out`, and the call-site keys of new stacks that samples name to `sites`
 * (a dump's prefix tree has ten times more nodes than sampled stacks).
 */
function stackRows(p: HeapProfile, locationIds: Ids, seen: SeenIds, out: RowBatchBuilder, sites: RowBatchBuilder, str: (s: string) => bigint): Ids {
  const { parent, location } = p.stacks;
  const ids = new Ids(p.stacks.length);
  if (firstSight(seen.stacks, ids.halves, EMPTY_STACK)) out.add([0n, 0n, 0n]);
  for (let s = 1; s < p.stacks.length; s++) {
    new ContentHash(Domain.stack).id(ids.halves, parent[s]).id(locationIds.halves, location[s]).digestInto(ids.halves, s);
    if (firstSight(seen.stacks, ids.halves, s)) out.add([ids.values[s], ids.values[parent[s]], locationIds.values[location[s]]]);
  }
  const fresh: number[] = [];
  for (const s of new Set(p.samples.stack)) if (firstSight(seen.stack_sites, ids.halves, s)) fresh.push(s);
  if (fresh.length === 0) return ids;
  const frames = new FrameTable(p);
  const indexes = GROUPINGS.map((by) => new SiteIndex(p, { by }, frames));
  // String ids per key of each grouping, hashed once per key, not once per stack.
  const keyIds = indexes.map(() => [] as bigint[]);
  const keysOf = (k: number, s: number): bigint[] => {
    const index = indexes[k];
    const keys = index.stackKeys(s) as Int32Array; // no filters: never null
    const known = keyIds[k];
    return Array.from(keys, (key) => (known[key] ??= str(index.names[key])));
  };
  for (const s of fresh) sites.add([ids.values[s], keysOf(0, s), keysOf(1, s), keysOf(2, s), keysOf(3, s)[0]]);
  return ids;
}

function mainBuildId(p: HeapProfile): string {
  return mainMapping(p)?.buildId ?? '';
}

function mainBinaryName(p: HeapProfile): string {
  return mainMapping(p)?.path.replace(/.*\//, '') ?? '';
}
