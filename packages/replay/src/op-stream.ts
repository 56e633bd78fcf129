/**
 * The op stream's writer: a {@link TraceSink} that encodes a trace's
 * allocation operations, as an importer streams them, into the compact
 * binary stream heapscope-replayer reads. The format is defined in
 * native/op-stream.h (and described in docs/replay.md): a header, one record
 * per operation (a tag byte, the thread when it changes, pointers XORed with
 * the previous pointer and sizes as LEB128 varints), and an end record with
 * the count. Bytes go out in 1 MiB blocks to a file descriptor: nothing of
 * the trace is held.
 */
import { writeSync } from 'node:fs';
import { AllocOp, type TraceSink } from '@heapscope/parser';

/** Operation codes of the stream (native/op-stream.h). */
export const OpCode = { malloc: 0, calloc: 1, memalign: 2, realloc: 3, free: 4, threadDone: 5, end: 15 } as const;
/** Tag bit: a thread id follows the tag. */
const THREAD_FOLLOWS = 0x10;
/** "HSOPS" 0 version 0. */
export const OP_STREAM_HEADER = Uint8Array.of(0x48, 0x53, 0x4f, 0x50, 0x53, 0, 1, 0);

const BLOCK_BYTES = 1 << 20;
/** Room for one record: a tag, a thread and three 10-byte varints. */
const MAX_RECORD_BYTES = 48;
const TWO_32 = 2 ** 32;

/** What the writer counted. */
export interface OpStreamCounts {
  /** Operation records written (thread exits not included). */
  ops: number;
  /** Trace threads that had operations. */
  threads: number;
  /** Bytes written, header and end record included. */
  bytes: number;
  /**
   * Allocations without a pointer (perf entry probes recorded without their
   * return probes): they cannot be replayed, and are counted here instead.
   */
  untracked: number;
  /** Profiler samples that are not allocations (perf CPU samples): not operations. */
  profilerSamples: number;
}

/** Encodes a trace's operations into the op stream on `fd`; call `end()` after the importer is done. */
export class OpStreamWriter implements TraceSink {
  private readonly buf = new Uint8Array(BLOCK_BYTES);
  private pos = 0;
  private written = 0;
  private prevHi = 0;
  private prevLo = 0;
  /** Builder thread index + 1 (0: the trace records no threads, as heaptrack's) → stream thread id + 1 (0: none yet). */
  private threadIds = new Int32Array(64);
  private threadCount = 0;
  /** The slot of the last record's thread; none before the first record. */
  private lastSlot = -1;
  private ops = 0;
  private untracked = 0;
  private profilerSamples = 0;

  constructor(private readonly fd: number) {
    this.buf.set(OP_STREAM_HEADER);
    this.pos = OP_STREAM_HEADER.length;
  }

  alloc(ptrHi: number, ptrLo: number, sizeBytes: number, op: AllocOp, _stack: number, thread: number, _timeNs: number, alignBytes?: number): void {
    switch (op) {
      case AllocOp.calloc:
        this.tag(OpCode.calloc, thread);
        this.pointer(ptrHi, ptrLo);
        break;
      case AllocOp.memalign:
        this.tag(OpCode.memalign, thread);
        this.pointer(ptrHi, ptrLo);
        this.number(alignBytes ?? 0);
        break;
      case AllocOp.realloc:
        // realloc(NULL, n): replayed as the call it was.
        this.tag(OpCode.realloc, thread);
        this.pointer(0, 0);
        this.pointer(ptrHi, ptrLo);
        break;
      default:
        // malloc, and allocation functions the producer does not name (operator new, custom probes).
        this.tag(OpCode.malloc, thread);
        this.pointer(ptrHi, ptrLo);
    }
    this.number(sizeBytes);
    this.ops++;
  }

  free(ptrHi: number, ptrLo: number, _stack: number, thread: number): void {
    this.tag(OpCode.free, thread);
    this.pointer(ptrHi, ptrLo);
    this.ops++;
  }

  realloc(oldHi: number, oldLo: number, newHi: number, newLo: number, sizeBytes: number, _stack: number, thread: number): void {
    this.tag(OpCode.realloc, thread);
    this.pointer(oldHi, oldLo);
    this.pointer(newHi, newLo);
    this.number(sizeBytes);
    this.ops++;
  }

  allocUntracked(): void {
    this.untracked++;
  }

  threadDone(thread: number): void {
    // A thread without operations has no replay thread to end.
    if (thread + 1 < this.threadIds.length && this.threadIds[thread + 1] !== 0) this.tag(OpCode.threadDone, thread);
  }

  sample(): void {
    this.profilerSamples++;
  }

  /** Writes the end record and the last block; returns the counts. */
  end(): OpStreamCounts {
    this.room();
    this.buf[this.pos++] = OpCode.end;
    this.number(this.ops);
    this.flush();
    return { ops: this.ops, threads: this.threadCount, bytes: this.written, untracked: this.untracked, profilerSamples: this.profilerSamples };
  }

  /** Starts a record: flushes when the block is nearly full, writes the tag and, when it changed, the thread. */
  private tag(code: number, thread: number): void {
    this.room();
    // A trace without threads (thread -1) is one thread: slot 0.
    const slot = thread < 0 ? 0 : thread + 1;
    if (slot === this.lastSlot) {
      this.buf[this.pos++] = code;
      return;
    }
    this.lastSlot = slot;
    if (slot >= this.threadIds.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.threadIds.length * 2));
      grown.set(this.threadIds);
      this.threadIds = grown;
    }
    if (this.threadIds[slot] === 0) this.threadIds[slot] = ++this.threadCount;
    this.buf[this.pos++] = code | THREAD_FOLLOWS;
    this.u32(this.threadIds[slot] - 1);
  }

  private room(): void {
    if (this.pos > BLOCK_BYTES - MAX_RECORD_BYTES) this.flush();
  }

  private flush(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.written += this.pos;
    this.pos = 0;
  }

  /** A pointer field: XORed with the previous one (see the format). */
  private pointer(hi: number, lo: number): void {
    const xHi = (hi ^ this.prevHi) >>> 0;
    const xLo = (lo ^ this.prevLo) >>> 0;
    this.prevHi = hi;
    this.prevLo = lo;
    if (xHi === 0) this.u32(xLo);
    else this.u64(xHi, xLo);
  }

  /** A non-negative integer below 2^64 (sizes are below 2^53 here). */
  private number(v: number): void {
    if (v < TWO_32) this.u32(v);
    else this.u64(Math.floor(v / TWO_32), v >>> 0);
  }

  private u32(v: number): void {
    const buf = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  private u64(hi: number, lo: number): void {
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | ((hi & 0x7f) << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }
}
