/**
 * Ordering a series of snapshots of one process, and the checks that say
 * whether the series is one: same process and binary, same format and
 * sampling, cumulative counters that never go backwards, no truncated dump.
 */
import { basename, dirname } from 'node:path';
import { parseDumpName, type HeapProfile, type Mapping, type MergedInputs, type ProfileMeta, type Sampling } from '@heapscope/parser';

/** How inputs are ordered: by the producer's sequence numbers when every input has one, else as given. */
export type SeriesOrder = 'auto' | 'given' | 'sequence';

/**
 * What the series checks need of one snapshot, so that a long series can be
 * checked without holding its profiles (see `growthPoint`).
 */
export interface SeriesFacts {
  file: string;
  pid?: number;
  dumpSeq?: number;
  /** Format and variant, as shown in messages (`jemalloc heap_v2`). */
  format: string;
  /** Sampling model and period (`poisson/524288`, `none`). */
  sampling: string;
  /** What sizes mean (`exact`, `average-usable`, …). */
  sizeKind: string;
  /** Whether the dump was sampled (its values are estimates). */
  sampled: boolean;
  /** The executable's file name, or ''. */
  binary: string;
  /** Totals of the cumulative sample types the profile has. */
  cumulative: { alloc_objects?: number; alloc_space?: number };
  /** The importer said the dump looks truncated. */
  truncated: boolean;
  /**
   * What the producer's file name says of the dump's place (see
   * {@link nameFacts}); absent when the name is not a producer's.
   */
  name?: NameFacts;
}

/** A dump's place in its process's series, as the producer's file name gives it. */
export interface NameFacts {
  /**
   * The process the name says the dump is of: jemalloc's prefix and pid;
   * gperftools' prefix, which carries `_<pid>` for a child process's dumps.
   */
  process: string;
  /** The sequence number (jemalloc's per-process counter, gperftools' NNNN). */
  seq: number;
  /** jemalloc's dump kind and its own counter (`i` 3 of `….i3.heap`); gperftools numbers every dump in `seq`. */
  kind?: string;
  index?: number;
}

/** The name facts of the dump file `file`, or undefined for a name no producer wrote. */
export function nameFacts(file: string): NameFacts | undefined {
  const n = parseDumpName(file);
  if (n.seq === undefined || n.prefix === undefined) return undefined;
  return { process: n.pid !== undefined ? `${n.prefix}.${n.pid}` : n.prefix, seq: n.seq, kind: n.kind, index: n.index };
}

/** A series member: a profile, or the facts taken from one. */
export type SeriesMember = HeapProfile | SeriesFacts;

/** The facts of `profile` that the series checks use. */
export function seriesFacts(profile: HeapProfile): SeriesFacts {
  const { meta } = profile;
  const cumulative: SeriesFacts['cumulative'] = {};
  for (const type of ['alloc_objects', 'alloc_space'] as const) {
    const i = profile.sampleTypeIndex(type);
    if (i >= 0) cumulative[type] = profile.total(i);
  }
  return {
    file: meta.file,
    pid: meta.pid,
    dumpSeq: meta.dumpSeq,
    format: `${meta.format}${meta.variant ? ` ${meta.variant}` : ''}`,
    sampling: samplingName(meta.sampling),
    sizeKind: meta.sizeKind,
    sampled: meta.sampling.periodBytes > 1,
    binary: mainBinary(profile),
    cumulative,
    truncated: meta.warnings.some((w) => /truncated/.test(w.message)),
    name: nameFacts(meta.file),
  };
}

function factsOf(member: SeriesMember): SeriesFacts {
  return 'samples' in member ? seriesFacts(member) : member;
}

/**
 * The order of `members` (indexes into it). jemalloc names dumps
 * `prefix.<pid>.<seq>.<kind><n>.heap` with one counter per process;
 * gperftools `prefix.<NNNN>.heap`. Dumps of different processes (by name)
 * are not interleaved by their counters: a forked child's counter goes on
 * from its parent's, so its dumps come after the parent's whole run, each
 * process in the order it is first given (the series warnings say that
 * processes are mixed).
 */
export function seriesOrder(members: readonly SeriesMember[], order: SeriesOrder = 'auto'): { indexes: number[]; by: 'sequence' | 'given' } {
  const seqs = members.map((m) => ('samples' in m ? m.meta.dumpSeq : m.dumpSeq));
  const given = members.map((_, i) => i);
  if (order === 'given') return { indexes: given, by: 'given' };
  if (!seqs.every((s) => s !== undefined)) {
    if (order === 'sequence') throw new Error('not every input has a dump sequence number in its name; use the order given');
    return { indexes: given, by: 'given' };
  }
  const processes = members.map((m) => factsOf(m).name?.process ?? '');
  const rank = new Map<string, number>();
  for (const p of processes) if (!rank.has(p)) rank.set(p, rank.size);
  const rankOf = (i: number) => rank.get(processes[i]) as number;
  const sorted = [...given].sort((a, b) => rankOf(a) - rankOf(b) || (seqs[a] as number) - (seqs[b] as number) || a - b);
  return { indexes: sorted, by: 'sequence' };
}

/** A sampling as messages name it: `poisson/524288`, `uniform/1048576`, `none` (every allocation recorded, whatever the model says). */
export function samplingName(s: Sampling): string {
  return s.model === 'none' || s.periodBytes <= 1 ? 'none' : `${s.model}/${s.periodBytes}`;
}

/** The first few of a list, and how many there are in all. */
function someOf(values: readonly (string | number)[], shown = 5): string {
  return values.length <= shown ? values.join(', ') : `${values.slice(0, shown).join(', ')}, … ${values.length} in all`;
}

/** The distinct values of one fact of every input, in the order first seen, for {@link mixedInputWarnings}. */
export interface InputDifferences {
  pids: readonly number[];
  formats: readonly string[];
  samplings: readonly string[];
  sizeKinds: readonly string[];
}

/**
 * Warnings when inputs that are summed or compared differ in process,
 * format, sampling or size kind. Messages state facts.
 */
export function mixedInputWarnings(d: InputDifferences | MergedInputs | undefined): string[] {
  if (!d) return [];
  const samplings = d.samplings.map((s) => (typeof s === 'string' ? s : samplingName(s)));
  const out: string[] = [];
  if (d.pids.length > 1) out.push(`inputs come from ${d.pids.length} different processes (pids ${someOf(d.pids)})`);
  if (d.formats.length > 1) out.push(`inputs have different formats (${someOf(d.formats)})`);
  if (samplings.length > 1) out.push(`inputs were sampled differently (${someOf(samplings)}); each input's values were unsampled by its own sampling`);
  if (d.sizeKinds.length > 1) out.push(`inputs record sizes differently (${someOf(d.sizeKinds)})`);
  return out;
}

/**
 * Warnings about a series that may not be one. Messages state facts.
 * `kind` `pair`: two dumps compared (diff), where dumps skipped between
 * them are no gap.
 */
export function seriesWarnings(members: readonly SeriesMember[], kind: 'series' | 'pair' = 'series'): string[] {
  const facts = members.map(factsOf);
  const distinct = <T>(values: T[]) => [...new Set(values)];
  const out = mixedInputWarnings({
    pids: distinct(facts.map((f) => f.pid).filter((p) => p !== undefined)),
    formats: distinct(facts.map((f) => f.format)),
    samplings: distinct(facts.map((f) => f.sampling)),
    sizeKinds: distinct(facts.map((f) => f.sizeKind)),
  });
  const binaries = distinct(facts.map((f) => f.binary).filter((b) => b !== ''));
  if (binaries.length > 1) out.push(`inputs come from different binaries (${binaries.join(', ')})`);
  for (const type of ['alloc_objects', 'alloc_space'] as const) {
    for (let i = 1; i < facts.length; i++) {
      const a = facts[i - 1];
      const b = facts[i];
      const before = a.cumulative[type];
      const after = b.cumulative[type];
      // Across two processes the counters start over; a dump of unknown process is checked.
      const otherProcess = (a.pid !== undefined && b.pid !== undefined && a.pid !== b.pid) || (a.name && b.name && a.name.process !== b.name.process);
      if (before === undefined || after === undefined || otherProcess) continue;
      // Sampled dumps wobble; only a clear step back is a reset or a mix-up.
      if (after < before * (a.sampled ? 0.9 : 1) - 1e-6) {
        out.push(`cumulative ${type} goes backwards from ${a.file} to ${b.file} (${Math.round(before)} → ${Math.round(after)}): a restarted process or a different one?`);
        break;
      }
    }
  }
  out.push(...nameWarnings(facts, kind === 'series'));
  for (const f of facts) if (f.truncated) out.push(`${f.file} looks truncated`);
  return out;
}

/**
 * What the producers' file names say is wrong with a series: gperftools
 * dumps of different processes (their names carry no pid field, only the
 * `_<pid>` a child appends to the prefix; jemalloc's pids are checked with
 * the content's) and, in a series (`series`; not two dumps compared), two
 * dumps of one name (a compressed copy beside the dump, or two runs with one
 * pid) and dumps missing between two that are given — then a step between
 * points is not one dump's. Messages state facts.
 */
function nameWarnings(facts: readonly SeriesFacts[], series: boolean): string[] {
  const out: string[] = [];
  const named = facts.filter((f): f is SeriesFacts & { name: NameFacts } => f.name !== undefined);
  const unpidded = [...new Set(named.filter((f) => f.pid === undefined).map((f) => f.name.process))];
  if (unpidded.length > 1) out.push(`dumps are named for ${unpidded.length} different processes (${someOf(unpidded)}): gperftools appends _<pid> to the dumps of a process that a profiled one started`);
  const bySeq = new Map<string, string>();
  for (const f of series ? named : []) {
    const key = `${f.name.process}\0${f.name.seq}`;
    const first = bySeq.get(key);
    if (first === undefined) bySeq.set(key, f.file);
    else if (first !== f.file) out.push(`${f.file} and ${first} are both dump #${f.name.seq} of ${f.name.process}: one dump given twice (a copy), or two runs' dumps (a pid used again, as in containers)`);
  }
  // jemalloc counts each kind of dump on its own (`i0, i1, …`, `u0, …`) under
  // one sequence counter, so a kind's dumps skip sequence numbers whenever
  // another kind was written; its own counter must not skip. gperftools
  // numbers every dump, whatever triggered it.
  const runs = new Map<string, { n: number; file: string }[]>();
  for (const f of series ? named : []) {
    const n = f.name.kind === undefined ? f.name.seq : f.name.index;
    if (n === undefined) continue; // jemalloc's final dump has no counter of its own
    const key = `${f.name.process}\0${f.name.kind ?? ''}`;
    const run = runs.get(key);
    if (run) run.push({ n, file: f.file });
    else runs.set(key, [{ n, file: f.file }]);
  }
  const skipped: string[] = [];
  let missing = 0;
  for (const run of runs.values()) {
    run.sort((a, b) => a.n - b.n);
    for (let i = 1; i < run.length; i++) {
      const gap = run[i].n - run[i - 1].n - 1;
      if (gap > 0) skipped.push(`${gap} between ${basename(run[i - 1].file)} and ${basename(run[i].file)}`);
      missing += Math.max(gap, 0);
    }
  }
  if (skipped.length > 0) out.push(`${missing === 1 ? '1 dump is' : `${missing} dumps are`} missing from the series (${someOf(skipped, 3)}): a step between points spans more than one dump`);
  return out;
}

/**
 * Warnings when inputs that are summed (top, sizes, merge, convert,
 * flamegraph, view) include several dumps of one process: what it held at
 * different moments adds up (a 5 MiB leak dumped five times sums to
 * 15 MiB), and so do cumulative counts. One process is one pid (or, for
 * gperftools, one name prefix) in one directory: a fleet's dumps, each in
 * its host's directory, may share a pid (pid 1 in containers) and are meant
 * to be summed. Merged inputs are left alone. Messages state facts.
 */
export function summedDumpsWarnings(metas: readonly ProfileMeta[]): string[] {
  const byProcess = new Map<string, { label: string; files: string[] }>();
  for (const m of metas) {
    if (m.merged || m.file === '-') continue;
    const name = nameFacts(m.file);
    const process = m.pid !== undefined ? `pid ${m.pid}` : name?.process;
    if (process === undefined) continue;
    const key = `${dirname(m.file)}\0${process}`;
    const entry = byProcess.get(key) ?? { label: process, files: [] };
    entry.files.push(basename(m.file));
    byProcess.set(key, entry);
  }
  return [...byProcess.values()]
    .filter((e) => e.files.length > 1)
    .map((e) => `${e.files.length} inputs are dumps of one process (${e.label}: ${someOf(e.files, 3)}), and they are summed: what it held at different moments adds up; growth, churn and diff compare dumps`);
}

/** The executable mapping at the lowest address that names a file: usually the main binary. */
export function mainMapping(p: HeapProfile): Mapping | undefined {
  let best: Mapping | undefined;
  for (const m of p.mappings) {
    if (!m.path.startsWith('/') || !m.perms.includes('x')) continue;
    if (!best || m.start < best.start) best = m;
  }
  return best;
}

/** The file name of the main binary ({@link mainMapping}), or ''. */
function mainBinary(p: HeapProfile): string {
  return mainMapping(p)?.path.replace(/.*\//, '') ?? '';
}
