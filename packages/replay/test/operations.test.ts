/**
 * What the replay does with each kind of operation, on small traces written
 * here: unknown frees and reallocs, an allocation at a pointer that is still
 * live, free(NULL), tagged 64-bit pointers, a size beyond the address space,
 * memalign's alignment (seen by a recording "allocator"), thread exits; and
 * the op stream read from a pipe, truncated or corrupt.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInput } from '@heapscope/analyzer';
import { encodeTrace, replayTrace, replayerPath } from '@heapscope/replay';
import { buildPreload, buildReplayer, tempDir, writeTrace } from './helpers.js';

const HUGE = 2 ** 52; // 4 PiB: beyond any machine's address space, below 2^53

// Live bytes after each operation: 100, 100 (unknown free), 150 (realloc of an
// unknown pointer), 80 (0x1000 again: its 100 bytes freed first), 280, 280
// (free(NULL)), 344, 280, 280 + 2^52 (refused by the allocator, counted by the
// trace), thread 2 exits, 380 + 2^52.
const EDGES = `1: malloc 0x1000 100
1: free 0x9999
2: realloc 0x2000 0x8888 50
1: malloc 0x1000 30
2: memalign 0x3000 4096 200
1: free 0x0
2: malloc 0xb400007a00004000 64
2: free 0xb400007a00004000
1: malloc 0x5000 ${HUGE}
2: thread_done 0x0
3: calloc 0x6000 4 25
`;

const scratch = tempDir();
let edges: string;

beforeAll(() => {
  buildReplayer();
  edges = writeTrace(scratch.dir, 'edges.txt', EDGES);
});
afterAll(scratch.remove);

describe('operations the trace cannot have reproduced as recorded', () => {
  for (const singleThread of [false, true]) {
    it(`are counted, not fatal (${singleThread ? 'one thread' : 'a thread per trace thread'})`, async () => {
      const report = await replayTrace(edges, { allocators: 'glibc', singleThread, sampleEvery: 1 });
      expect(report.trace).toMatchObject({
        ops: 10,
        threads: 3,
        peakLiveBytes: 380 + HUGE,
        finalLiveBytes: 380 + HUGE,
        unreproducible: { unknownFrees: 1, unknownReallocs: 1, implicitFrees: 1 },
      });
      expect(report.rows[0]).toMatchObject({ error: null, failedAllocs: 1, ops: 10 });
      expect(report.series[0].points.map((p) => p.liveBytes)).toEqual([0, 100, 100, 150, 80, 280, 280, 344, 280, 280 + HUGE, 380 + HUGE]);
      // The analysis agrees (it counts the realloc of an unknown pointer as an unknown free).
      const { trace } = await readInput(edges);
      expect([trace!.report.peak.bytes, trace!.report.liveBytes, trace!.report.unknownFrees]).toEqual([380 + HUGE, 380 + HUGE, 2]);
    });
  }

  it('calls memalign with the alignment the trace recorded', async () => {
    const recorder = buildPreload('record-memalign', scratch.dir);
    const log = join(scratch.dir, 'memalign.log');
    const trace = writeTrace(scratch.dir, 'align.txt', '7: memalign 0x1000 4096 200\n7: memalign 0x2000 64 10\n7: free 0x1000\n7: free 0x2000\n');
    const report = await replayTrace(trace, { allocators: ['recorder'], preload: [`recorder=${recorder}`], env: [`recorder:RECORD_MEMALIGN_TO=${log}`] });
    expect(report.rows[0]).toMatchObject({ allocator: 'recorder', library: recorder, error: null });
    expect(readFileSync(log, 'utf8')).toBe('4096 200\n64 10\n');
  });
});

describe('the op stream', () => {
  it('is read from a pipe as from a file', async () => {
    const ops = join(scratch.dir, 'pipe.ops');
    await encodeTrace(edges, ops);
    const fromFile = spawnSync(replayerPath(), ['replay', '--single-thread', ops], { encoding: 'utf8' });
    const fromPipe = spawnSync(replayerPath(), ['replay', '--single-thread', '-'], { input: readFileSync(ops), encoding: 'utf8' });
    const result = (out: string) => JSON.parse(out.trim().split('\n').pop()!).result;
    expect(fromPipe.status).toBe(0);
    const { opNs: _a, wallNs: _b, maxRss: _c, ...file } = result(fromFile.stdout);
    const { opNs: _d, wallNs: _e, maxRss: _f, ...pipe } = result(fromPipe.stdout);
    expect(pipe).toEqual(file);
    expect(file).toMatchObject({ ops: 10, peakLiveBytes: 380 + HUGE, unknownFrees: 1 });
  });

  it('is rejected when truncated, corrupt or not an op stream, with the byte where reading stopped', async () => {
    const ops = join(scratch.dir, 'bad.ops');
    const encoded = await encodeTrace(edges, ops);
    const bytes = readFileSync(ops);
    const run = () => spawnSync(replayerPath(), ['replay', ops], { encoding: 'utf8' });
    truncateSync(ops, encoded.bytes - 2); // the end record cut off
    expect(run()).toMatchObject({ status: 3, stderr: expect.stringMatching(/op stream byte \d+: the stream ends (without its end record|inside a record) \(truncated\)/) });
    writeFileSync(ops, Buffer.concat([bytes.subarray(0, 8), Buffer.of(0x09)])); // operation 9 does not exist
    expect(run()).toMatchObject({ status: 3, stderr: expect.stringContaining('op stream byte 9: unknown operation') });
    writeFileSync(ops, 'malloc 0x1000 100\n');
    expect(run()).toMatchObject({ status: 3, stderr: expect.stringContaining('not a heapscope op stream') });
    const end = Buffer.from(bytes);
    end[end.length - 1] ^= 1; // the end record's count
    writeFileSync(ops, end);
    expect(run()).toMatchObject({ status: 3, stderr: expect.stringContaining("the end record's count differs") });
  });
});
