/**
 * The Android native heap dump importer on small dumps written here by hand
 * after docs/formats.md#android-heap-dump (no real dump is in the corpus): the three versions
 * and their differences, records (zygote flag, duplicates, zero frames),
 * bt_info names, the MAPS forms, and errors.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'fflate';
import { ParseError, androidHeapDumpImporter, checkIntegrity, symbolize, type HeapProfile } from '@heapscope/parser';
import { parseText, valueOf } from './helpers/parse-text.js';
import { ANDROID_HEAP_DUMP_V12 as V12 } from '@heapscope/testkit/hand-written';

const which = (command: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
const HAVE_TOOLS = which('gcc') && which('nm') && which('readelf');

/** Values summed per stack (leaf address → [objects, bytes]), and labels per sample. */
function rows(p: HeapProfile) {
  const bytes = p.samples.labels.find((l) => l.key === 'bytes')!.values;
  const zygote = p.samples.labels.find((l) => l.key === 'zygote')!.values;
  const out: { frames: string[]; objects: number; bytes: number; size: number; zygote: number }[] = [];
  for (let i = 0; i < p.samples.length; i++) {
    out.push({
      frames: p.stackLocations(p.samples.stack[i]).map((l) => p.addressHex(l)),
      objects: p.samples.values[0][i],
      bytes: p.samples.values[1][i],
      size: bytes[i],
      zygote: zygote[i],
    });
  }
  return out;
}

/** The function names of a location (innermost first), '' when unsymbolized. */
function names(p: HeapProfile, address: bigint): string {
  const l = [...Array(p.locations.length).keys()].find((i) => p.address(i) === address)!;
  const { lineStart, lineFunction } = p.locations;
  const out: string[] = [];
  for (let k = lineStart[l]; k < lineStart[l + 1]; k++) out.push(p.strings[p.functions.name[lineFunction[k]]]);
  return out.join('|');
}

describe('Android native heap dump', () => {
  it('reads a v1.2 dump: records, zygote label, duplicates summed, zero-frame records, bt_info names, maps', async () => {
    const p = await parseText(V12, { name: 'backtrace_heap.1234.txt' });
    expect(checkIntegrity(p)).toEqual([]);
    expect(p.meta.format).toBe('android-heap-dump');
    expect(p.meta.variant).toBe("v1.2, build google/taimen/taimen:10/QP1A.191005.007.A3/5972272:user/release-keys");
    expect(p.meta.pid).toBe(1234);
    // malloc_debug already moved each frame back into its call instruction: looked up as it is.
    expect(p.meta.returnAddresses).toBe(false);
    expect(p.meta.sizeKind).toBe('exact');
    expect(p.sampleTypes.map((t) => t.type)).toEqual(['inuse_objects', 'inuse_space']);
    expect(p.defaultSampleType).toBe('inuse_space');
    expect(rows(p)).toEqual([
      { frames: ['0x7fe9183a2c', '0x7fe9200510', '0x5590001000'], objects: 1, bytes: 400, size: 400, zygote: 0 },
      { frames: ['0x7fe9183a2c', '0x7fe9200600'], objects: 4, bytes: 2000, size: 500, zygote: 1 }, // two records summed
      { frames: [], objects: 2, bytes: 32, size: 16, zygote: 0 }, // kept on the empty stack
      { frames: ['0x7fe9200600'], objects: 2, bytes: 200, size: 100, zygote: 1 },
    ]);
    expect(valueOf(p, 'inuse_space')).toBe(2632);
    // bt_info named its record's frames (unknown functions stay unsymbolized).
    expect(names(p, 0x7fe9183a2cn)).toBe('abort');
    expect(names(p, 0x7fe9200510n)).toBe('android::RefBase::incStrong(void const*) const');
    expect(names(p, 0x5590001000n)).toBe('');
    expect(p.mappings.map((m) => [m.path, m.perms])).toEqual([
      ['/system/bin/app_process64', 'r-xp'],
      ['/system/lib64/libc.so', 'r-xp'],
      ['/system/lib64/libutils.so', 'r-xp'],
      ['[anon:libc_malloc]', 'rw-p'],
    ]);
    // Header totals use num as written: 400 + 1500 + 500 + 32 + 200 = 2632, not 2900.
    expect(p.meta.warnings.map((w) => w.message)).toEqual(['the header says 2900 bytes in total, the records add up to 2632 (size × num)']);
  });

  it('reads zero-padded v1.1 frames as the same addresses, and trusts num', async () => {
    const dump = `Android Native Heap Dump v1.1

Total memory: 1700
Allocation records: 2
Backtrace size: 16

z 0  sz      400  num    1  bt 0000007fe9183a2c 0000007fe9200510
z 1  sz      100  num   13  bt 0000007fe9183a2c
MAPS
7fe9181000-7fe91a2000 r-xp 00000000 fd:00 2345                           /system/lib64/libc.so
7fe91f0000-7fe9210000 r-xp 00000000 fd:00 2346                           /system/lib64/libutils.so
END
`;
    const p = await parseText(dump);
    expect(checkIntegrity(p)).toEqual([]);
    expect(p.meta.variant).toBe('v1.1');
    expect(rows(p).map((r) => [r.frames, r.objects, r.bytes])).toEqual([
      [['0x7fe9183a2c', '0x7fe9200510'], 1, 400],
      [['0x7fe9183a2c'], 13, 1300],
    ]);
    expect(p.meta.warnings).toEqual([]);
  });

  it('counts every v1.0 record as one allocation (num is unreliable there), with a warning; reads the mismatched-sizes header', async () => {
    const dump = `Android Native Heap Dump v1.0

Total memory: 12800
Allocation records: 2
WARNING: mismatched backtrace sizes (16 vs. 32)

z 0  sz      400  num   16  bt 0000a230 0000b500
z 1  sz      800  num    8  bt 0000b000 0000c000
MAPS
Could not open /proc/self/maps
END
`;
    const p = await parseText(dump);
    expect(p.meta.variant).toBe('v1.0');
    expect(rows(p).map((r) => [r.frames, r.objects, r.bytes, r.zygote])).toEqual([
      [['0xa230', '0xb500'], 1, 400, 0],
      [['0xb000', '0xc000'], 1, 800, 1],
    ]);
    expect(p.mappings).toEqual([]);
    expect(p.meta.warnings.map((w) => [w.message, w.locations[0]?.line])).toEqual([
      ['the writer warned of mismatched backtrace sizes (16 vs. 32)', 5],
      [
        'v1.0 dump: "num" is unreliable in this version (an older malloc debug wrote a wrong count), so each of the 2 records counts as one allocation (bionic\'s README); the dump\'s own counts sum to 24',
        undefined,
      ],
      ['no memory maps ("Could not open /proc/self/maps"): frames cannot be matched to binaries', undefined],
    ]);
  });

  it('a pre-P dump that could not read its maps ends after "Could not open /proc/self/maps", without END (that writer returned there): no truncation warning', async () => {
    // The frameworks/base v1.0 layout (num right-aligned to 4, frames padded to 8 digits), edited by hand
    // to the ending of its writer's failure path (docs/formats.md#android-heap-dump).
    const head = 'Android Native Heap Dump v1.0\n\nTotal memory: 400\nAllocation records: 1\n\nz 0  sz      400  num    1  bt 0000a230 0000b500\nMAPS\nCould not open /proc/self/maps\n';
    const p = await parseText(head);
    expect(valueOf(p, 'inuse_space')).toBe(400);
    expect(p.meta.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^v1\.0 dump: "num" is unreliable/),
      'no memory maps ("Could not open /proc/self/maps"): frames cannot be matched to binaries',
    ]);
    // Maps cut short are still told.
    expect((await parseText(head.replace('Could not open /proc/self/maps\n', '7fe9181000-7fe91a2000 r-xp 00000000 fd:00 2345 /system/lib64/libc.so\n'))).meta.warnings.map((w) => w.message)).toContain(
      'the dump ends before "END" (truncated dump?)',
    );
  });

  it('reads empty sections: no records (a process with nothing live), no header lines', async () => {
    const none = await parseText("Android Native Heap Dump v1.2\n\nBuild fingerprint: 'x'\n\nTotal memory: 0\nAllocation records: 0\nBacktrace size: 16\n\nMAPS\n7fe9181000-7fe91a2000 r-xp 00000000 fd:00 2345 /system/lib64/libc.so\nEND\n");
    expect([none.samples.length, none.mappings.length, none.meta.warnings]).toEqual([0, 1, []]);
    const bare = await parseText('Android Native Heap Dump v1.1\n\nz 0  sz        8  num    2  bt 0000007fe9183a2c\nMAPS\nEND\n');
    expect([valueOf(bare, 'inuse_objects'), valueOf(bare, 'inuse_space'), bare.meta.warnings]).toEqual([2, 16, []]);
    // A header that promises records the dump does not have says so.
    const promised = await parseText('Android Native Heap Dump v1.2\n\nTotal memory: 64\nAllocation records: 4\nBacktrace size: 16\n\nMAPS\nEND\n');
    expect(promised.meta.warnings.map((w) => w.message)).toEqual([
      'the header says 4 allocation records, the dump has 0 (truncated dump?)',
      'the header says 64 bytes in total, the records add up to 0 (size × num)',
    ]);
  });

  it("an empty build fingerprint (malloc debug writes '' when ro.build.fingerprint is unset) names no build", async () => {
    const dump = `Android Native Heap Dump v1.2\n\nBuild fingerprint: ''\n\nTotal memory: 50\nAllocation records: 1\nBacktrace size: 4\n\nz 0  sz       50  num    1  bt a100 b200\nMAPS\nEND\n\n`;
    const p = await parseText(dump);
    expect(p.meta.variant).toBe('v1.2');
  });

  it('names frames from bt_info entries whose functions hold spaces, commas, parentheses and quotes', async () => {
    const dump = `Android Native Heap Dump v1.2

Build fingerprint: 'unknown'

Total memory: 8
Allocation records: 1
Backtrace size: 16

z 0  sz        8  num    1  bt 1010 2020 3030
  bt_info {"/system/lib64/libfoo.so" 10 "std::map<int, char>::operator[](int const&)" 4} {"" 20 "" 0} {"/system/lib64/libfoo.so" 30 "operator"" _x(char const*)" 8}
MAPS
END
`;
    const p = await parseText(dump);
    expect(p.meta.variant).toBe('v1.2, build unknown');
    expect(names(p, 0x1010n)).toBe('std::map<int, char>::operator[](int const&)');
    expect(names(p, 0x2020n)).toBe('');
    expect(names(p, 0x3030n)).toBe('operator"" _x(char const*)');
    expect(p.meta.warnings).toEqual([]);
  });

  it('counts bt_info lines that describe a different number of frames than their record in one warning, with their lines', async () => {
    const dump = `Android Native Heap Dump v1.2\n\nTotal memory: 16\nAllocation records: 2\nBacktrace size: 16\n\nz 0  sz        8  num    1  bt 1010 2020\n  bt_info {"/system/lib64/libfoo.so" 10 "f" 4}\nz 0  sz        8  num    1  bt 3030\n  bt_info {"/system/lib64/libfoo.so" 30 "g" 8} {"" 40 "" 0}\nMAPS\nEND\n`;
    const p = await parseText(dump);
    expect(p.meta.warnings.map((w) => [w.message, w.count, w.locations.map((l) => l.line)])).toEqual([
      ['bt_info lines that describe a different number of frames than the record before them', 2, [8, 10]],
    ]);
    // The frames both describe are still named.
    expect([names(p, 0x1010n), names(p, 0x3030n)]).toEqual(['f', 'g']);
  });

  it('is detected without a file name and reads the same in 1- and 7-byte chunks and gzip', async () => {
    const whole = await parseText(V12);
    for (const chunkBytes of [1, 7]) {
      const p = await parseText(V12, { chunkBytes });
      expect(rows(p)).toEqual(rows(whole));
      expect(names(p, 0x7fe9200510n)).toBe(names(whole, 0x7fe9200510n));
      expect(p.mappings).toEqual(whole.mappings);
    }
    const { openBytes, detectImporter, parseSnapshot } = await import('@heapscope/parser');
    const input = await openBytes('-', gzipSync(new TextEncoder().encode(V12)), { chunkBytes: 7 });
    const importer = detectImporter(input);
    expect(importer.id).toBe('android-heap-dump');
    expect(rows(await parseSnapshot(input, importer as typeof androidHeapDumpImporter))).toEqual(rows(whole));
  });

  it('says when the dump is cut short or its header disagrees with its records', async () => {
    const cut = V12.slice(0, V12.indexOf('MAPS'));
    const p = await parseText(cut);
    expect(p.meta.warnings.map((w) => w.message)).toEqual([
      'the header says 2900 bytes in total, the records add up to 2632 (size × num)',
      'the dump ends without a "MAPS" section (truncated dump?)',
    ]);
    // Cut in the middle of a record: that record is dropped with a truncation warning.
    const mid = await parseText(V12.slice(0, V12.indexOf('z 0  sz       16') + 10));
    expect(valueOf(mid, 'inuse_objects')).toBe(5);
    expect(mid.meta.warnings.map((w) => w.message)[0]).toMatch(/^the input ends in the middle of a line \(truncated\?\); that line was dropped: "z 0  sz {3}"/);
    const noEnd = await parseText(V12.replace('END\n', '').replace('Allocation records: 5', 'Allocation records: 7'));
    expect(noEnd.meta.warnings.map((w) => w.message)).toEqual([
      'the header says 7 allocation records, the dump has 5 (truncated dump?)',
      'the header says 2900 bytes in total, the records add up to 2632 (size × num)',
      'the dump ends before "END" (truncated dump?)',
    ]);
  });

  it('a second dump appended where the first was cut (in its records, in its maps) or after its END without a header: an error at its line; under --lenient, the first alone', async () => {
    // The hand-written dump, cut between lines and followed by a whole one (`cat cut.txt dump.txt`).
    const lines = V12.split('\n');
    const upTo = (re: RegExp) => `${lines.slice(0, lines.findIndex((l) => re.test(l))).join('\n')}\n`;
    const cases: [string, string, RegExp][] = [
      ['cut in its header', upTo(/^Backtrace size/), /before the first one reached its memory map \(a dump cut short, then another appended\?\)/],
      ['cut in its records', upTo(/^z 0  sz       16/), /before the first one reached its memory map \(a dump cut short, then another appended\?\)/],
      ['cut in its maps', upTo(/^7fe91b1000-/), /after the first one's memory map \(dumps concatenated\?\)/],
    ];
    for (const [what, first, message] of cases) {
      const text = first + V12;
      const line = first.split('\n').length; // the appended header's line
      await expect(parseText(text), what).rejects.toThrow(new RegExp(`^test\\.heap:${line}: another profile starts here, ${message.source}: give each dump as its own input; the rest of the input was not read: "Android Native Heap Dump v1\\.2"$`));
      const lenient = await parseText(text, { lenient: true });
      const alone = await parseText(first, { lenient: true });
      expect(rows(lenient), what).toEqual(rows(alone));
      expect(lenient.mappings, what).toEqual(alone.mappings); // the second dump's maps are not the first's
      expect(lenient.meta.warnings.map((w) => w.message), what).toEqual([
        expect.stringMatching(/^skipped malformed record: another profile starts here, /),
        ...alone.meta.warnings.map((w) => w.message),
      ]);
    }
    // After END the writer writes nothing: a second dump without its header (its records, or a MAPS … END) is a second dump too.
    for (const tail of ['z 0  sz       16  num    2  bt 7fe9183a2c\nMAPS\nEND\n', 'MAPS\n7fe9181000-7fe91a2000 r-xp 00000000 fd:00 2345 /system/lib64/libc.so\nEND\n', 'Total memory: 8\n']) {
      const line = V12.split('\n').length;
      await expect(parseText(V12 + tail)).rejects.toThrow(new RegExp(`^test\\.heap:${line}: another profile starts here, after the first one's memory map`));
      const lenient = await parseText(V12 + tail, { lenient: true });
      expect(rows(lenient)).toEqual(rows(await parseText(V12)));
    }
    // Other text after END is not a dump's: read past, with a warning.
    const junk = await parseText(`${V12}\nsaved by adb pull\n`);
    expect(junk.meta.warnings.map((w) => [w.message, w.locations[0]?.line])).toContainEqual(['lines after "END" ignored', V12.split('\n').length + 1]);
  });

  it('rejects a dump written with malloc debug off', async () => {
    const text = `Native heap dump not available. To enable, run these commands (requires root):
# adb shell stop
# adb shell setprop libc.debug.malloc.options backtrace
# adb shell start
`;
    await expect(parseText(text)).rejects.toThrow('test.heap:1: no heap data: the process ran without malloc debug: "Native heap dump not available. To enable, run these commands (requires root):"');
    // Even with --lenient: there is nothing to read.
    await expect(parseText(text, { lenient: true })).rejects.toBeInstanceOf(ParseError);
  });

  it('reports malformed records and header lines with their line numbers', async () => {
    const bad = async (text: string) => {
      try {
        await parseText(text);
      } catch (error) {
        return (error as ParseError).message;
      }
      throw new Error('expected an error');
    };
    const header = 'Android Native Heap Dump v1.2\n\nTotal memory: 8\n\n';
    expect(await bad(`${header}z 0  sz        8  num    1  bt 10 zz\n`)).toBe('test.heap:5: "zz" is not a hexadecimal frame address: "z 0  sz        8  num    1  bt 10 zz"');
    expect(await bad(`${header}z 2  sz        8  num    1  bt 10\n`)).toMatch(/^test\.heap:5: expected "z <0\|1>  sz <size>  num <count>  bt <frames>"/);
    expect(await bad(`${header}z 0  sz        8  num  bt 10\n`)).toMatch(/^test\.heap:5: expected "z <0\|1>/);
    expect(await bad(`${header}z 0  sz        8  num    1  bt 10\nhello\n`)).toMatch(/^test\.heap:6: expected a "z <0\|1>  sz <size>  num <count>  bt <frames>" record, "bt_info", or "MAPS"/);
    expect(await bad(`${header}z 0  sz        8  num    1  bt 10\n  bt_info {"/x.so" 10 "f"}\n`)).toMatch(/^test\.heap:6: expected "bt_info" followed by/);
    expect(await bad(`Android Native Heap Dump v1.2\nTotal bytes: 8\n`)).toMatch(/^test\.heap:2: expected "Build fingerprint:"/);
    expect(await bad('Android Native Heap Dump\n')).toMatch(/^test\.heap:1: expected "Android Native Heap Dump v1\.<n>"/);
  });

  it('reads a newer minor version as v1.2 with a warning; refuses another major version unless --lenient', async () => {
    const v13 = await parseText(V12.replace('v1.2', 'v1.3'));
    expect(valueOf(v13, 'inuse_space')).toBe(2632);
    expect(v13.meta.warnings.map((w) => [w.message, w.locations[0]?.line])).toContainEqual(['unknown version v1.3, read as v1.2', 1]);
    await expect(parseText(V12.replace('v1.2', 'v2.0'))).rejects.toThrow('test.heap:1: version v2.0 is not one heapscope knows (it reads v1.0 to v1.2): "Android Native Heap Dump v2.0"');
    const lenient = await parseText(V12.replace('v1.2', 'v2.0'), { lenient: true });
    expect(valueOf(lenient, 'inuse_space')).toBe(2632);
    expect(lenient.meta.warnings.map((w) => w.message)).toContain('skipped malformed record: version v2.0 is not one heapscope knows (it reads v1.0 to v1.2)');
  });

  it('sniffs its header and the malloc-debug-off message only', () => {
    const head = (firstLine: string) => ({ bytes: new Uint8Array(), text: firstLine, firstLine });
    expect(androidHeapDumpImporter.sniff(head('Android Native Heap Dump v1.0'))).toBe(1);
    expect(androidHeapDumpImporter.sniff(head('Native heap dump not available. To enable, run these commands (requires root):'))).toBe(1);
    expect(androidHeapDumpImporter.sniff(head('186: malloc 0xb6027400 1024'))).toBe(0);
  });
});

describe.skipIf(!HAVE_TOOLS)('Android native heap dump symbolization (needs gcc and binutils)', () => {
  it('names frames from an Android symbols/ tree (--symbols), matching the maps path below it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heapscope-android-'));
    try {
      // A shared library laid out as out/target/product/<device>/symbols/system/lib64/libdemo.so.
      const lib = join(dir, 'symbols', 'system', 'lib64', 'libdemo.so');
      mkdirSync(join(dir, 'symbols', 'system', 'lib64'), { recursive: true });
      writeFileSync(join(dir, 'demo.c'), 'void *keep(void *p) { return p; }\nint demo_alloc(int n) { return n * 3 + 1; }\n');
      execFileSync('gcc', ['-O1', '-g', '-shared', '-fPIC', '-o', lib, join(dir, 'demo.c')]);
      const sym = execFileSync('nm', ['-S', '--defined-only', lib], { encoding: 'utf8' })
        .split('\n')
        .map((l) => /^([0-9a-f]+) [0-9a-f]+ T demo_alloc$/.exec(l))
        .find((m) => m)!;
      const fn = parseInt(sym[1], 16);
      // The executable PT_LOAD, mapped at 0x7f10000000 as bionic's linker would.
      const load = execFileSync('readelf', ['-lW', lib], { encoding: 'utf8' })
        .split('\n')
        .map((l) => /^\s*LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S+\s+\S+\s+0x([0-9a-f]+)\s+R E/.exec(l))
        .find((m) => m)!;
      const [offset, vaddr, memSize] = [parseInt(load[1], 16), parseInt(load[2], 16), parseInt(load[3], 16)];
      const base = 0x7f10000000;
      const start = base + (vaddr & ~0xfff);
      const limit = base + Math.ceil((vaddr + memSize) / 0x1000) * 0x1000;
      const frame = (base + fn + 4).toString(16); // a return address inside demo_alloc
      const hex = (n: number, w = 0) => n.toString(16).padStart(w, '0');
      const dump = `Android Native Heap Dump v1.2

Build fingerprint: 'unknown'

Total memory: 64
Allocation records: 1
Backtrace size: 16

z 0  sz       64  num    1  bt ${frame}
MAPS
${hex(base)}-${hex(start)} r--p 00000000 fd:00 42                             /system/lib64/libdemo.so
${hex(start)}-${hex(limit)} r-xp ${hex(offset & ~0xfff, 8)} fd:00 42                             /system/lib64/libdemo.so
END
`;
      const p = await parseText(dump);
      const { profile } = await symbolize(p, { external: 'none', symbolPaths: [join(dir, 'symbols')] });
      const l = profile.stackLocations(profile.samples.stack[0])[0];
      const line = profile.locations.lineStart[l];
      expect(profile.locations.lineStart[l + 1]).toBeGreaterThan(line);
      expect(profile.strings[profile.functions.name[profile.locations.lineFunction[line]]]).toBe('demo_alloc');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
