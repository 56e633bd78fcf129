/**
 * Known inputs heapscope does not read are refused by name, with what to do
 * (docs/formats.md#not-read): perf.data (a real one, written by perf record:
 * fixtures/cpu-perf), memray captures and Perfetto traces (their headers built
 * from the formats' facts: memray's magic and header fields, Perfetto's Trace
 * of TracePackets with the tracing service's synchronization marker),
 * valgrind's massif and DHAT outputs (real ones: fixtures/valgrind). The
 * formats heapscope does read are not taken for them: heaptrack's zstd and
 * gzip recordings, perf script text (the CLI's test checks pprof, which
 * also starts with protobuf field 1: known-inputs-cli.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FOREIGN_FORMATS, ParseError, detectImporter, openBytes, openInput } from '@heapscope/parser';
import { CORPUS, FIXTURES, HAVE_CORPUS, corpusSkipNote, findFiles } from '@heapscope/testkit/paths';

const PERF_DATA = join(FIXTURES, 'cpu-perf/workload.cpu-clock.perf.data');

/** A protobuf varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** A length-delimited protobuf field. */
const bytesField = (field: number, body: readonly number[]) => [...varint(field * 8 + 2), ...varint(body.length), ...body];
const varintField = (field: number, value: number) => [...varint(field * 8), ...varint(value)];

const SYNC_MARKER = [0x82, 0x47, 0x7a, 0x76, 0xb2, 0x8d, 0x42, 0xba, 0x81, 0xdc, 0x33, 0x32, 0x6d, 0x57, 0xa0, 0x79];

/**
 * A Perfetto trace as its format defines it: `Trace { repeated TracePacket
 * packet = 1 }`, a first packet with `trusted_uid` (3) and
 * `trusted_packet_sequence_id` (10), then the service's synchronization
 * marker (`synchronization_marker`, field 36) and a timestamped packet
 * (`timestamp`, field 8).
 */
function perfettoTrace(): Uint8Array {
  const packets = [
    [...varintField(3, 0), ...varintField(10, 1)],
    [...bytesField(36, SYNC_MARKER)],
    [...varintField(8, 123456789), ...varintField(10, 2)],
  ];
  return Uint8Array.from(packets.flatMap((p) => bytesField(1, p)));
}

/** A memray capture's header: the magic `memray` and its NUL, the header version (int32), native_traces (bool), then tracker stats. */
function memrayCapture(): Uint8Array {
  const header = Buffer.alloc(64);
  header.write('memray\0', 0, 'latin1');
  header.writeInt32LE(7, 8);
  header.writeUInt8(1, 12);
  return header;
}

async function refusal(name: string, bytes: Uint8Array): Promise<ParseError> {
  const input = await openBytes(name, bytes);
  try {
    detectImporter(input);
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error(`${name} was detected as a format heapscope reads`);
}

describe('known inputs heapscope does not read', () => {
  it('perf.data written by perf record: run perf script first', async () => {
    const input = await openInput(PERF_DATA);
    expect(() => detectImporter(input)).toThrow(ParseError);
    const error = await refusal(PERF_DATA, readFileSync(PERF_DATA));
    expect(error.message).toBe(
      `${PERF_DATA}:1: this is a perf.data file (perf record): heapscope reads perf script's text of it: run \`perf script -i ${PERF_DATA} > ${PERF_DATA}.txt\` first, and give heapscope ${PERF_DATA}.txt`,
    );
    // The same when it was compressed.
    expect((await refusal('perf.data.gz', gzipSync(readFileSync(PERF_DATA)))).message).toContain('perf script -i perf.data.gz');
  });

  it('a memray capture: run memray transform csv first', async () => {
    const error = await refusal('out.bin', memrayCapture());
    expect(error.message).toBe('out.bin:1: this is a memray capture (memray run): heapscope reads memray\'s CSV export of it: run `memray transform csv out.bin` first, and give heapscope the .csv it writes');
  });

  it('a Perfetto trace: named, with what heapscope reads instead', async () => {
    for (const [name, bytes] of [
      ['trace.perfetto-trace', perfettoTrace()],
      ['trace.pftrace.gz', gzipSync(perfettoTrace())],
    ] as const) {
      const error = await refusal(name, bytes);
      expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}:1: this is a Perfetto trace: heapscope does not read it\\. For Android native heaps it reads malloc_debug's record_allocs traces`));
    }
  });

  it('valgrind massif and DHAT profiles (real ones: fixtures/valgrind): named, with what heapscope reads instead', async () => {
    for (const [file, name] of [
      ['massif.out.workload', 'a valgrind massif profile (valgrind --tool=massif; ms_print reads it)'],
      ['dhat.out.workload', 'a valgrind DHAT profile (valgrind --tool=dhat; dh_view.html reads it)'],
    ]) {
      const path = join(FIXTURES, 'valgrind', file);
      for (const [shown, bytes] of [
        [path, readFileSync(path)],
        [`${file}.gz`, gzipSync(readFileSync(path))],
      ] as const) {
        const error = await refusal(shown, bytes);
        expect(error.message).toBe(`${shown}:1: this is ${name}: heapscope does not read it. For the same program it reads heaptrack recordings (\`heaptrack CMD\`), jemalloc and gperftools heap dumps and perf malloc probes; heapscope info --help lists every format it reads`);
      }
    }
  });

  it('each magic is its own: no foreign format claims another, nor a head that merely starts like one', () => {
    const heads = {
      perf: readFileSync(PERF_DATA).subarray(0, 64),
      memray: memrayCapture(),
      perfetto: perfettoTrace(),
      massif: readFileSync(join(FIXTURES, 'valgrind', 'massif.out.workload')),
      dhat: readFileSync(join(FIXTURES, 'valgrind', 'dhat.out.workload')),
    };
    for (const [what, head] of Object.entries(heads)) {
      expect(FOREIGN_FORMATS.filter((f) => f.test(head)).length, what).toBe(1);
    }
    // A protobuf that starts with field 1 but carries no marker (pprof's start) is not a Perfetto trace.
    expect(FOREIGN_FORMATS.some((f) => f.test(Uint8Array.from(bytesField(1, [...varintField(1, 1), ...varintField(2, 2)]))))).toBe(false);
    expect(FOREIGN_FORMATS.some((f) => f.test(Buffer.from('memray')))).toBe(false);
  });
});

describe('formats heapscope reads are still detected as theirs', () => {
  it('heaptrack recordings, zstd and gzip', async () => {
    const files = findFiles(join(FIXTURES, 'heaptrack'), /^heaptrack\..*\.zst$/);
    if (HAVE_CORPUS) files.push(...findFiles(join(CORPUS, 'heaptrack'), /^heaptrack\..*\.(gz|zst)$/));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(detectImporter(await openInput(file)).id, file).toBe('heaptrack');
  });

  it('perf script text of CPU samples', async () => {
    expect(detectImporter(await openInput(join(FIXTURES, 'cpu-perf/workload.cpu-clock.perf.txt.gz'))).id).toBe('perf-script');
  });
  if (!HAVE_CORPUS) corpusSkipNote();
});
