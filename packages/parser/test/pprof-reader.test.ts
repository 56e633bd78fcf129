/**
 * The pprof importer: real files from real producers (Go's runtime/pprof
 * heap profile, `go tool pprof -proto` of the legacy corpus profiles, whose
 * values pprof's own golden `.string` files give), detection, the mapping
 * into the model, and clear errors for truncated and corrupt data
 * (pprof-format decodes those without complaint).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'fflate';
import { Function as PFunction, Label, Line, Location, Mapping, Profile, Sample, StringTable, ValueType } from 'pprof-format';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseError, checkIntegrity, detectImporter, loadSnapshot, openBytes, parseSnapshot, type HeapProfile } from '@heapscope/parser';
import { CORPUS, HAVE_CORPUS, corpusSkipNote } from '@heapscope/testkit/paths';
import { fixtureFile } from '@heapscope/testkit/inputs';
import { HAVE_GO, goEnv } from '@heapscope/testkit/reference-tools';

corpusSkipNote();

if (!HAVE_GO) console.warn('[heapscope tests] `go` not found (apt-get install golang-go): tests against go tool pprof and Go heap profiles are skipped');

const scratch = mkdtempSync(join(tmpdir(), 'heapscope-pprof-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Environment for the go tool that never reaches the network or the user's caches; builds without modules. */
const buildEnv = () => goEnv(scratch, { GOPATH: join(scratch, 'home', 'gopath'), GOFLAGS: '-mod=mod', GO111MODULE: 'off' });

async function fromBytes(bytes: Uint8Array, name = 'unnamed', chunkBytes?: number): Promise<HeapProfile> {
  const input = await openBytes(name, bytes, { chunkBytes });
  return parseSnapshot(input, detectImporter(input) as never);
}

async function parseError(bytes: Uint8Array): Promise<ParseError> {
  try {
    await fromBytes(bytes, 'bad.pb');
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error('expected a ParseError');
}

/** A small profile written with pprof-format: two sample types, an inlined frame, labels. */
function smallProfile(): Uint8Array {
  const st = new StringTable();
  const s = (x: string) => st.dedup(x);
  const profile = new Profile({
    sampleType: [new ValueType({ type: s('inuse_objects'), unit: s('count') }), new ValueType({ type: s('inuse_space'), unit: s('bytes') })],
    mapping: [new Mapping({ id: 1, memoryStart: 0x400000, memoryLimit: 0x500000, fileOffset: 0x1000, filename: s('/usr/bin/app'), buildId: s('abc123'), hasFunctions: true })],
    function: [
      new PFunction({ id: 1, name: s('leaf'), systemName: s('_Z4leafv'), filename: s('app.c'), startLine: 10 }),
      new PFunction({ id: 2, name: s('inlined'), filename: s('app.h') }),
      new PFunction({ id: 3, name: s('main'), filename: s('app.c') }),
    ],
    location: [
      new Location({ id: 1, mappingId: 1, address: 0x401000, line: [new Line({ functionId: 1, line: 12 })] }),
      new Location({ id: 2, mappingId: 1, address: 0x402000, line: [new Line({ functionId: 2, line: 5 }), new Line({ functionId: 3, line: 30 })] }),
    ],
    sample: [
      new Sample({ locationId: [1, 2], value: [3, 3072], label: [new Label({ key: s('bytes'), num: 1024 }), new Label({ key: s('thread'), str: s('t7') }), new Label({ key: s('thread_name'), str: s('worker') })] }),
      new Sample({ locationId: [2], value: [-1, -512], label: [new Label({ key: s('request'), str: s('GET /') })] }),
    ],
    stringTable: st,
    periodType: new ValueType({ type: s('space'), unit: s('bytes') }),
    period: 524288,
    defaultSampleType: s('inuse_space'),
    timeNanos: 1_700_000_000_000_000_000n,
  });
  return profile.encode();
}

describe('pprof importer', () => {
  it('maps a profile into the model: types, default, lines innermost first, mappings, labels, threads, signed values', async () => {
    const bytes = smallProfile();
    const p = await fromBytes(gzipSync(bytes));
    expect(checkIntegrity(p)).toEqual([]);
    expect(p.meta.format).toBe('pprof');
    expect(p.sampleTypes).toEqual([
      { type: 'inuse_objects', unit: 'count' },
      { type: 'inuse_space', unit: 'bytes' },
    ]);
    expect(p.defaultSampleType).toBe('inuse_space');
    expect(p.meta.sampling).toEqual({ model: 'poisson', periodBytes: 524288 });
    expect(p.meta.returnAddresses).toBe(false);
    expect(p.meta.timeNs).toBe(Number(1_700_000_000_000_000_000n));
    expect([p.total(0), p.total(1)]).toEqual([2, 2560]);
    expect(p.mappings).toEqual([{ start: 0x400000n, limit: 0x500000n, fileOffset: 0x1000n, path: '/usr/bin/app', buildId: 'abc123', perms: 'r-xp' }]);
    const [leaf, caller] = p.stackLocations(p.samples.stack[0]);
    expect(p.addressHex(leaf)).toBe('0x401000');
    const lines = (l: number) =>
      Array.from(p.locations.lineFunction.subarray(p.locations.lineStart[l], p.locations.lineStart[l + 1]), (f, k) => `${p.strings[p.functions.name[f]]}:${p.locations.lineNumber[p.locations.lineStart[l] + k]}`);
    expect(lines(leaf)).toEqual(['leaf:12']);
    expect(lines(caller)).toEqual(['inlined:5', 'main:30']);
    const leafFn = p.locations.lineFunction[p.locations.lineStart[leaf]];
    expect(p.strings[p.functions.systemName[leafFn]]).toBe('_Z4leafv');
    expect(p.strings[p.functions.fileName[leafFn]]).toBe('app.c');
    expect(p.functions.startLine[leafFn]).toBe(10);
    expect(p.threads).toEqual([{ key: 't7', name: 'worker' }]);
    expect(p.samples.thread[0]).toBe(0);
    expect(p.samples.thread[1]).toBe(-1);
    expect(p.samples.labels.map((l) => [l.key, l.unit, Array.from(l.values)])).toEqual([['bytes', 'bytes', [1024, NaN]]]);
    expect(p.meta.warnings.map((w) => `${w.message} ×${w.count}`)).toEqual(['string labels other than the thread are not kept (keys: request) ×1']);
  });

  it('is detected from content, plain or gzipped, in any chunking; text formats are not taken for it', async () => {
    const bytes = smallProfile();
    const expected = await fromBytes(bytes);
    for (const [data, chunk] of [
      [bytes, 1],
      [bytes, 7],
      [gzipSync(bytes), 3],
    ] as const) {
      const p = await fromBytes(data, 'x', chunk);
      expect(p.meta.format).toBe('pprof');
      expect(p.samples.length).toBe(expected.samples.length);
      expect(p.total(1)).toBe(expected.total(1));
    }
    for (const text of ['heap_v2/524288\n  t*: 1: 2 [0: 0]\n', 'heap profile:    1:  2 [ 3:  4] @ heapprofile\n', '# ========\n', 'Android Native Heap Dump v1.2\n', '123: malloc 0x1 16\n']) {
      const input = await openBytes('t', new TextEncoder().encode(text));
      expect(detectImporter(input).id).not.toBe('pprof');
    }
  });

  it('rejects truncated data at every cut, with the byte offset in the message', async () => {
    const bytes = smallProfile();
    let rejected = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      const input = await openBytes('cut.pb', bytes.subarray(0, cut));
      let error: unknown;
      try {
        await parseSnapshot(input, detectImporter(input, 'pprof') as never);
      } catch (e) {
        error = e;
      }
      // A cut exactly between two fields is a valid (shorter) message; the
      // missing tables then show up as dangling references, or there is no
      // difference at all once only trailing scalars are cut.
      if (error) {
        expect(error).toBeInstanceOf(ParseError);
        expect((error as ParseError).message).toMatch(/^cut\.pb:1: (corrupt or truncated pprof data at byte \d+|.*(does not exist|string table|refers to string|has \d+ values|not a pprof profile))/);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(bytes.length * 0.8);
  });

  it('names the problem in corrupt data', async () => {
    const bytes = smallProfile();
    // A length that runs past the end: the first sample's (field 2, after the two sample types).
    const long = Uint8Array.from(bytes);
    const at = 2 + bytes[1] + 2 + bytes[2 + bytes[1] + 1];
    expect(long[at]).toBe(0x12);
    long[at + 1] = 0xff;
    long[at + 2] = 0x7f;
    expect((await parseError(long)).message).toMatch(new RegExp(`^bad.pb:1: corrupt or truncated pprof data at byte ${at}: sample #1 in the profile says it is 16383 bytes long but only \\d+ remain`));
    // A known field with the wrong wire type: sample (2) as a varint.
    expect((await parseError(Uint8Array.of(0x32, 0x00, 0x10, 0x05))).message).toMatch(/Profile.sample .* wire type varint, expected a message/);
    // Group wire types never appear in pprof.
    expect((await parseError(Uint8Array.of(0x32, 0x00, 0x0b))).message).toMatch(/unsupported wire type 3/);
    // A sample pointing at a location that does not exist.
    const st = new StringTable();
    const dangling = new Profile({ sampleType: [new ValueType({ type: st.dedup('x'), unit: st.dedup('count') })], sample: [new Sample({ locationId: [9], value: [1] })], stringTable: st }).encode();
    expect((await parseError(dangling)).message).toBe('bad.pb:1: sample 1 refers to location 9, which does not exist');
    // Values that do not match the sample types.
    const st2 = new StringTable();
    const short = new Profile({ sampleType: [new ValueType({ type: st2.dedup('a') }), new ValueType({ type: st2.dedup('b') })], sample: [new Sample({ value: [1] })], stringTable: st2 }).encode();
    expect((await parseError(short)).message).toBe('bad.pb:1: sample 1 has 1 values for 2 sample types');
    // A string index out of range.
    const st3 = new StringTable();
    const badString = new Profile({ sampleType: [new ValueType({ type: 99 })], stringTable: st3 }).encode();
    expect((await parseError(badString)).message).toMatch(/sample_type 1 refers to string 99, but the string table has 1 entries/);
    // Truncated gzip is caught by the input layer.
    const gz = gzipSync(bytes);
    expect((await parseError(gz.subarray(0, gz.length - 6))).message).toMatch(/truncated gzip|corrupt or truncated gzip/);
  });

  it('rejects a period beyond 2^53 and a heapscope-meta sampling that is no finite number of bytes', async () => {
    const withPeriod = (period: bigint, comment?: string) => {
      const st = new StringTable();
      const s = (x: string) => st.dedup(x);
      return new Profile({
        sampleType: [new ValueType({ type: s('inuse_space'), unit: s('bytes') })],
        sample: [new Sample({ locationId: [], value: [1024] })],
        periodType: new ValueType({ type: s('space'), unit: s('bytes') }),
        period,
        comment: comment === undefined ? [] : [s(comment)],
        stringTable: st,
      }).encode();
    };
    expect((await parseError(withPeriod(2n ** 60n))).message).toMatch(/^bad\.pb:1: the sampling period 1152921504606847000 exceeds 2\^53$/);
    const meta = (sampling: string) => withPeriod(524288n, `heapscope-meta: {"sampling":${sampling}}`);
    expect((await parseError(meta('{"model":"poisson","periodBytes":1e400}'))).message).toMatch(/the heapscope-meta comment's sampling period Infinity is not a number of bytes between 0 and 2\^53/);
    expect((await parseError(meta('{"model":"cubic","periodBytes":1}'))).message).toMatch(/sampling has an unknown model/);
    expect((await fromBytes(meta('{"model":"poisson","periodBytes":524288}'))).meta.sampling).toEqual({ model: 'poisson', periodBytes: 524288 });
  });

  it('sums equal samples, and stops a file past --max-samples or with a string past --max-string-bytes before decoding it', async () => {
    const st = new StringTable();
    const s = (x: string) => st.dedup(x);
    const bytes = new Profile({
      sampleType: [new ValueType({ type: s('inuse_space'), unit: s('bytes') })],
      location: [new Location({ id: 1, address: 0x401000 })],
      sample: Array.from({ length: 40 }, () => new Sample({ locationId: [1], value: [16] })),
      stringTable: st,
      comment: [s('x'.repeat(5000))],
    }).encode();
    const p = await fromBytes(bytes);
    expect([p.samples.length, p.total(0)]).toEqual([1, 640]);
    const input = async () => openBytes('big.pb', gzipSync(bytes), { chunkBytes: 64, maxLineBytes: 1000 });
    await expect(parseSnapshot(await input(), detectImporter(await input()) as never, { maxSamples: 10 })).rejects.toThrow(/^big\.pb:1: more than 10 samples \(raise the limit with --max-samples\)$/);
    await expect(parseSnapshot(await input(), detectImporter(await input()) as never)).rejects.toThrow(/^big\.pb:1: string_table #4 is 5000 bytes long, more than 1000 \(raise the limit with --max-string-bytes\)$/);
  });

  it('skips fields it does not know, even those pprof-format cannot (field 16+, fixed-width), with a warning', async () => {
    const bytes = smallProfile();
    // field 20 varint, field 17 fixed64, field 3 (mapping) containing a fixed32 field 12.
    const extra = Uint8Array.of(0xa0, 0x01, 0x05, 0x89, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x1a, 0x07, 0x08, 0x02, 0x65, 1, 2, 3, 4);
    const joined = new Uint8Array(bytes.length + extra.length);
    joined.set(bytes);
    joined.set(extra, bytes.length);
    const p = await fromBytes(joined);
    expect(p.total(1)).toBe(2560);
    expect(p.mappings.length).toBe(2);
    expect(p.meta.warnings.map((w) => w.message)).toContain('fields unknown to pprof (numbers 16 and up, or fixed-width) were ignored');
  });
});

describe.skipIf(!HAVE_GO)('pprof files written by Go', () => {
  it('reads a real Go heap profile (runtime/pprof.WriteHeapProfile): inlined frames, files, lines, bytes label', async () => {
    const dir = join(scratch, 'goheap');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'main.go'),
      `package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

//go:noinline
func leak(n int) { keep = append(keep, make([]byte, n)) }

func grow(n int) { leak(n) } // small enough to be inlined into main

func main() {
	runtime.MemProfileRate = 1
	for i := 0; i < 100; i++ {
		grow(4096)
	}
	runtime.GC()
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		panic(err)
	}
	f.Close()
}
`,
    );
    const out = join(dir, 'heap.pb.gz');
    execFileSync('go', ['run', 'main.go', out], { cwd: dir, env: buildEnv(), stdio: 'pipe' });
    const p = await loadSnapshot(out);
    expect(checkIntegrity(p)).toEqual([]);
    expect(p.sampleTypes.map((t) => `${t.type}/${t.unit}`)).toEqual(['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes']);
    expect(p.meta.sampling).toEqual({ model: 'none', periodBytes: 0 }); // MemProfileRate = 1: every allocation
    // The leak: 100 live objects of 4 KiB at main.leak, called from main.grow inlined into main.main.
    const inuse = p.sampleTypeIndex('inuse_space');
    let found = false;
    for (let i = 0; i < p.samples.length; i++) {
      const locs = p.stackLocations(p.samples.stack[i]);
      const names = locs.flatMap((l) => {
        const out: string[] = [];
        for (let k = p.locations.lineStart[l]; k < p.locations.lineStart[l + 1]; k++) out.push(p.strings[p.functions.name[p.locations.lineFunction[k]]]);
        return out;
      });
      if (names[0] !== 'main.leak' || p.samples.values[inuse][i] !== 409600) continue;
      found = true;
      expect(names.slice(0, 3)).toEqual(['main.leak', 'main.grow', 'main.main']);
      const caller = locs[1];
      expect(p.locations.lineStart[caller + 1] - p.locations.lineStart[caller]).toBe(2); // grow inlined into main
      const leafFn = p.locations.lineFunction[p.locations.lineStart[locs[0]]];
      expect(p.strings[p.functions.fileName[leafFn]]).toBe(join(dir, 'main.go'));
      expect(p.locations.lineNumber[p.locations.lineStart[locs[0]]]).toBe(12);
      expect(p.samples.labels.find((l) => l.key === 'bytes')!.values[i]).toBe(4096);
    }
    expect(found).toBe(true);
  });

  describe.skipIf(!HAVE_CORPUS)('go tool pprof -proto of the legacy corpus profiles', () => {
    for (const name of ['cppbench.heap', 'cppbench.growth', 'gobench.heap']) {
      it(`${name}: every sample's values and addresses are those go tool pprof -raw reads`, async () => {
        const out = join(scratch, `${name}.pb.gz`);
        const proto = execFileSync('go', ['tool', 'pprof', '-symbolize=none', '-proto', join(CORPUS, 'pprof-legacy', name)], { env: buildEnv(), maxBuffer: 1 << 26 });
        writeFileSync(out, proto);
        const p = await loadSnapshot(out);
        expect(checkIntegrity(p)).toEqual([]);
        const raw = execFileSync('go', ['tool', 'pprof', '-symbolize=none', '-raw', out], { env: buildEnv(), maxBuffer: 1 << 26 }).toString();
        const samples = raw.slice(raw.indexOf('Samples:'), raw.indexOf('Locations'));
        const rows = [...samples.matchAll(/^\s*(-?\d+(?:\s+-?\d+)*):((?:\s+\d+)*)\s*$/gm)].map((m) => m[1].trim().split(/\s+/).map(Number));
        expect(rows.length).toBeGreaterThan(0);
        const ours = Array.from({ length: p.samples.length }, (_, i) => p.sampleTypes.map((_, t) => p.samples.values[t][i]));
        expect(ours).toEqual(rows);
        const addresses = new Map([...raw.matchAll(/^\s*(\d+): (0x[0-9a-f]+) /gm)].map((m) => [Number(m[1]), m[2]]));
        const firstStack = [...samples.matchAll(/^\s*-?\d+(?:\s+-?\d+)*:((?:\s+\d+)*)\s*$/gm)][0][1].trim().split(/\s+/).map(Number);
        expect(p.stackLocations(p.samples.stack[0]).map((l) => p.addressHex(l))).toEqual(firstStack.map((id) => addresses.get(id)));
        expect(gunzipSync(new Uint8Array(proto)).length).toBeGreaterThan(0);
      });
    }
  });
});

describe('sniffing does not claim other inputs', () => {
  it('leaves the fixtures to their importers', async () => {
    const dumps = [fixtureFile('jemalloc/all', /\.0\.m0\.heap$/), fixtureFile('gperftools', /^workload\.0001\.heap$/)];
    for (const path of dumps) {
      const input = await openBytes(path, new Uint8Array(readFileSync(path)));
      expect(detectImporter(input).id).not.toBe('pprof');
    }
  });
});
