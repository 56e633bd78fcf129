/**
 * Event traces (Android `record_allocs`, `perf script` malloc/free probes)
 * are streamed, never held whole: an importer pushes each event into a
 * {@link TraceSink} as it reads it. The usual sink accumulates the events,
 * keeping only the live set and per-site aggregates; another runs them
 * against real allocators.
 *
 * Pointers are passed as two unsigned 32-bit halves (see model/address.ts):
 * tagged Android pointers exceed 2^53.
 */
import type { Input } from '../input/source.js';
import type { ProfileBuilder } from '../model/builder.js';
import type { Head, ParseContext } from '../importers/importer.js';
import type { WarningLocation } from '../errors.js';
import { float64Column, int32Column } from '../model/columns.js';
import { EMPTY_STACK } from '../model/profile.js';

/** The allocation functions a trace distinguishes. */
export const AllocOp = {
  malloc: 0,
  calloc: 1,
  memalign: 2,
  realloc: 3,
  /** An allocation function the producer does not name (perf probes with a custom `--alloc-event`). */
  other: 4,
} as const;
export type AllocOp = (typeof AllocOp)[keyof typeof AllocOp];
export const ALLOC_OP_NAMES = ['malloc', 'calloc', 'memalign', 'realloc', 'other'] as const;

/** "No time": the trace has no timestamps. */
export const NO_TIME = -1;

/** Receives a trace's events in order. `stack` and `thread` are ids of the importer's ProfileBuilder. */
export interface TraceSink {
  /**
   * A block of `sizeBytes` was allocated at `ptr` (non-NULL). `alignBytes` is
   * the alignment a `memalign` asked for, when the trace records it (a sink
   * that runs the trace against a real allocator calls memalign with it);
   * absent otherwise.
   */
  alloc(ptrHi: number, ptrLo: number, sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number, alignBytes?: number): void;
  /** The block at `ptr` was freed. `ptr` NULL is free(NULL): counted, otherwise a no-op. */
  free(ptrHi: number, ptrLo: number, stack: number, thread: number, timeNs: number): void;
  /**
   * `realloc(old, size)` returned `new`: old dies and new is born (they may be
   * equal). Callers pass `realloc(NULL, n)` as `alloc` and `realloc(p, 0)` as
   * `free`.
   */
  realloc(oldHi: number, oldLo: number, newHi: number, newLo: number, sizeBytes: number, stack: number, thread: number, timeNs: number): void;
  /**
   * An allocation whose pointer is unknown (perf entry probes recorded
   * without return probes): it counts as allocated, never as live.
   */
  allocUntracked(sizeBytes: number, op: AllocOp, stack: number, thread: number, timeNs: number): void;
  /** A thread exited (its tid may be reused afterwards). */
  threadDone(thread: number, timeNs: number): void;
  /**
   * A profiler sample that is not an allocation (perf CPU samples: cycles,
   * cpu-clock, page faults): `weight` (the event's period, or 1) is counted
   * on the stack, in a `samples` sample type.
   */
  sample(stack: number, thread: number, weight: number, timeNs: number): void;
  /**
   * Optional. Before its first event, an importer that knows its lines
   * hands the sink `where`, which says where the event being sent is (its
   * file and line): the sink's warnings about an event (the free of a
   * pointer never allocated) then name the first lines they concern. Called
   * only when such a warning is made, never per event.
   */
  locator?(where: () => WarningLocation): void;
}

/**
 * What a sink may also take: events of a trace that names its blocks by
 * index instead of by pointer (heaptrack's interpreted recordings say
 * `+ <allocation info>` and `- <allocation info>`, docs/formats.md). The
 * importer declares the kinds of allocation it will name (a size, an
 * operation, a stack and a thread), and the sink hands out a dense id for
 * each block born, which the importer names when the block dies: the sink
 * needs no pointer table, and may keep per-kind what it would otherwise
 * look up per event (its site, its size's row). Use it through
 * {@link blockSink}, which gives a sink without these methods synthetic
 * pointers instead.
 */
export interface BlockSink {
  /** Declares the next kind of allocation (kinds are numbered 0, 1, … in the order declared). */
  allocationKind(sizeBytes: number, op: AllocOp, stack: number, thread: number): void;
  /** A block of `kind` was allocated; returns its id, a small integer (the id of a block that died may be handed out again). */
  allocBlock(kind: number, timeNs: number): number;
  /** The live block `block` (an id from `allocBlock`) was freed on `thread`. */
  freeBlock(block: number, thread: number, timeNs: number): void;
}

/** Whether `sink` takes block events itself. */
function takesBlocks(sink: TraceSink | (TraceSink & BlockSink)): sink is TraceSink & BlockSink {
  return 'allocBlock' in sink;
}

/**
 * The block events of `sink`: the sink itself when it takes them, or else
 * an adapter that hands it pointers — block id `b` at (0, b + 1), ids of
 * dead blocks reused last in, first out — and the kind's size, operation,
 * stack and thread with each allocation.
 */
export function blockSink(sink: TraceSink): BlockSink {
  return takesBlocks(sink) ? sink : new PointerBlocks(sink);
}

/** Block events as pointer events, for sinks that want pointers (the op stream's writer). */
class PointerBlocks implements BlockSink {
  private readonly size = float64Column(4096);
  private readonly op = int32Column(4096);
  private readonly stack = int32Column(4096);
  private readonly thread = int32Column(4096);
  /** Ids of dead blocks, the last freed on top. */
  private readonly freeIds = int32Column(1024);
  private ids = 0;

  constructor(private readonly sink: TraceSink) {}

  allocationKind(sizeBytes: number, op: AllocOp, stack: number, thread: number): void {
    this.size.push(sizeBytes);
    this.op.push(op);
    this.stack.push(stack);
    this.thread.push(thread);
  }

  allocBlock(kind: number, timeNs: number): number {
    const id = this.freeIds.length > 0 ? this.freeIds.data[--this.freeIds.length] : this.ids++;
    this.sink.alloc(0, id + 1, this.size.data[kind], this.op.data[kind] as AllocOp, this.stack.data[kind], this.thread.data[kind], timeNs);
    return id;
  }

  freeBlock(block: number, thread: number, timeNs: number): void {
    this.freeIds.push(block);
    this.sink.free(0, block + 1, EMPTY_STACK, thread, timeNs);
  }
}

/** What an importer says about the trace it read. */
export interface TraceFacts {
  /** Events carry timestamps (ns). */
  hasTimestamps: boolean;
  /** Events carry call stacks. */
  hasStacks: boolean;
  /** Pointers were tracked, so live bytes are known (false for size-only probe records). */
  tracksPointers: boolean;
}

/** An importer of event-trace formats: input in, events out. */
export interface TraceImporter {
  readonly id: string;
  readonly kind: 'trace';
  readonly description: string;
  sniff(head: Head): number;
  /**
   * Reads the whole input, interning stacks, threads and mappings in
   * `builder` (its samples are the sink's business) and sets `builder.meta`'s
   * format facts.
   */
  parse(input: Input, ctx: ParseContext, builder: ProfileBuilder, sink: TraceSink): Promise<TraceFacts>;
}

/**
 * Counts the events of a trace whose timestamp is earlier than one before
 * it in the file. Writers append events in time order (perf script sorts
 * them; record_allocs appends each call as it returns), so time going
 * backwards is a damaged or merged trace, or clocks of different CPUs
 * disagreeing; the importer says so, with the count and the first line.
 * (The event accumulator, for its part, never lets such times make a negative lifetime
 * or a peak before the trace starts.)
 */
export class TimeOrder {
  private latest = NO_TIME;
  /** Events earlier than an event before them. */
  count = 0;
  /** Line of the first. */
  firstLine = 0;

  /** Takes the time (or NO_TIME) of the event at `line`. */
  see(timeNs: number, line: number): void {
    if (timeNs === NO_TIME) return;
    if (timeNs >= this.latest) this.latest = timeNs;
    else if (this.count++ === 0) this.firstLine = line;
  }

  /** Warns of the events out of order, if any. */
  report(ctx: ParseContext): void {
    if (this.count > 0) {
      ctx.warn('timestamps go backwards: events earlier than an event before them in the file (out of order, damaged or merged trace?)', this.firstLine, this.count);
    }
  }
}
