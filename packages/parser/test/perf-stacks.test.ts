/**
 * The stacks of perf script records: frames outside every executable
 * mapping (broken frame-pointer unwinding) are cut before they are interned,
 * and records without a callchain get their own address, as perf report
 * attributes them. Real captures of the C++ fixture (fixtures/cxx/perf, see
 * its README) checked against counts taken from their text here and against
 * perf report; hand-written records for the shapes the captures lack.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIntegrity, formatWarning, type HeapProfile } from '@heapscope/parser';
import { readInput, top } from '@heapscope/analyzer';
import { FIXTURES } from '@heapscope/testkit/paths';

const PERF = join(FIXTURES, 'cxx', 'perf');
const capture = (name: string) => join(PERF, `cxx.${name}.perf.txt.gz`);
const textOf = (path: string) => new TextDecoder().decode(gunzipSync(new Uint8Array(readFileSync(path))));

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-perf-stacks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Loads perf text written here. */
async function loadText(name: string, text: string, options: { keepBadFrames?: boolean } = {}) {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return readInput(path, options);
}

const warningsOf = (p: HeapProfile) => p.meta.warnings.map(formatWarning);

/** The warning about cut frames, as numbers: [frames, stacks], or null. */
function cutCounts(p: HeapProfile): [number, number] | null {
  for (const w of warningsOf(p)) {
    const m = /(\d+) stack frames outside every executable mapping .* were cut from (\d+) stacks/.exec(w);
    if (m) return [Number(m[1]), Number(m[2])];
  }
  return null;
}

/** Leaf-first function names of every sample's stack ('' for a frame without lines). */
function stacksOf(p: HeapProfile): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < p.samples.length; i++) {
    out.push(
      p.stackLocations(p.samples.stack[i]).map((l) => {
        const k = p.locations.lineStart[l];
        return k < p.locations.lineStart[l + 1] ? p.strings[p.functions.name[p.locations.lineFunction[k]]] : '';
      }),
    );
  }
  return out;
}

describe('perf: frames outside every executable mapping', () => {
  it('cuts them, with every frame above them, in a real frame-pointer capture (C++ through libstdc++)', async () => {
    const path = capture('fp');
    // Counted from the text: from each record's first frame whose dso perf
    // could not find ("([unknown])") to the record's end.
    let frames = 0;
    let records = 0;
    const garbage = new Set<string>();
    for (const record of textOf(path).split(/\n\s*\n/)) {
      const lines = record.split('\n').filter((l) => l.startsWith('\t'));
      const first = lines.findIndex((l) => l.endsWith('([unknown])'));
      if (first < 0) continue;
      frames += lines.length - first;
      records++;
      for (const l of lines.slice(first)) if (l.endsWith('([unknown])')) garbage.add(l.trim().split(/\s+/)[0]);
    }
    expect(records).toBeGreaterThan(5);
    expect(garbage.size).toBeGreaterThan(1);

    const { profile } = await readInput(path);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(cutCounts(profile)).toEqual([frames, records]);
    // No location was made for them: memory follows the stacks kept.
    const addresses = new Set(Array.from({ length: profile.locations.length }, (_, l) => profile.addressHex(l).slice(2)));
    for (const ip of garbage) expect(addresses.has(ip), ip).toBe(false);

    const kept = await readInput(path, { keepBadFrames: true });
    expect(cutCounts(kept.profile)).toBeNull();
    const keptAddresses = new Set(Array.from({ length: kept.profile.locations.length }, (_, l) => kept.profile.addressHex(l).slice(2)));
    for (const ip of garbage) expect(keptAddresses.has(ip), ip).toBe(true);
    expect(kept.profile.locations.length).toBeGreaterThan(profile.locations.length);
    // Cutting changes stacks, never values.
    for (const type of ['alloc_space', 'inuse_space']) {
      expect(kept.profile.total(kept.profile.sampleTypeIndex(type))).toBe(profile.total(profile.sampleTypeIndex(type)));
    }
  });

  it("does not count the end of a DWARF callchain (ffffffffffffffff [unknown]) as a cut frame, in a real --call-graph dwarf capture", async () => {
    const path = join(FIXTURES, 'perf', 'workload.dwarf-worker.perf.txt.gz');
    // Counted from the text: records with a frame perf found no dso for,
    // other than the closing ffffffffffffffff line that perf's DWARF
    // unwinding ends its callchains with.
    let ends = 0;
    let frames = 0;
    let records = 0;
    for (const record of textOf(path).split(/\n\s*\n/)) {
      const lines = record.split('\n').filter((l) => l.startsWith('\t'));
      const last = lines.at(-1)?.trim() ?? '';
      const closed = last.startsWith('ffffffffffffffff ');
      if (closed) ends++;
      const first = lines.findIndex((l) => l.endsWith('([unknown])'));
      if (first < 0 || (closed && first === lines.length - 1)) continue;
      frames += lines.length - first;
      records++;
    }
    expect(ends).toBeGreaterThan(1000);
    const { profile } = await readInput(path);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(cutCounts(profile)).toEqual(records === 0 ? null : [frames, records]);
    // No location at the end marker, and every record's stack kept whole up to it.
    const addresses = new Set(Array.from({ length: profile.locations.length }, (_, l) => profile.addressHex(l)));
    expect(addresses.has('0xffffffffffffffff')).toBe(false);
    expect(Math.min(...stacksOf(profile).map((s) => s.length))).toBeGreaterThan(0);
  });

  it('cuts at the first such frame from the leaf, even when a later frame lands in a mapping', async () => {
    const text = [
      'app   100 [000]    1.000000:          1 cycles: ',
      '\t            1234 leaf_fn+0x4 (/opt/app)',
      '\t               d [unknown] ([unknown])',
      '\t    7ffdfd865b60 [unknown] ([unknown])',
      '\t           2724a __libc_start_call_main+0x7a (/usr/lib/x86_64-linux-gnu/libc.so.6)',
      '',
      'app   100 [000]    1.000100:          1 cycles:      7ffdfd865b60 [unknown] ([unknown])',
      'app   100 [000]    1.000200:          1 cycles: ',
      '\t            1234 leaf_fn+0x4 (/opt/app)',
      '\t            1300 caller+0x10 (/opt/app)',
      '',
    ].join('\n');
    const { profile } = await loadText('cut.perf.txt', text);
    expect(checkIntegrity(profile)).toEqual([]);
    expect(stacksOf(profile).sort()).toEqual([[], ['leaf_fn'], ['leaf_fn', 'caller']].sort());
    // 3 frames of the first record, the sample line's own frame of the second.
    expect(cutCounts(profile)).toEqual([4, 2]);
    const kept = await loadText('kept.perf.txt', text, { keepBadFrames: true });
    expect(stacksOf(kept.profile).map((s) => s.length).sort()).toEqual([1, 2, 4]);
  });
});

describe('perf: a thread whose comm changes (exec, prctl(PR_SET_NAME))', () => {
  it('is one thread, named by its latest comm, with the same values', async () => {
    // The fixture's worker names itself `hs worker` when it starts; here its
    // first records carry the name it had before (its parent's, as after a
    // clone), or a later rename follows its last records (as at an exec).
    const path = join(FIXTURES, 'perf', 'workload.fp.perf.txt.gz');
    const text = textOf(path);
    const { profile: whole } = await readInput(path);
    const workerOf = (p: HeapProfile) => p.threads.findIndex((t) => t.key === '6793');
    const perThread = (p: HeapProfile) => {
      const type = p.sampleTypeIndex('alloc_space');
      const sums = new Map<string, number>();
      for (let i = 0; i < p.samples.length; i++) {
        const key = p.threads[p.samples.thread[i]].key;
        sums.set(key, (sums.get(key) ?? 0) + p.samples.values[type][i]);
      }
      return sums;
    };
    expect(whole.threads[workerOf(whole)].name).toBe('hs worker');
    const records = text.split('\n\n');
    const worker = records.map((r, i) => (r.startsWith('hs worker  6793 ') ? i : -1)).filter((i) => i >= 0);
    expect(worker.length).toBeGreaterThan(100);
    const isWorker = new Set(worker);
    const renamed = (from: number, to: number, comm: string) =>
      records.map((r, i) => (i >= from && i < to && isWorker.has(i) ? r.replace(/^hs worker  6793 /, `${comm}  6793 `) : r)).join('\n\n');
    const half = worker[worker.length >> 1];
    for (const [name, copy, want] of [
      ['named late', renamed(0, half, 'workload'), 'hs worker'],
      ['exec', renamed(half, records.length, 'other prog'), 'other prog'],
    ] as const) {
      const { profile } = await loadText(`${name.replace(' ', '-')}.perf.txt`, copy);
      expect(checkIntegrity(profile), name).toEqual([]);
      expect(profile.threads.length, name).toBe(whole.threads.length);
      expect(profile.threads[workerOf(profile)].name, name).toBe(want);
      expect(perThread(profile), name).toEqual(perThread(whole));
    }
  });
});

describe('perf: records without a callchain', () => {
  /** Records per symbol of the sample's own address, per perf report --sort sym, for the events matching `event`. */
  function reportBySymbol(file: string, event: RegExp): Map<string, number> {
    const out = new Map<string, number>();
    let current = '';
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const section = /^# Samples: .* of event '([^']+)'/.exec(line);
      if (section) current = section[1];
      const row = /^\s+[\d.]+%\s+(\d+)\s+\[\.\]\s+(.*?)\s*$/.exec(line);
      if (!row || !event.test(current)) continue;
      // perf prints an address it could not name as its offset in the dso.
      const name = row[2].startsWith('0x') ? '[unknown]' : row[2];
      out.set(name, (out.get(name) ?? 0) + Number(row[1]));
    }
    return out;
  }

  it('take the record\'s own address, as perf report does: the same counts per symbol (real capture without -g)', async () => {
    // The same perf.data printed with -F +ip,+sym,+dso names each record's address.
    const symbolOf = new Map<string, string>();
    for (const m of textOf(capture('nocallchain-ip')).matchAll(/__return: \([0-9a-f]+ <- ([0-9a-f]+)\) \S+\s+[0-9a-f]+ (.+?) \(/g)) {
      symbolOf.set(m[1], m[2]);
    }
    const { profile } = await readInput(capture('nocallchain'));
    expect(checkIntegrity(profile)).toEqual([]);
    const objects = profile.samples.values[profile.sampleTypeIndex('alloc_objects')];
    const ours = new Map<string, number>();
    for (let i = 0; i < profile.samples.length; i++) {
      if (objects[i] === 0) continue;
      const locations = profile.stackLocations(profile.samples.stack[i]);
      expect(locations).toHaveLength(1);
      const name = symbolOf.get(profile.addressHex(locations[0]).slice(2));
      expect(name).toBeDefined();
      ours.set(name!, (ours.get(name!) ?? 0) + objects[i]);
    }
    const theirs = reportBySymbol(join(PERF, 'golden', 'cxx.nocallchain.perf-report-sym.txt'), /__return$/);
    expect([...ours.entries()].sort()).toEqual([...theirs.entries()].sort());

    const records = textOf(capture('nocallchain')).split('\n').filter((l) => l.trim() !== '').length;
    const said = warningsOf(profile).find((w) => w.includes("each stack is the record's own address"));
    expect(said).toContain(`(${records} times;`);
    expect(warningsOf(profile).some((w) => w.includes('neither a callchain nor an address'))).toBe(false);
  });

  it('name an entry record\'s address after the probed function, so that allocator frames are dropped from it', async () => {
    const { profile } = await readInput(capture('nocallchain'));
    const rows = top([profile], { sampleType: 'alloc_objects', by: 'function', keepAllocatorFrames: true }).rows.map((r) => r.name);
    expect(rows).not.toContain('malloc'); // allocations take the return record's stack
    const names = new Set(Array.from({ length: profile.functions.length }, (_, f) => profile.strings[profile.functions.name[f]]));
    expect(names).toContain('malloc');
    expect(names).toContain('free');
  });

  it('count what has neither a callchain nor an address, and say so', async () => {
    const text = ['app   100 [000]    1.000000:          1 cycles: ', '', 'app   100 [000]    1.000100:          1 cycles: ', ''].join('\n');
    const { profile } = await loadText('bare.perf.txt', text);
    expect(stacksOf(profile)).toEqual([[]]);
    expect(warningsOf(profile).find((w) => w.includes('neither a callchain nor an address'))).toContain('(2 times;');
  });
});
