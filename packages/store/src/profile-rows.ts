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
import { EMPTY_STACK, type HeapProfile } from '@heapscope/parser';
import { FrameTable, SiteIndex, mainMapping, type GroupBy } from '@heapscope/analyzer';
import { ContentHash, Domain, stringId } from './content-hash.js';
import { RowBatchBuilder, type RowBatch } from './row-batch.js';
import { DICTIONARY_TABLES, STORED_SAMPLE_TYPES, type DictionaryTable } from './schema.js';

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

/** Ids of dictionary rows already emitted, per table. */
export type SeenIds = Record<DictionaryTable, Set<bigint>>;

/** An empty {@link SeenIds}. */
export function seenIds(): SeenIds {
  return Object.fromEntries(DICTIONARY_TABLES.map((t) => [t, new Set<bigint>()])) as SeenIds;
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
  const str = (s: string): bigint => {
    const id = stringId(s);
    if (!seen.strings.has(id)) {
      seen.strings.add(id);
      dict.strings.add([id, s]);
    }
    return id;
  };

  const functionIds = functionRows(profile, seen, dict.functions);
  const locationIds = locationRows(profile, functionIds, seen, dict.locations);
  const stackIds = stackRows(profile, locationIds, seen, dict.stacks, str);
  const threadIds = profile.threads.map((t) => {
    const id = new ContentHash(Domain.thread).string(t.key).string(t.name).digest();
    if (!seen.threads.has(id)) {
      seen.threads.add(id);
      dict.threads.add([id, t.key, t.name]);
    }
    return id;
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
    thread[i] = samples.thread[i] >= 0 ? threadIds[samples.thread[i]] : 0n;
    labels[i] = distinctLabels ? str(labelColumns.map((l) => `${l.key}=${l.values[i]}`).join(';')) : 0n;
    columnOf.forEach((c, k) => {
      if (c >= 0) values[k][i] = samples.values[c][i];
    });
  }

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
function functionRows(p: HeapProfile, seen: SeenIds, out: RowBatchBuilder): bigint[] {
  const { name, systemName, fileName, startLine } = p.functions;
  const ids: bigint[] = new Array(p.functions.length);
  for (let f = 0; f < p.functions.length; f++) {
    const row = [p.strings[name[f]], p.strings[systemName[f]], p.strings[fileName[f]], startLine[f]] as const;
    const id = new ContentHash(Domain.function).string(row[0]).string(row[1]).string(row[2]).int(row[3]).digest();
    ids[f] = id;
    if (!seen.functions.has(id)) {
      seen.functions.add(id);
      out.add([id, ...row]);
    }
  }
  return ids;
}

/** Location ids per location index; new locations go to `out`. */
function locationRows(p: HeapProfile, functionIds: readonly bigint[], seen: SeenIds, out: RowBatchBuilder): bigint[] {
  const { mapping, lineStart, lineFunction, lineNumber } = p.locations;
  const ids: bigint[] = new Array(p.locations.length);
  for (let l = 0; l < p.locations.length; l++) {
    const m = mapping[l] >= 0 ? p.mappings[mapping[l]] : undefined;
    const address = p.address(l);
    // The offset into the mapping identifies code across processes (ASLR).
    const offset = m ? address - m.start : address;
    const h = new ContentHash(Domain.location);
    if (m) h.word(1).string(m.path).string(m.buildId).big(m.limit - m.start).big(m.fileOffset);
    else h.word(0);
    h.big(offset);
    const fns: bigint[] = [];
    const lines: number[] = [];
    for (let k = lineStart[l]; k < lineStart[l + 1]; k++) {
      fns.push(functionIds[lineFunction[k]]);
      lines.push(lineNumber[k]);
      h.big(functionIds[lineFunction[k]]).int(lineNumber[k]);
    }
    const id = h.digest();
    ids[l] = id;
    if (!seen.locations.has(id)) {
      seen.locations.add(id);
      out.add([id, m ? basename(m.path) : '', m?.path ?? '', m?.buildId ?? '', m ? offset + m.fileOffset : address, fns, lines]);
    }
  }
  return ids;
}

/** Stack ids per stack node (0 for the empty stack); new stacks, with their call-site keys, go to `out`. */
function stackRows(p: HeapProfile, locationIds: readonly bigint[], seen: SeenIds, out: RowBatchBuilder, str: (s: string) => bigint): BigInt64Array {
  const { parent, location } = p.stacks;
  // The empty stack (samples with no frames) is a row too, id 0: its site is `(no stack)`.
  const ids = new BigInt64Array(p.stacks.length);
  const fresh: number[] = [];
  if (!seen.stacks.has(0n)) {
    seen.stacks.add(0n);
    fresh.push(EMPTY_STACK);
  }
  for (let s = 1; s < p.stacks.length; s++) {
    const id = new ContentHash(Domain.stack).big(ids[parent[s]]).big(locationIds[location[s]]).digest();
    ids[s] = id;
    if (!seen.stacks.has(id)) {
      seen.stacks.add(id);
      fresh.push(s);
    }
  }
  if (fresh.length === 0) return ids;
  const frames = new FrameTable(p);
  const indexes = GROUPINGS.map((by) => new SiteIndex(p, { by }, frames));
  const keysOf = (k: number, s: number): bigint[] => {
    const sites = indexes[k];
    const keys = sites.stackKeys(s) as Int32Array; // no filters: never null
    return Array.from(keys, (key) => str(sites.names[key]));
  };
  for (const s of fresh) {
    const leaf = s === EMPTY_STACK ? 0n : locationIds[location[s]];
    out.add([ids[s], s === EMPTY_STACK ? 0n : ids[parent[s]], leaf, keysOf(0, s), keysOf(1, s), keysOf(2, s), keysOf(3, s)[0]]);
  }
  return ids;
}

function mainBuildId(p: HeapProfile): string {
  return mainMapping(p)?.buildId ?? '';
}

function mainBinaryName(p: HeapProfile): string {
  return mainMapping(p)?.path.replace(/.*\//, '') ?? '';
}
