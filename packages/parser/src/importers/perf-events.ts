/**
 * What `perf script` records of malloc/free probes mean: which event
 * allocates or frees, where its size and pointer are, and how entry and
 * return records pair up into the events of a {@link TraceSink}.
 *
 * Event names are `group:event`; `perf probe` names a `%return` probe
 * `<event>__return` (docs/formats.md#perf-script). The meaning comes from the event part
 * (any group: `probe_libc:malloc`, `probe_ld:malloc`, `probe_libjemalloc:je_malloc`,
 * musl's `probe_ld:default_malloc`, glibc's internal names such as
 * `__libc_calloc`, and perf's `_1`, `_2` suffixes for repeated probes), or
 * from the user: `--free-event RE` and `--alloc-event RE` are matched against
 * `group:event` without `__return` and win over the names below.
 *
 * A uprobe payload is `(ip) name=value …` or `(func <- ret) name=value …`;
 * values are `0x` hex, decimal (`:u64`), negative decimal (`:s64`), strings,
 * `(fault)` or `{…}` arrays. Argument names depend on how the probe was made
 * (`size=%di:u64`, glibc's debug-info names `bytes`, `oldmem`, `mem`,
 * `elem_size`, musl's `n`, perf's default `arg1`), so each role takes the
 * first of several usual names and otherwise falls back to the argument's
 * position in the C signature; `--size-arg NAME` names the size argument.
 *
 * | function | size | pointer in | pointer out |
 * |---|---|---|---|
 * | malloc, valloc, pvalloc, operator new | size | — | return |
 * | calloc | nmemb × size | — | return |
 * | realloc | size | ptr (freed) | return |
 * | reallocarray | nmemb × size | ptr (freed) | return |
 * | memalign, aligned_alloc | size (2nd) | — | return |
 * | posix_memalign | size (3rd) | — | *memptr: not in the record |
 * | free, cfree, operator delete | — | ptr | — |
 *
 * Pairing (per thread; records of one thread come in order):
 * - An allocation entry opens a call; its `__return` record closes it and
 *   gives the pointer. The event is emitted when the call returns, on the
 *   **return record's stack**: with frame-pointer callchains (`perf record
 *   -g`) the entry record's stack lacks malloc's immediate caller (at the
 *   first instruction of malloc the frame pointer still describes the
 *   caller's frame, docs/formats.md#perf-script), while the return record's leaf is that
 *   caller. The probed function's own frame (the entry's leaf) is not added:
 *   call sites then never depend on recognizing allocator symbols such as
 *   `__libc_calloc` or DWARF's `__GI___libc_malloc (inlined)`.
 * - Allocator calls made while a call is open on the same thread are its
 *   implementation (glibc's `realloc(NULL, n)` calls malloc; musl's realloc
 *   calls malloc and free; operator new calls malloc): they are folded into
 *   the outer call and counted in a warning. `perf report` counts such inner
 *   entries as events of their own.
 * - Whether an event has return records is learned from the trace: an
 *   entry stays open until its return arrives. A second entry of the same
 *   function on the same thread, or more than {@link MAX_INNER} records
 *   inside one open call, means no return is coming: for a function never
 *   seen returning, its entries are sizes only (`allocUntracked`); for one
 *   that has returned before, the return record was lost (a warning).
 * - `free(NULL)` (`ptr=0`) is passed on as free(0); `realloc(p, 0)` that
 *   returns NULL is a free; an allocation that returns NULL failed and is
 *   counted in a warning. Frees are passed on only once some allocation has
 *   returned a pointer (before that they cannot match anything).
 */
import type { ParseContext } from './importer.js';
import type { PayloadArgs } from './perf-payload.js';
import { AllocOp, NO_TIME, type TraceSink } from '../trace/sink.js';
import { EMPTY_STACK } from '../model/profile.js';

/** What an event does. */
export const Role = { unknown: 0, alloc: 1, free: 2, sideband: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** The allocation function of an event: where its size and pointers are. */
export const Fn = { malloc: 0, calloc: 1, realloc: 2, reallocarray: 3, memalign: 4, posixMemalign: 5, free: 6 } as const;
export type Fn = (typeof Fn)[keyof typeof Fn];

/** Records allowed inside one open call before its return is taken as lost. */
export const MAX_INNER = 64;

/** Tri-state "does this function have return records" (learned from the trace). */
const UNKNOWN = -1;
const NO = 0;
const YES = 1;

/** One event of the trace (one per distinct name). */
export interface PerfEvent {
  /** `group:event` as printed, without the trailing `:`. */
  readonly name: string;
  readonly role: Role;
  readonly fn: Fn;
  readonly op: AllocOp;
  readonly isReturn: boolean;
  /** Pairing key shared by an entry event and its `__return` event. */
  readonly base: number;
  /** Records seen. */
  records: number;
  /** Line of the first record. */
  firstLine: number;
  /** Argument index per role (size, second size operand, pointer), resolved on the first record; -1 = none. */
  readonly slots: Int32Array;
  /** The argument names those indexes had (their bytes), to check later records against. */
  readonly slotNames: Uint8Array[];
  /** Whether `slots` were resolved. */
  resolved: boolean;
  /**
   * The reader's cache: the frame codes of this event's last record with
   * frames, leaf first, as read (inlined frames not merged yet). Records of
   * one event often repeat a callchain: when every frame is the one at the
   * same depth, the stack is the last one, without resolving and interning
   * it again.
   */
  lastCodes: Int32Array;
  /** The stack of this event's last record and its frame count as read (-1: none). */
  lastStack: number;
  lastCount: number;
}

/** No argument's name. */
const NO_NAME = new Uint8Array(0);

const SLOT_SIZE = 0;
const SLOT_COUNT = 1;
const SLOT_PTR = 2;

/** Argument names per role, most specific first (`arg<N>` is perf's name for an unnamed argument). */
const SIZE_NAMES = ['size', 'bytes', 'n', 'n_u32', 'nbytes', 'len', 'length', 'sz', 'newsize', 'new_size', 'elem_size', 'size_u64', 'size_u32'];
const COUNT_NAMES = ['nmemb', 'num', 'count', 'nelem', 'nelems', 'elements', 'elem_count', 'm'];
const PTR_NAMES = ['ptr', 'oldmem', 'old', 'oldptr', 'mem', 'p', 'addr', 'address', 'pointer'];
const RET_NAMES = ['ptr', 'ret', 'retval', 'result', 'p', 'mem', 'addr', 'address', 'pointer', 'arg1'];

/** glibc/musl/jemalloc/tcmalloc/ld.so names of the allocation functions (event part, without `__return`). */
const C_ALLOCATOR = /^_*(?:GI_+)?(?:libc_)?(?:(?:default|je|tc|rtld|minimal|dl)_+)?(malloc|calloc|realloc|reallocarray|free|cfree|memalign|aligned_alloc|posix_memalign|valloc|pvalloc)(?:_impl)?(?:_\d+)?$/;
/** Itanium-mangled operator new / new[] (optionally nothrow or aligned) and operator delete / delete[]. */
const CXX_NEW = /^_Zn[wa][mj](?:St11align_val_t)?(?:RKSt9nothrow_t)?(?:_\d+)?$/;
const CXX_DELETE = /^_Zd[la]Pv[mj]?(?:St11align_val_t)?(?:RKSt9nothrow_t)?(?:_\d+)?$/;

const FN_OF: Record<string, [Fn, AllocOp]> = {
  malloc: [Fn.malloc, AllocOp.malloc],
  valloc: [Fn.malloc, AllocOp.memalign],
  pvalloc: [Fn.malloc, AllocOp.memalign],
  calloc: [Fn.calloc, AllocOp.calloc],
  realloc: [Fn.realloc, AllocOp.realloc],
  reallocarray: [Fn.reallocarray, AllocOp.realloc],
  memalign: [Fn.memalign, AllocOp.memalign],
  aligned_alloc: [Fn.memalign, AllocOp.memalign],
  posix_memalign: [Fn.posixMemalign, AllocOp.memalign],
  free: [Fn.free, AllocOp.other],
  cfree: [Fn.free, AllocOp.other],
};


/** A parsed record of an allocation or free event, as pairing needs it. */
export class EventRecord {
  event!: PerfEvent;
  /** The builder's thread index. */
  thread = -1;
  /** Requested bytes (entries of allocation events); NaN when unknown. */
  sizeBytes = NaN;
  /** Entry: the pointer argument (free, realloc); return: the returned pointer. */
  ptrHi = 0;
  ptrLo = 0;
  hasPtr = false;
  stack = EMPTY_STACK;
  timeNs = NO_TIME;
  line = 0;

  copyFrom(o: EventRecord): this {
    this.event = o.event;
    this.thread = o.thread;
    this.sizeBytes = o.sizeBytes;
    this.ptrHi = o.ptrHi;
    this.ptrLo = o.ptrLo;
    this.hasPtr = o.hasPtr;
    this.stack = o.stack;
    this.timeNs = o.timeNs;
    this.line = o.line;
    return this;
  }
}

/** A thread's open allocator call and the records made inside it. */
export class ThreadCalls {
  /** The open (outermost) call, or null. */
  open: EventRecord | null = null;
  readonly openSlot = new EventRecord();
  inner: EventRecord[] = [];
}

/** User options of the perf importer (CLI `--size-arg`, `--alloc-event`, `--free-event`). */
export interface PerfEventOptions {
  sizeArg?: string;
  allocEvent?: RegExp;
  freeEvent?: RegExp;
}

/** Reads the perf options out of ImportOptions (which hold them untyped). */
export function perfEventOptions(options: Record<string, unknown>): PerfEventOptions {
  const regex = (v: unknown): RegExp | undefined => (v instanceof RegExp ? v : typeof v === 'string' && v !== '' ? new RegExp(v) : undefined);
  return {
    sizeArg: typeof options.sizeArg === 'string' && options.sizeArg !== '' ? options.sizeArg : undefined,
    allocEvent: regex(options.allocEvent),
    freeEvent: regex(options.freeEvent),
  };
}

/** Classifies events and turns their records into sink events. */
export class PerfEvents {
  private readonly byName = new Map<string, PerfEvent>();
  private readonly baseIds = new Map<string, number>();
  /** Per base: UNKNOWN, NO or YES (has return records). */
  private hasReturn = new Int8Array(16).fill(UNKNOWN);
  /** Some allocation returned a pointer: pointers are tracked. */
  tracking = false;
  /** Counts for the warnings written by `finish`. */
  private nested = 0;
  private nestedLine = 0;
  private skippedFrees = 0;
  private skippedFreesLine = 0;
  private untrackedEntries = 0;
  private untrackedLine = 0;
  readonly all: PerfEvent[] = [];

  constructor(
    private readonly ctx: ParseContext,
    private readonly sink: TraceSink,
    private readonly options: PerfEventOptions,
  ) {}

  /** The event called `name` (as printed, without the trailing `:`). */
  event(name: string, line: number): PerfEvent {
    let event = this.byName.get(name);
    if (event === undefined) {
      event = this.classify(name, line);
      this.byName.set(name, event);
      this.all.push(event);
    }
    return event;
  }

  /** Whether any allocation or free event was seen. */
  get sawAllocatorEvents(): boolean {
    return this.all.some((e) => (e.role === Role.alloc || e.role === Role.free) && e.records > 0);
  }

  /** Takes a `perf script --header` event list: functions with a `__return` event have return records. */
  declareEvents(names: readonly string[]): void {
    const events = names.map((n) => this.event(n, 0));
    for (const e of events) {
      if (e.role !== Role.alloc) continue;
      const returns = events.some((r) => r.isReturn && r.base === e.base);
      this.setReturn(e.base, returns ? YES : NO);
    }
  }

  private classify(name: string, line: number): PerfEvent {
    const colon = name.indexOf(':');
    let part = colon >= 0 ? name.slice(colon + 1) : name;
    const isReturn = part.endsWith('__return');
    if (isReturn) part = part.slice(0, -'__return'.length);
    const baseName = colon >= 0 ? `${name.slice(0, colon)}:${part}` : part;
    let role: Role = Role.unknown;
    let fn: Fn = Fn.malloc;
    let op: AllocOp = AllocOp.other;
    const known = C_ALLOCATOR.exec(part);
    if (known) [fn, op] = FN_OF[known[1]];
    else if (CXX_NEW.test(part)) [fn, op] = [Fn.malloc, AllocOp.other];
    else if (CXX_DELETE.test(part)) [fn, op] = [Fn.free, AllocOp.other];
    const recognized = known !== null || CXX_NEW.test(part) || CXX_DELETE.test(part);
    if (this.options.freeEvent?.test(baseName)) {
      role = Role.free;
      fn = Fn.free;
    } else if (this.options.allocEvent?.test(baseName)) {
      role = Role.alloc;
      if (!recognized || fn === Fn.free) [fn, op] = [Fn.malloc, AllocOp.other];
    } else if (recognized) {
      role = fn === Fn.free ? Role.free : Role.alloc;
    } else if (part.startsWith('PERF_RECORD_') || name.startsWith('PERF_RECORD_')) {
      role = Role.sideband;
    }
    let base = this.baseIds.get(baseName);
    if (base === undefined) {
      base = this.baseIds.size;
      this.baseIds.set(baseName, base);
      if (base >= this.hasReturn.length) {
        const grown = new Int8Array(this.hasReturn.length * 2).fill(UNKNOWN);
        grown.set(this.hasReturn);
        this.hasReturn = grown;
      }
    }
    return { name, role, fn, op, isReturn, base, records: 0, firstLine: line, slots: new Int32Array(3).fill(-1), slotNames: [NO_NAME, NO_NAME, NO_NAME], resolved: false, lastCodes: new Int32Array(0), lastStack: -1, lastCount: -1 };
  }

  private setReturn(base: number, value: number): void {
    this.hasReturn[base] = value;
  }

  /**
   * Fills `rec`'s size and pointer from the record's arguments (scanned
   * from the line `bytes`). Returns false (and warns) when the event's size
   * or pointer is missing.
   */
  extract(event: PerfEvent, args: PayloadArgs, bytes: Uint8Array, rec: EventRecord): boolean {
    if (!event.resolved || !this.slotsMatch(event, args, bytes)) this.resolveSlots(event, args, bytes);
    const s = event.slots;
    rec.sizeBytes = NaN;
    rec.hasPtr = false;
    if (event.isReturn) {
      if (event.fn === Fn.posixMemalign || event.role === Role.free) return true; // returns an error code / nothing
      return this.pointer(s[SLOT_PTR], args, rec, event, 'returned pointer');
    }
    switch (event.fn) {
      case Fn.free:
        return this.pointer(s[SLOT_PTR], args, rec, event, 'pointer');
      case Fn.realloc:
        if (!this.pointer(s[SLOT_PTR], args, rec, event, 'pointer')) return false;
        rec.sizeBytes = args.value(s[SLOT_SIZE]);
        break;
      case Fn.reallocarray:
        if (!this.pointer(s[SLOT_PTR], args, rec, event, 'pointer')) return false;
        rec.sizeBytes = args.value(s[SLOT_SIZE]) * args.value(s[SLOT_COUNT]);
        break;
      case Fn.calloc:
        rec.sizeBytes = s[SLOT_COUNT] >= 0 ? args.value(s[SLOT_SIZE]) * args.value(s[SLOT_COUNT]) : args.value(s[SLOT_SIZE]);
        break;
      default:
        rec.sizeBytes = args.value(s[SLOT_SIZE]);
    }
    if (!Number.isSafeInteger(rec.sizeBytes)) {
      const why = s[SLOT_SIZE] < 0 ? 'no size argument' : 'a size that is not a non-negative integer below 2^53';
      this.ctx.warn(`records of "${event.name}" with ${why} were not counted`, rec.line);
      rec.sizeBytes = NaN;
      return false;
    }
    return true;
  }

  private pointer(slot: number, args: PayloadArgs, rec: EventRecord, event: PerfEvent, what: string): boolean {
    if (slot < 0 || args.kind[slot] !== 1) {
      this.ctx.warn(`records of "${event.name}" without a ${what} argument were not counted`, rec.line);
      return false;
    }
    rec.ptrHi = args.hi[slot];
    rec.ptrLo = args.lo[slot];
    rec.hasPtr = true;
    return true;
  }

  private slotsMatch(event: PerfEvent, args: PayloadArgs, bytes: Uint8Array): boolean {
    for (let k = 0; k < 3; k++) {
      const a = event.slots[k];
      if (a >= 0 && (a >= args.count || !args.named(bytes, a, event.slotNames[k]))) return false;
    }
    return true;
  }

  /** Finds each role's argument by name, else by position (see the table at the top). */
  private resolveSlots(event: PerfEvent, args: PayloadArgs, bytes: Uint8Array): void {
    const byNames = (names: readonly string[], skip = -1): number => {
      for (const name of names) {
        const a = args.find(bytes, name);
        if (a >= 0 && a !== skip) return a;
      }
      return -1;
    };
    const sizeNames = this.options.sizeArg ? [this.options.sizeArg, ...SIZE_NAMES] : SIZE_NAMES;
    const s = event.slots;
    s.fill(-1);
    if (event.isReturn) {
      s[SLOT_PTR] = byNames(RET_NAMES);
      if (s[SLOT_PTR] < 0) s[SLOT_PTR] = args.numeric(0);
    } else {
      switch (event.fn) {
        case Fn.free:
          s[SLOT_PTR] = byNames(PTR_NAMES);
          if (s[SLOT_PTR] < 0) s[SLOT_PTR] = byNames(['arg1']);
          if (s[SLOT_PTR] < 0) s[SLOT_PTR] = args.numeric(0);
          break;
        case Fn.realloc:
        case Fn.reallocarray: {
          s[SLOT_PTR] = byNames(PTR_NAMES);
          if (s[SLOT_PTR] < 0) s[SLOT_PTR] = byNames(['arg1']);
          if (s[SLOT_PTR] < 0) s[SLOT_PTR] = args.numeric(0);
          if (event.fn === Fn.realloc) {
            s[SLOT_SIZE] = byNames([...sizeNames, 'arg2'], s[SLOT_PTR]);
            if (s[SLOT_SIZE] < 0) s[SLOT_SIZE] = args.numeric(0, s[SLOT_PTR]);
          } else {
            // reallocarray(ptr, nmemb, size): the product of the other two.
            s[SLOT_COUNT] = args.numeric(0, s[SLOT_PTR]);
            s[SLOT_SIZE] = args.numeric(1, s[SLOT_PTR]);
          }
          break;
        }
        case Fn.calloc: {
          // nmemb × size: when the names are not the usual ones the product
          // of the first two numbers is the same whatever their order.
          s[SLOT_SIZE] = byNames(['elem_size', ...sizeNames.filter((n) => n !== 'n'), 'arg2']);
          s[SLOT_COUNT] = byNames([...COUNT_NAMES, 'n', 'arg1'], s[SLOT_SIZE]);
          if (s[SLOT_SIZE] < 0 || s[SLOT_COUNT] < 0) {
            s[SLOT_SIZE] = args.numeric(0);
            s[SLOT_COUNT] = args.numeric(1);
            if (s[SLOT_COUNT] < 0 && s[SLOT_SIZE] >= 0) {
              this.ctx.warn(`"${event.name}" records carry one argument: it is taken as the whole size`, event.firstLine);
            }
          }
          break;
        }
        case Fn.memalign:
        case Fn.posixMemalign: {
          // memalign(alignment, size), aligned_alloc(alignment, size), posix_memalign(memptr, alignment, size)
          const position = event.fn === Fn.memalign ? 1 : 2;
          s[SLOT_SIZE] = byNames([...sizeNames, event.fn === Fn.memalign ? 'arg2' : 'arg3']);
          if (s[SLOT_SIZE] < 0) s[SLOT_SIZE] = args.numeric(position);
          break;
        }
        default: {
          s[SLOT_SIZE] = byNames([...sizeNames, 'arg1']);
          if (s[SLOT_SIZE] < 0 && args.count === 1) s[SLOT_SIZE] = args.numeric(0);
        }
      }
    }
    for (let k = 0; k < 3; k++) {
      const a = s[k];
      event.slotNames[k] = a >= 0 ? bytes.slice(args.nameStart[a], args.nameEnd[a]) : NO_NAME;
    }
    event.resolved = true;
  }

  /** Takes one record of an allocation or free event (`rec` is not kept: it is copied when needed). */
  handle(rec: EventRecord, calls: ThreadCalls): void {
    const event = rec.event;
    if (event.role === Role.free) {
      if (event.isReturn) return; // free's return carries nothing
      if (calls.open) this.queue(calls, rec);
      else this.free(rec);
      return;
    }
    if (!event.isReturn) {
      if (calls.open) {
        if (calls.open.event.base === event.base) {
          // Same function again while open: the open call will not return.
          this.abandon(calls);
          this.handle(rec, calls);
        } else this.queue(calls, rec);
        return;
      }
      if (this.hasReturn[event.base] === NO) this.untracked(rec);
      else calls.open = calls.openSlot.copyFrom(rec);
      return;
    }
    const open = calls.open;
    if (open && open.event.base === event.base) {
      this.setReturn(event.base, YES);
      this.complete(open, rec);
      if (calls.inner.length > 0) {
        let folded = 0;
        for (const r of calls.inner) if (!r.event.isReturn) folded++;
        if (this.nested === 0) this.nestedLine = calls.inner[0].line;
        this.nested += folded;
        calls.inner = [];
      }
      calls.open = null;
      return;
    }
    if (open) {
      this.queue(calls, rec);
      return;
    }
    this.setReturn(event.base, YES);
    this.ctx.warn('return records without an entry record (recording started inside the call?) were skipped', rec.line);
  }

  private queue(calls: ThreadCalls, rec: EventRecord): void {
    calls.inner.push(new EventRecord().copyFrom(rec));
    if (calls.inner.length > MAX_INNER) this.abandon(calls);
  }

  /** The open call will get no return: it counts as sizes only, and what happened inside it is replayed. */
  private abandon(calls: ThreadCalls): void {
    const open = calls.open;
    if (!open) return;
    calls.open = null;
    const inner = calls.inner;
    calls.inner = [];
    if (this.hasReturn[open.event.base] === YES) {
      this.ctx.warn('allocation entry records without their return record (lost events or a truncated trace) count as allocated, never as live', open.line);
    } else this.setReturn(open.event.base, NO);
    this.untracked(open);
    for (const r of inner) this.handle(r, calls);
  }

  /** An allocation call and its return. */
  private complete(entry: EventRecord, ret: EventRecord): void {
    const event = entry.event;
    const size = entry.sizeBytes;
    if (Number.isNaN(size) || (!ret.hasPtr && event.fn !== Fn.posixMemalign)) return; // warned when read
    // The return record's stack starts at the real caller (see the top of this file).
    const stack = ret.stack !== EMPTY_STACK ? ret.stack : entry.stack;
    const t = ret.timeNs;
    const sink = this.sink;
    if (event.fn === Fn.posixMemalign) {
      // The block is written to *memptr, which the records do not show.
      sink.allocUntracked(size, event.op, stack, entry.thread, t);
      return;
    }
    const newNull = ret.ptrHi === 0 && ret.ptrLo === 0;
    this.tracking = true;
    if (event.fn === Fn.realloc || event.fn === Fn.reallocarray) {
      const oldNull = entry.ptrHi === 0 && entry.ptrLo === 0;
      if (oldNull) {
        if (newNull) this.failed(entry);
        else sink.alloc(ret.ptrHi, ret.ptrLo, size, AllocOp.realloc, stack, entry.thread, t);
      } else if (newNull) {
        if (size === 0) sink.free(entry.ptrHi, entry.ptrLo, stack, entry.thread, t);
        else this.failed(entry); // the old block stays
      } else sink.realloc(entry.ptrHi, entry.ptrLo, ret.ptrHi, ret.ptrLo, size, stack, entry.thread, t);
      return;
    }
    if (newNull) this.failed(entry);
    else sink.alloc(ret.ptrHi, ret.ptrLo, size, event.op, stack, entry.thread, t);
  }

  private failed(entry: EventRecord): void {
    this.ctx.warn('allocations that returned NULL (failed) were not counted', entry.line);
  }

  /** An allocation entry without a return: its size counts, its pointer is unknown. */
  private untracked(entry: EventRecord): void {
    const size = entry.sizeBytes;
    if (Number.isNaN(size)) return; // warned when read
    const event = entry.event;
    const sink = this.sink;
    if (this.untrackedEntries++ === 0) this.untrackedLine = entry.line;
    if (event.fn === Fn.realloc || event.fn === Fn.reallocarray) {
      const oldNull = entry.ptrHi === 0 && entry.ptrLo === 0;
      if (!oldNull && size === 0) {
        this.untrackedEntries--;
        this.free(entry);
        return;
      }
      if (!oldNull && this.tracking) sink.free(entry.ptrHi, entry.ptrLo, entry.stack, entry.thread, entry.timeNs);
    }
    sink.allocUntracked(size, event.op, entry.stack, entry.thread, entry.timeNs);
  }

  private free(rec: EventRecord): void {
    const isNull = rec.ptrHi === 0 && rec.ptrLo === 0;
    if (!isNull && !this.tracking) {
      if (this.skippedFrees++ === 0) this.skippedFreesLine = rec.line;
      return;
    }
    this.sink.free(rec.ptrHi, rec.ptrLo, rec.stack, rec.thread, rec.timeNs);
  }

  /** Closes every open call (end of input) and writes the counted warnings. */
  finish(threads: Iterable<ThreadCalls>, hasStacks: boolean): void {
    for (const calls of threads) while (calls.open) this.abandon(calls);
    const ctx = this.ctx;
    if (this.nested > 0) {
      ctx.warn(
        "allocator calls made inside another allocator call on the same thread (glibc's realloc(NULL, n) calls malloc) were counted as part of the outer call",
        this.nestedLine,
        this.nested,
      );
    }
    if (this.skippedFrees > 0) {
      const why = this.tracking ? 'came before the first allocation with a returned pointer' : 'cannot be matched: no allocation has a returned pointer (no __return records)';
      ctx.warn(`free records ${why}; they were skipped`, this.skippedFreesLine, this.skippedFrees);
    }
    if (this.untrackedEntries > 0 && !this.tracking) {
      ctx.warn(
        `allocations come from entry records without return records: their pointers are unknown (never live)${hasStacks ? ', and with frame-pointer callchains (perf record -g) their stacks lack the allocating function\'s caller' : ''}`,
        this.untrackedLine,
        this.untrackedEntries,
      );
    }
  }
}
