/**
 * pprof profiles: gzip-compressed (or plain) protocol buffers of the
 * `perftools.profiles.Profile` message.
 *
 * Producers: Go's runtime/pprof (`WriteHeapProfile`, `/debug/pprof/heap`),
 * `go tool pprof -proto`, google/pprof, tcmalloc's and Abseil's profilers,
 * Datadog's and Pyroscope's agents, and heapscope's own `convert --to pprof`.
 * Format defined by google/pprof's proto/profile.proto. What one holds
 * (values from a real Go 1.19 heap profile, as `go tool pprof -raw` shows it):
 *
 *   PeriodType: space bytes
 *   Period: 524288
 *   Samples:
 *   alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes
 *            1    1048576          1    1048576: 1 2 3 4
 *                  bytes:[1048576]
 *   Locations
 *        1: 0x4bd5a6 M=1 main.leak /tmp/w/main.go:12 s=0
 *
 * Samples point to locations leaf first; a location has lines innermost
 * first (several lines = inlined calls); values are signed int64, already
 * unsampled by the producer (the period says how it sampled); labels are
 * string or numeric (with a unit) key/value pairs.
 *
 * Mapping into the model:
 * - sample types, default sample type, mappings (with build ids), functions,
 *   locations and their lines as they are; addresses are not return
 *   addresses (pprof writers store the address to symbolize);
 * - the string label `thread` (also `thread id`, `thread_id`, `tid`) becomes
 *   the sample's thread, `thread_name`/`thread name` its name;
 * - numeric labels become label columns (`bytes` has unit `bytes` when the
 *   file gives none, as pprof assumes); other string labels cannot be kept
 *   in the model and are counted in a warning;
 * - `period_type` space/bytes with `period` > 1 means Poisson sampling with
 *   that period (Go's MemProfileRate); values are not scaled again;
 * - a `heapscope-meta: {…}` comment (written by heapscope) restores the
 *   original sampling, size kind and dump facts, how the inputs of a merge
 *   were recorded, and the warnings of the profile written.
 *
 * The pprof-format decoder accepts truncated and corrupt buffers without a
 * word, so the structure is checked first (pprof-wire.ts), and every index
 * (string, location, function, mapping) is checked while mapping.
 */
import { Profile as PprofProfile } from 'pprof-format';
import type { Head, ParseContext, SnapshotImporter } from './importer.js';
import type { Input } from '../input/source.js';
import { ParseError, warningsFrom } from '../errors.js';
import { DEFAULT_MAX_SAMPLES, ProfileBuilder } from '../model/builder.js';
import { mergedInputsFrom, type ProfileMeta, type Sampling, type ValueType } from '../model/profile.js';
import { parseDumpName } from './dump-name.js';
import { checkProfileWire, ProfileScan, sniffProfileWire, stripForeignFields, WireError } from './pprof-wire.js';
import { MAX_PERIOD_BYTES } from './unsample.js';
import { HEAP_PERIOD_TYPE, HEAPSCOPE_META_COMMENT, THREAD_LABEL_KEYS, THREAD_NAME_LABEL_KEYS, type HeapscopeMetaComment } from './pprof-facts.js';

type Numeric = number | bigint;

/** int64 field → number (pprof-format returns bigint, unsigned, for long varints). */
function int64(v: Numeric): number {
  return typeof v === 'bigint' ? Number(BigInt.asIntN(64, v)) : v;
}

/** uint64 field → bigint. */
function uint64(v: Numeric): bigint {
  return typeof v === 'bigint' ? BigInt.asUintN(64, v) : BigInt(v);
}

/** An id or index field → number (ids beyond 2^53 do not occur; they would still be distinct keys as strings). */
function id(v: Numeric): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

export const pprofImporter: SnapshotImporter = {
  id: 'pprof',
  kind: 'snapshot',
  description: 'pprof protocol buffer profile (gzipped or plain): Go runtime/pprof heap profiles, go tool pprof -proto, heapscope convert --to pprof',

  sniff(head: Head): number {
    if (head.bytes.length === 0) return 0;
    const facts = sniffProfileWire(head.bytes);
    // A Profile has sample types (field 1, which writers put first) and a
    // string table (field 6); text formats break the wire walk within a few
    // bytes, before either.
    const profileLike = (facts.counts.get(1) ?? 0) > 0 || (facts.counts.get(6) ?? 0) > 0;
    if (!profileLike) return 0;
    // Well-formed up to a bad field: still claim it, so that the parser
    // says exactly what is wrong where, instead of "unrecognized input".
    return facts.clean ? 0.9 : 0.6;
  },

  async parse(input: Input, ctx: ParseContext) {
    // Held whole to be decoded: limits are checked as the bytes arrive.
    const scan = new ProfileScan({ maxRecordBytes: input.maxLineBytes, maxSamples: ctx.options.maxSamples ?? DEFAULT_MAX_SAMPLES });
    const bytes = await input.readAll((chunk) => scan.feed(chunk));
    const fail = (reason: string): never => {
      throw new ParseError(input.name, 1, reason, 'pprof');
    };
    if (bytes.length === 0) fail('input is empty');
    let data = bytes;
    try {
      const facts = checkProfileWire(bytes);
      if (facts.foreign) {
        ctx.warn('fields unknown to pprof (numbers 16 and up, or fixed-width) were ignored');
        data = stripForeignFields(bytes);
      }
      if ((facts.counts.get(6) ?? 0) === 0) fail('not a pprof profile: it has no string table');
    } catch (error) {
      if (error instanceof WireError) fail(`corrupt or truncated pprof data at byte ${error.offset}: ${error.message}`);
      throw error;
    }
    const pb = PprofProfile.decode(data);
    return mapProfile(pb, input.name, ctx, fail);
  },
};

/** What is wrong with a heapscope-meta comment's sampling (JSON may say 1e400, which is Infinity), or undefined. */
function samplingProblem(sampling: Sampling | undefined): string | undefined {
  if (sampling === undefined) return undefined;
  if (typeof sampling !== 'object' || sampling === null || !['none', 'poisson', 'uniform'].includes(sampling.model)) return 'has an unknown model';
  const p = sampling.periodBytes;
  if (typeof p !== 'number' || !(p >= 0 && p <= MAX_PERIOD_BYTES)) return `period ${String(p)} is not a number of bytes between 0 and 2^53`;
  if (sampling.model !== 'none' && p === 0) return 'period is 0';
  return undefined;
}

function mapProfile(pb: PprofProfile, file: string, ctx: ParseContext, fail: (reason: string) => never) {
  const strings = pb.stringTable.strings;
  if (strings.length === 0 || strings[0] !== '') fail('string_table[0] must be the empty string');
  const str = (index: Numeric, what: string): string => {
    const i = id(index);
    if (!(i >= 0 && i < strings.length)) fail(`${what} refers to string ${i}, but the string table has ${strings.length} entries`);
    return strings[i];
  };

  // Facts heapscope wrote, when it wrote this file.
  let written: HeapscopeMetaComment = {};
  for (const c of pb.comment) {
    const text = str(c, 'a comment');
    if (text.startsWith(HEAPSCOPE_META_COMMENT)) {
      try {
        written = JSON.parse(text.slice(HEAPSCOPE_META_COMMENT.length)) as HeapscopeMetaComment;
      } catch {
        ctx.warn('a heapscope-meta comment is not valid JSON; ignored');
      }
    }
  }
  const problem = samplingProblem(written.sampling);
  if (problem) fail(`the heapscope-meta comment's sampling ${problem}`);

  const sampleTypes: ValueType[] = pb.sampleType.map((t, i) => ({
    type: str(t.type, `sample_type ${i + 1}`),
    unit: str(t.unit, `sample_type ${i + 1}`),
  }));
  const defaultType = str(pb.defaultSampleType, 'default_sample_type');
  if (defaultType !== '' && !sampleTypes.some((t) => t.type === defaultType)) {
    fail(`default_sample_type "${defaultType}" is not one of the sample types (${sampleTypes.map((t) => t.type).join(', ')})`);
  }

  const periodType = pb.periodType ? { type: str(pb.periodType.type, 'period_type'), unit: str(pb.periodType.unit, 'period_type') } : undefined;
  const period = int64(pb.period);
  if (period > MAX_PERIOD_BYTES) fail(`the sampling period ${period} exceeds 2^53`);
  // Go's heap profiles: period_type space/bytes, period = MemProfileRate,
  // each allocation sampled with probability 1 − exp(−size/period).
  const sampling: Sampling =
    written.sampling ??
    (periodType?.type === HEAP_PERIOD_TYPE.type && periodType.unit === HEAP_PERIOD_TYPE.unit && period > 1 ? { model: 'poisson', periodBytes: period } : { model: 'none', periodBytes: 0 });
  const name = parseDumpName(file);
  const variant = written.format ? `from ${written.format}${written.variant ? ` ${written.variant}` : ''}` : periodType ? `${periodType.type}/${periodType.unit}` : '';
  const meta: ProfileMeta = {
    format: 'pprof',
    variant,
    file,
    pid: written.pid ?? name.pid,
    dumpSeq: written.dumpSeq ?? name.seq,
    dumpKind: written.dumpKind ?? name.kind,
    timeNs: pb.timeNanos ? int64(pb.timeNanos) : undefined,
    sampling,
    sizeKind: written.sizeKind ?? 'average-requested',
    // pprof stores the address to look up (pprof-facts.ts, `pprofAddress`).
    returnAddresses: false,
    merged: written.merged === undefined ? undefined : mergedInputsFrom(written.merged),
    warnings: [],
  };
  if (written.merged !== undefined && meta.merged === undefined) ctx.warn('the heapscope-meta comment describes the merged inputs in a form not understood; ignored');
  const writtenWarnings = written.warnings === undefined ? [] : warningsFrom(written.warnings);
  if (writtenWarnings) ctx.warnings.addAll(writtenWarnings);
  else ctx.warn('the heapscope-meta comment lists warnings in a form not understood; ignored');

  // Numeric label keys, in order of first appearance, with their units.
  const labelKeys: { key: string; unit: string }[] = [];
  const labelIndex = new Map<string, number>();
  const otherStringKeys = new Map<string, number>();
  let unitConflicts = 0;
  for (const s of pb.sample) {
    for (const l of s.label) {
      const key = str(l.key, 'a label key');
      if (l.str) {
        if (!THREAD_LABEL_KEYS.has(key) && !THREAD_NAME_LABEL_KEYS.has(key)) otherStringKeys.set(key, (otherStringKeys.get(key) ?? 0) + 1);
        continue;
      }
      if (THREAD_LABEL_KEYS.has(key)) continue;
      const unit = str(l.numUnit, 'a label unit') || (key === 'bytes' ? 'bytes' : '');
      const known = labelIndex.get(key);
      if (known === undefined) {
        labelIndex.set(key, labelKeys.length);
        labelKeys.push({ key, unit });
      } else if (l.numUnit && labelKeys[known].unit !== unit) unitConflicts++;
    }
  }

  const builder = new ProfileBuilder({
    sampleTypes,
    defaultSampleType: defaultType || undefined,
    labels: labelKeys,
    maxStacks: ctx.options.maxStacks,
    maxSamples: ctx.options.maxSamples,
    meta,
  });

  // Mappings.
  const mappingOfId = new Map<number, number>();
  pb.mapping.forEach((m, i) => {
    const mid = id(m.id);
    if (mid === 0) fail(`mapping ${i + 1} has id 0`);
    if (mappingOfId.has(mid)) fail(`mapping id ${mid} is used twice`);
    mappingOfId.set(
      mid,
      builder.addMapping({
        start: uint64(m.memoryStart),
        limit: uint64(m.memoryLimit),
        fileOffset: uint64(m.fileOffset),
        path: str(m.filename, `mapping ${mid}`),
        buildId: str(m.buildId, `mapping ${mid}`),
        // pprof keeps executable mappings only.
        perms: 'r-xp',
      }),
    );
  });

  // Functions.
  const functionOfId = new Map<number, number>();
  pb.function.forEach((f, i) => {
    const fid = id(f.id);
    if (fid === 0) fail(`function ${i + 1} has id 0`);
    if (functionOfId.has(fid)) fail(`function id ${fid} is used twice`);
    const fname = str(f.name, `function ${fid}`);
    const system = str(f.systemName, `function ${fid}`);
    functionOfId.set(fid, builder.internFunction(fname || system, str(f.filename, `function ${fid}`), system || fname, int64(f.startLine)));
  });

  // Locations.
  const locationOfId = new Map<number, number>();
  pb.location.forEach((l, i) => {
    const lid = id(l.id);
    if (lid === 0) fail(`location ${i + 1} has id 0`);
    if (locationOfId.has(lid)) fail(`location id ${lid} is used twice`);
    let mapping = -1;
    const mid = id(l.mappingId);
    if (mid !== 0) {
      const m = mappingOfId.get(mid);
      if (m === undefined) fail(`location ${lid} refers to mapping ${mid}, which does not exist`);
      mapping = m as number;
    }
    const lines: [number, number][] = l.line.map((line) => {
      const fid = id(line.functionId);
      const f = functionOfId.get(fid);
      if (f === undefined) fail(`location ${lid} refers to function ${fid}, which does not exist`);
      return [f as number, int64(line.line)];
    });
    const address = uint64(l.address);
    locationOfId.set(lid, builder.addLocation(Number(address >> 32n), Number(address & 0xffffffffn), mapping, lines));
  });

  // Samples.
  const values = new Float64Array(sampleTypes.length);
  const labels = new Float64Array(labelKeys.length);
  const locations: number[] = [];
  let repeatedLabels = 0;
  pb.sample.forEach((s, i) => {
    if (s.value.length !== sampleTypes.length) fail(`sample ${i + 1} has ${s.value.length} values for ${sampleTypes.length} sample types`);
    for (let k = 0; k < values.length; k++) values[k] = int64(s.value[k]);
    locations.length = 0;
    for (const lidRaw of s.locationId) {
      const lid = id(lidRaw);
      const l = locationOfId.get(lid);
      if (l === undefined) fail(`sample ${i + 1} refers to location ${lid}, which does not exist`);
      locations.push(l as number);
    }
    labels.fill(NaN);
    let threadKey: string | undefined;
    let threadName = '';
    for (const l of s.label) {
      const key = strings[id(l.key)];
      if (THREAD_LABEL_KEYS.has(key)) threadKey = l.str ? str(l.str, 'a thread label') : String(int64(l.num));
      else if (THREAD_NAME_LABEL_KEYS.has(key) && l.str) threadName = str(l.str, 'a thread name label');
      else if (!l.str) {
        const k = labelIndex.get(key) as number;
        if (Number.isNaN(labels[k])) labels[k] = int64(l.num);
        else repeatedLabels++;
      }
    }
    const thread = threadKey !== undefined ? builder.thread(threadKey, threadName) : -1;
    builder.addSample(builder.internStack(locations), thread, values, labels);
  });

  if (otherStringKeys.size > 0) {
    const total = [...otherStringKeys.values()].reduce((a, b) => a + b, 0);
    ctx.warn(`string labels other than the thread are not kept (keys: ${[...otherStringKeys.keys()].slice(0, 5).join(', ')})`, undefined, total);
  }
  if (repeatedLabels > 0) ctx.warn('a numeric label repeated on one sample: the first value is kept', undefined, repeatedLabels);
  if (unitConflicts > 0) ctx.warn('a numeric label has different units on different samples: the first unit is kept', undefined, unitConflicts);
  const profile = builder.finish();
  return profile.with({ meta: { ...profile.meta, warnings: ctx.warningList() } });
}
