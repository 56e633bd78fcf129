import { describe, expect, it } from 'vitest';
import { AllocOp, NO_TIME, ProfileBuilder, ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, checkIntegrity } from '@heapscope/parser';
import { LiveSet, EventAccumulator } from '@heapscope/analyzer';

function builder() {
  return new ProfileBuilder({
    sampleTypes: [ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE],
    meta: { format: 'test', variant: '', file: 't', sampling: { model: 'none', periodBytes: 0 }, sizeKind: 'exact', returnAddresses: false, warnings: [] },
  });
}

const facts = { hasTimestamps: true, hasStacks: true, tracksPointers: true };

/** A tiny deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('event accumulator', () => {
  it('tracks live bytes, the peak and its sites, temporary allocations and unknown frees', () => {
    const b = builder();
    const a = b.internStack([b.addLocation(0, 0x10)]);
    const c = b.internStack([b.addLocation(0, 0x20)]);
    const r = new EventAccumulator(b);
    r.alloc(0, 0x1000, 100, AllocOp.malloc, a, -1, 1);
    r.alloc(0, 0x2000, 50, AllocOp.calloc, c, -1, 2);
    r.free(0, 0x2000, c, -1, 3); // not the last allocation's pointer? it is: temporary
    r.alloc(0, 0x3000, 500, AllocOp.malloc, c, -1, 4); // peak 600
    r.free(0, 0x3000, c, -1, 10);
    r.free(0, 0, c, -1, 11); // free(NULL)
    r.free(0, 0x9999, c, -1, 12); // unknown
    r.realloc(0, 0x1000, 0xffffffff, 0xfffff000, 300, a, -1, 13); // pointer above 2^53
    const result = r.finish(facts);
    expect(checkIntegrity(result.profile)).toEqual([]);
    expect(result.report.liveBytes).toBe(300);
    expect(result.report.peak).toEqual({ bytes: 600, objects: 2, event: 4, timeNs: 4 });
    expect(result.report.temporary).toBe(2);
    expect(result.report.unknownFrees).toBe(1);
    expect(result.report.ops).toMatchObject({ malloc: 2, calloc: 1, realloc: 1, free: 3, freeNull: 1 });
    const peakBytes = result.peakProfile.samples.values[1];
    expect([...peakBytes]).toEqual([100, 500]);
    expect(result.profile.meta.warnings.map((w) => [w.message, w.count, w.locations])).toEqual([
      ['frees of pointers not allocated in the trace (allocated before recording started?)', 1, []], // no locator: no line
    ]);
    // alloc_space per site: a = 100 + 300, c = 50 + 500
    expect([...result.profile.samples.values[1]]).toEqual([400, 550]);
    expect([...result.profile.samples.values[3]]).toEqual([300, 0]);
    expect(result.report.lifetimeNs).not.toBeNull();
  });

  it('agrees with a naive count on random traces, including its snapshots', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = rng(seed);
      const b = builder();
      const stacks = Array.from({ length: 5 }, (_, i) => b.internStack([b.addLocation(0, 0x100 + i)]));
      const r = new EventAccumulator(b, { windows: 4 });
      const naive = new Map<number, { size: number; stack: number }>();
      let live = 0;
      let peak = 0;
      let temporary = 0;
      let lastAlloc = -1;
      let events = 0;
      const liveAt: number[] = [];
      let next = 1;
      for (let i = 0; i < 3000; i++) {
        const ptrs = [...naive.keys()];
        if (ptrs.length > 0 && random() < 0.45) {
          const p = ptrs[Math.floor(random() * ptrs.length)];
          if (p === lastAlloc) temporary++;
          live -= naive.get(p)!.size;
          naive.delete(p);
          r.free(Math.floor(p / 2 ** 32), p >>> 0, 0, -1, NO_TIME);
          lastAlloc = -1;
        } else {
          const p = (next++ * 16 + (random() < 0.1 ? 2 ** 40 : 0));
          const size = 1 + Math.floor(random() * 100);
          const stack = stacks[Math.floor(random() * stacks.length)];
          naive.set(p, { size, stack });
          live += size;
          r.alloc(Math.floor(p / 2 ** 32), p >>> 0, size, AllocOp.malloc, stack, -1, NO_TIME);
          lastAlloc = p;
        }
        events++;
        liveAt[events] = live;
        peak = Math.max(peak, live);
      }
      const result = r.finish({ ...facts, hasTimestamps: false });
      expect(result.report.liveBytes).toBe(live);
      expect(result.report.peak.bytes).toBe(peak);
      expect(liveAt[result.report.peak.event]).toBe(peak);
      expect(result.report.temporary).toBe(temporary);
      const peakTotal = result.peakProfile.total(1);
      expect(peakTotal).toBe(peak);
      expect(result.snapshots.length).toBe(4);
      for (const s of result.snapshots) expect(s.profile.total(1)).toBe(liveAt[s.event]);
      expect(result.snapshots[3].event).toBe(events);
    }
  });

  it('sites and exact sizes agree with a naive count when stacks, threads and sizes interleave', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const random = rng(seed);
      const b = builder();
      const stacks = Array.from({ length: 6 }, (_, i) => b.internStack([b.addLocation(0, 0x100 + i)]));
      const r = new EventAccumulator(b);
      const sites = new Map<string, { objects: number; bytes: number }>();
      const sizes = new Map<string, number>();
      // Runs of one site and one size, then changes of stack, thread or size alone.
      let stack = stacks[0];
      let thread = -1;
      let size = 8;
      for (let i = 0; i < 4000; i++) {
        const x = random();
        if (x < 0.3) stack = stacks[Math.floor(random() * stacks.length)];
        else if (x < 0.5) thread = Math.floor(random() * 3) - 1;
        else if (x < 0.7) size = random() < 0.8 ? 8 * (1 + Math.floor(random() * 4)) : 2 ** 40 + Math.floor(random() * 3);
        r.allocUntracked(size, AllocOp.malloc, stack, thread, NO_TIME);
        const site = sites.get(`${stack}:${thread}`) ?? { objects: 0, bytes: 0 };
        site.objects++;
        site.bytes += size;
        sites.set(`${stack}:${thread}`, site);
        sizes.set(`${stack}:${thread}:${size}`, (sizes.get(`${stack}:${thread}:${size}`) ?? 0) + 1);
      }
      const result = r.finish({ ...facts, tracksPointers: false, hasTimestamps: false });
      const got = new Map<string, { objects: number; bytes: number }>();
      for (let i = 0; i < result.sites.length; i++) {
        got.set(`${result.sites.stack[i]}:${result.sites.thread[i]}`, { objects: result.sites.allocObjects[i], bytes: result.sites.allocBytes[i] });
      }
      expect(got).toEqual(sites);
      const gotSizes = new Map<string, number>();
      for (let i = 0; i < result.sizes.length; i++) {
        const site = result.sizes.site[i];
        gotSizes.set(`${result.sites.stack[site]}:${result.sites.thread[site]}:${result.sizes.sizeBytes[i]}`, result.sizes.count[i]);
      }
      expect(gotSizes).toEqual(sizes);
    }
  });

  it('--windows: window ends are evenly spaced by event count, within 1/8 of a window, whatever the length', () => {
    for (const [events, windows] of [[2_452_725, 4], [786_454, 5], [1_000, 7], [100_003, 20], [12, 5]]) {
      const b = builder();
      const stack = b.internStack([b.addLocation(0, 0x10)]);
      const r = new EventAccumulator(b, { windows });
      for (let i = 1; i <= events; i++) r.allocUntracked(16, AllocOp.malloc, stack, -1, NO_TIME);
      const ends = r.finish({ ...facts, hasTimestamps: false, tracksPointers: false }).snapshots.map((s) => s.event);
      expect(ends.length).toBe(Math.min(windows, events));
      expect(ends[ends.length - 1]).toBe(events);
      const width = events / windows;
      ends.forEach((end, i) => expect(Math.abs(end - (i + 1) * width)).toBeLessThanOrEqual(Math.max(1, width / 8)));
      expect(new Set(ends).size).toBe(ends.length);
    }
  });

  it('time going backwards: no negative lifetime in the histogram, no peak before the trace starts', () => {
    const b = builder();
    const a = b.internStack([b.addLocation(0, 0x10)]);
    const r = new EventAccumulator(b);
    r.alloc(0, 0x1000, 100, AllocOp.malloc, a, -1, 1000);
    r.alloc(0, 0x2000, 200, AllocOp.malloc, a, -1, 1100); // the peak: 300 bytes
    r.free(0, 0x2000, a, -1, 900); // freed "before" its allocation: 200 ns back
    r.alloc(0, 0x3000, 50, AllocOp.malloc, a, -1, 950); // earlier than the peak's time, recorded after it
    r.free(0, 0x1000, a, -1, 1200); // a true lifetime of 200 ns
    const { report, profile } = r.finish(facts);
    // One lifetime counted, 200 ns (bucket 8: [128, 256)); the negative one left out.
    expect(report.lifetimeNs).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(report.lifetimeEvents.reduce((x, y) => x + y, 0)).toBe(2);
    expect(report.firstTimeNs).toBe(900);
    expect(report.lastTimeNs).toBe(1200);
    expect(report.peak.timeNs).toBe(1100);
    expect(report.peak.timeNs!).toBeGreaterThanOrEqual(report.firstTimeNs!);
    expect(profile.meta.warnings.map((w) => [w.message, w.count])).toContainEqual([
      'blocks freed at a time before their allocation (timestamps out of order): their lifetimes in ns are left out',
      1,
    ]);
  });

  it('warnings about events that do not fit the trace count each kind and name its first lines, where the importer gives them', () => {
    const b = builder();
    const r = new EventAccumulator(b);
    let line = 0;
    r.locator(() => ({ file: 'trace.txt', line }));
    /** The event `send` sends, at `n`. */
    const at = (n: number, send: () => void) => {
      line = n;
      send();
    };
    at(1, () => r.alloc(0, 0x10, 8, AllocOp.malloc, 0, -1, 100));
    at(2, () => r.alloc(0, 0x10, 8, AllocOp.malloc, 0, -1, 110)); // already live
    at(3, () => r.free(0, 0x20, 0, -1, 120)); // never allocated
    at(4, () => r.realloc(0, 0x30, 0, 0x40, 16, 0, -1, 130)); // old pointer never allocated
    at(5, () => r.free(0, 0x40, 0, -1, 125)); // before its allocation
    for (let i = 0; i < 7; i++) at(10 + i, () => r.free(0, 0x1000 + i, 0, -1, 200)); // seven more unknown frees: five lines kept
    const { report, profile } = r.finish(facts);
    expect(report.unknownFrees).toBe(9);
    const file = (...lines: number[]) => lines.map((l) => ({ file: 'trace.txt', line: l }));
    expect(profile.meta.warnings).toEqual([
      { message: 'allocations of a pointer that was already live: its earlier block is taken as freed (free events missing, or two traces appended?)', count: 1, locations: file(2) },
      { message: 'frees of pointers not allocated in the trace (allocated before recording started?)', count: 8, locations: file(3, 10, 11, 12, 13) },
      { message: 'reallocs of pointers not allocated in the trace (allocated before recording started?): only the new block counts', count: 1, locations: file(4) },
      { message: 'blocks freed at a time before their allocation (timestamps out of order): their lifetimes in ns are left out', count: 1, locations: file(5) },
    ]);
  });

  it('a size-only trace has no in-use sample types', () => {
    const b = builder();
    const s = b.internStack([b.addLocation(0, 0x10)]);
    const r = new EventAccumulator(b);
    r.allocUntracked(8225, AllocOp.malloc, s, -1, NO_TIME);
    r.allocUntracked(8225, AllocOp.malloc, s, -1, NO_TIME);
    const result = r.finish({ hasTimestamps: false, hasStacks: true, tracksPointers: false });
    expect(result.profile.sampleTypes.map((t) => t.type)).toEqual(['alloc_objects', 'alloc_space']);
    expect(result.profile.total(1)).toBe(16450);
    expect([...result.sizes.sizeBytes]).toEqual([8225]);
    expect([...result.sizes.count]).toEqual([2]);
  });

  it('live set survives heavy churn with colliding keys', () => {
    const set = new LiveSet(16);
    const model = new Map<string, number>();
    const random = rng(7);
    for (let i = 0; i < 20000; i++) {
      // Halves with the top bit set as well (uint32 beyond int32).
      const hi = [0, 1, 0xffffffff][Math.floor(random() * 3)];
      const lo = Math.floor(random() * 500) * 4096 + (random() < 0.5 ? 0x80000000 : 0);
      const key = `${hi}:${lo}`;
      const slot = set.find(hi, lo);
      if (model.has(key)) {
        expect(slot).toBeGreaterThanOrEqual(0);
        expect(set.claim(hi, lo)).toBe(-1 - slot); // already live: nothing changes
        expect(set.block(slot)).toBe(model.get(key));
        set.removeAt(slot);
        model.delete(key);
      } else {
        expect(slot).toBe(-1);
        set.setBlock(set.claim(hi, lo), i);
        model.set(key, i);
      }
      expect(set.count).toBe(model.size);
    }
  });
});
