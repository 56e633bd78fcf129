/**
 * One real perf.data printed by `perf script` the ways users print it
 * (fixtures/perf-shapes: Debian's sqlite3 with frame-pointer callchains, the
 * C++ workload's worker with DWARF callchains and inlined frames, and sqlite3
 * recorded with probes whose arguments are named or typed otherwise). Each
 * printing reads the same as the default one — counts, bytes, sizes, threads
 * and each call stack's names — or, where perf left out what the import
 * needs, is refused at its line with the option to add; or, where perf left
 * out the callchain, reads the same counts and says which option prints it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { HeapProfile } from '@heapscope/parser';
import { loadProfiles, readInput, type LoadedInput } from '@heapscope/analyzer';
import { FIXTURES, findFiles } from '@heapscope/testkit/paths';
import { namesOf } from './helpers/gdb-frames.js';
import { accumulatedSizes, foldedReportSizes } from './helpers/perf-report.js';
import { importPerf, messages } from './helpers/perf-text.js';

const DIR = join(FIXTURES, 'perf-shapes');
const file = (name: string) => join(DIR, `${name}.perf.txt.gz`);

/** Each stack's function names (root first, inlined ones included) → its value of `type`, summed. */
function stacks(p: HeapProfile, type: string): Record<string, number> {
  const t = p.sampleTypeIndex(type);
  const out: Record<string, number> = {};
  for (let i = 0; i < p.samples.length; i++) {
    const names = p
      .stackLocations(p.samples.stack[i])
      .flatMap((l) => {
        const n = namesOf(p, l);
        return n.length > 0 ? n : [p.addressHex(l)];
      })
      .reverse()
      .join(';');
    out[names] = (out[names] ?? 0) + p.samples.values[t][i];
  }
  return out;
}

/** What a printing must read the same as the default one: counts, bytes, sizes, threads and stacks. */
function reading(loaded: LoadedInput) {
  const { profile: p, trace } = loaded;
  const report = trace!.report;
  const totals: Record<string, number> = {};
  p.sampleTypes.forEach((t, i) => (totals[t.type] = p.total(i)));
  return {
    totals,
    ops: report.ops,
    peak: report.peak.bytes,
    live: report.liveBytes,
    sizes: [...accumulatedSizes(trace!)].sort((a, b) => a[0] - b[0]),
    threads: p.threads.map((t) => t.name).sort(),
    allocated: stacks(p, 'alloc_space'),
    live_stacks: stacks(p, 'inuse_space'),
  };
}

const perfNames = (name: string) => readInput(file(name)).then(reading);
const symbolized = (name: string) => loadProfiles([file(name)], { symbolize: true, symbolCache: false }).then(([l]) => reading(l));
const warnings = async (name: string) => (await readInput(file(name))).profile.meta.warnings.map((w) => w.message);

async function refusal(name: string): Promise<{ line: number; reason: string }> {
  const error = await readInput(file(name)).then(
    () => null,
    (e: unknown) => e as { line: number; reason: string; file: string },
  );
  if (!error) throw new Error(`${name} was read; it should be refused`);
  expect(error.file).toBe(file(name));
  return error;
}

describe('perf script printings of one capture (fixtures/perf-shapes)', () => {
  it('has every printing the fixture script makes', () => {
    expect(findFiles(DIR, /\.perf\.txt\.gz$/).length).toBe(34);
  });

  it("the default printing agrees with perf report's (size, count) pairs on the same perf.data", async () => {
    const { trace } = await readInput(file('sqlite3.default'));
    // perf report counts glibc's malloc(n) inside realloc(NULL, n) as an event of its own; heapscope counts the realloc.
    const { sizes, nested } = foldedReportSizes(join(DIR, 'golden', 'sqlite3.default.perf-report.txt'));
    const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    expect(sorted(accumulatedSizes(trace!))).toEqual(sorted(sizes));
    expect(sizes.size).toBeGreaterThan(10);
    expect(nested).toBeGreaterThan(0);
  });

  // Same names as perf printed them, and so the same after symbolization.
  for (const shape of ['header', 'show-events', 'ns-reltime', 'inline', 'no-inline', 'no-demangle', 'fields-symoff-srcline', 'fields-pid-period-misc', 'fields-tod']) {
    it(`reads sqlite3.${shape} as the default printing, frame for frame`, async () => {
      expect(await perfNames(`sqlite3.${shape}`)).toEqual(await perfNames('sqlite3.default'));
    });
  }

  it('reads a printing without comm and tid (-F time,event,…) with the same counts and stacks, as one thread', async () => {
    const { threads, ...rest } = await perfNames('sqlite3.fields-no-comm-tid');
    const { threads: defaultThreads, ...want } = await perfNames('sqlite3.default');
    expect(rest).toEqual(want);
    expect([threads.length, defaultThreads.length]).toEqual([1, 1]);
  });

  // perf's names differ (no offsets, no symbols): the frames are the same places, and symbolization names them the same.
  for (const shape of ['fields-no-symoff', 'fields-ip-dso']) {
    it(`reads sqlite3.${shape} as the default printing once symbolized`, async () => {
      expect(await symbolized(`sqlite3.${shape}`)).toEqual(await symbolized('sqlite3.default'));
    });
  }

  for (const set of ['unnamed', 'glibc-names', 'hex']) {
    it(`reads sqlite3 recorded with probe arguments ${set} as with the documented probes (counts, sizes, stacks)`, async () => {
      const { threads, ...rest } = await symbolized(`sqlite3.args-${set}`);
      const { threads: want, ...base } = await symbolized('sqlite3.default');
      expect(rest).toEqual(base);
      expect(threads).toEqual(want);
    });
  }

  for (const shape of ['plus-pid', 'hide-call-graph', 'hide-call-graph-ip']) {
    it(`reads sqlite3.${shape} (no callchain printed) with the same counts, one frame per stack, and says which option prints the callchain`, async () => {
      const got = await perfNames(`sqlite3.${shape}`);
      const want = await perfNames('sqlite3.default');
      for (const key of ['totals', 'ops', 'peak', 'live', 'sizes', 'threads'] as const) expect(got[key], key).toEqual(want[key]);
      expect(Object.keys(got.allocated).every((s) => !s.includes(';'))).toBe(true);
      const said = await warnings(`sqlite3.${shape}`);
      const hint = shape === 'hide-call-graph-ip' ? /one frame on the sample line \(perf script -G/ : /records without a callchain .*-F without ip: add ip,sym,symoff,dso/;
      expect(said.some((w) => hint.test(w)), said.join('\n')).toBe(true);
    });
  }

  it('reads the source lines of -F +srccode (`|243  blocks[i] = …`, between records) as nothing but counted source lines (the C workload)', async () => {
    expect(await perfNames('workload-worker.hide-call-graph-srccode')).toEqual(await perfNames('workload-worker.hide-call-graph-ip'));
    const said = await warnings('workload-worker.hide-call-graph-srccode');
    expect(said).toContain('source lines (perf script -F +srcline, +srccode) are not used: frames are named by their symbols');
    expect(await warnings('workload-worker.hide-call-graph-ip')).not.toContain('source lines (perf script -F +srcline, +srccode) are not used: frames are named by their symbols');
  });

  it('reads --reltime (first time 0) where a record went back, as perf can print after out-of-order events: a warning, not the --deltatime refusal', async () => {
    const lines = new TextDecoder().decode(gunzipSync(new Uint8Array(readFileSync(file('sqlite3.ns-reltime'))))).split('\n');
    const samples = lines.flatMap((l, i) => (/^\S.* \d+\.\d{9}: /.test(l) ? [i] : []));
    // The 4th record swaps its time with the 3rd's: one step back, early on.
    const time = (i: number) => / (\d+\.\d{9}): /.exec(lines[i])![1];
    const [t3, t4] = [time(samples[2]), time(samples[3])];
    lines[samples[2]] = lines[samples[2]].replace(` ${t3}: `, ` ${t4}: `);
    lines[samples[3]] = lines[samples[3]].replace(` ${t4}: `, ` ${t3}: `);
    expect(t3 < t4).toBe(true);
    const read = await importPerf(lines.join('\n'));
    expect(messages(read.warnings)).toContainEqual(expect.stringMatching(/^timestamps go backwards: .* ×1$/));
  });

  it('takes a frame line that lost its dso in a printing whose frames have dsos for damage: an error at its line, one record skipped when lenient', async () => {
    const lines = new TextDecoder().decode(gunzipSync(new Uint8Array(readFileSync(file('sqlite3.default'))))).split('\n');
    const at = lines.findIndex((l, i) => i > 40 && /^\t +[0-9a-f]+ \S+ \(\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6\)$/.test(l));
    lines[at] = lines[at].replace(/ \(\/usr\/lib\/x86_64-linux-gnu\/libc\.so\.6\)$/, '');
    const text = lines.join('\n');
    await expect(importPerf(text)).rejects.toMatchObject({ line: at + 1, reason: expect.stringMatching(/^expected a callchain frame/) });
    const lenient = await importPerf(text, { lenient: true });
    expect(messages(lenient.warnings)).toContainEqual(expect.stringMatching(/^skipped malformed record: expected a callchain frame .* ×1$/));
  });

  const refused: [string, number, RegExp][] = [
    ['sqlite3.no-dso', 2, /^a callchain frame without its dso \(perf script -F without dso\): add dso to the fields/],
    ['sqlite3.no-dso-symoff', 2, /^a callchain frame without its dso/],
    ['sqlite3.no-trace', 1, /^no probe arguments after "probe_libc:\w+:" \(perf script -F without trace\): .* add trace to the fields/],
    ['sqlite3.deltatime', 16, /^the times are differences between records \(perf script --deltatime\): print absolute times/],
    ['sqlite3.fields-event-first', 1, /^a sample line that starts with its event \(perf script -F without comm, tid and time\): add them/],
    ['cxx-worker.fields-ip-dso', 2, /^an inlined frame without its symbol \(perf script -F without sym\): add sym and symoff/],
  ];
  for (const [name, line, reason] of refused) {
    it(`refuses ${name} at line ${line}, naming the option to change`, async () => {
      const error = await refusal(name);
      expect(error.reason).toMatch(reason);
      expect(error.line).toBe(line);
      // Not a record to skip: --lenient refuses it too.
      await expect(readInput(file(name), { lenient: true })).rejects.toMatchObject({ line, reason: expect.stringMatching(reason) });
    });
  }
});

describe('perf script printings of several processes (sh running sqlite3 twice, as perf record -a records several)', () => {
  /** Per thread name and tid: allocated objects and bytes, live objects and bytes. */
  const perThread = (p: HeapProfile) => {
    const out: Record<string, number[]> = {};
    const types = ['alloc_objects', 'alloc_space', 'inuse_objects', 'inuse_space'].map((t) => p.sampleTypeIndex(t));
    for (let i = 0; i < p.samples.length; i++) {
      const t = p.threads[p.samples.thread[i]];
      const row = (out[`${t.name} ${t.key}`] ??= [0, 0, 0, 0]);
      types.forEach((k, j) => (row[j] += p.samples.values[k][i]));
    }
    return out;
  };

  it("agrees with perf report's (size, count) pairs, and gives each sqlite3 what its run alone gives", async () => {
    const { profile, trace } = await readInput(file('sqlite3.procs'));
    const { sizes } = foldedReportSizes(join(DIR, 'golden', 'sqlite3.procs.perf-report.txt'));
    const sorted = (m: Map<number, number>) => [...m].sort((a, b) => a[0] - b[0]);
    expect(sorted(accumulatedSizes(trace!))).toEqual(sorted(sizes));
    const alone = Object.values(perThread((await readInput(file('sqlite3.default'))).profile));
    const rows = perThread(profile);
    const sqlite = Object.keys(rows).filter((k) => k.startsWith('sqlite3 '));
    expect(sqlite).toHaveLength(2);
    // Allocated values per process; live values too where pointers are not reused (each ran with ASLR off, at the same addresses).
    for (const k of sqlite) expect(rows[k].slice(0, 2)).toEqual(alone[0].slice(0, 2));
  });

  it('keeps the pointers of each process apart when perf script prints pids (-F +pid): the same address in two processes is two blocks', async () => {
    const { profile } = await readInput(file('sqlite3.procs-pid'));
    const alone = Object.values(perThread((await readInput(file('sqlite3.default'))).profile))[0];
    const rows = perThread(profile);
    const sqlite = Object.keys(rows).filter((k) => k.startsWith('sqlite3 '));
    expect(sqlite).toHaveLength(2);
    for (const k of sqlite) expect(rows[k]).toEqual(alone);
    const said = profile.meta.warnings.map((w) => w.message);
    expect(said.filter((w) => /already live|more than .* process/.test(w))).toEqual([]);
    expect(profile.meta.pid).toBeUndefined();
  });
});

describe('perf script printings of a DWARF capture with inlined frames (fixtures/perf-shapes/cxx-worker)', () => {
  it('reads -F …,srcline (perf then marks inlined frames on their source lines) as the default printing, frame for frame', async () => {
    expect(await perfNames('cxx-worker.fields-srcline')).toEqual(await perfNames('cxx-worker.default'));
  });

  for (const shape of ['no-inline', 'no-demangle']) {
    it(`reads --${shape} as the default printing once symbolized`, async () => {
      expect(await symbolized(`cxx-worker.${shape}`)).toEqual(await symbolized('cxx-worker.default'));
    });
  }

  it('keeps the call sites of one function apart without perf\'s +0x offsets (-F without symoff), and says which frames keep perf\'s names', async () => {
    const got = await symbolized('cxx-worker.fields-no-symoff');
    const want = await symbolized('cxx-worker.default');
    for (const key of ['totals', 'ops', 'peak', 'live', 'sizes', 'threads'] as const) expect(got[key], key).toEqual(want[key]);
    // One stack per default stack: call sites were not merged (only frames inlined without their function's line keep perf's bare names).
    expect(Object.keys(got.allocated).length).toBe(Object.keys(want.allocated).length);
    expect(Object.values(got.allocated).sort()).toEqual(Object.values(want.allocated).sort());
    expect((await warnings('cxx-worker.fields-no-symoff')).some((w) => /printed as inlined lines only, without perf's \+0x offset .*add symoff/.test(w))).toBe(true);
  });
});
