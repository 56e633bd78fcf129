/**
 * Builds a {@link HeapProfile}: importers intern strings, functions,
 * locations and stacks, and append samples as columns; `finish()` freezes
 * the result and attaches each location to the mapping that contains it.
 */
import { float64Column, int32Column, uint32Column, type GrowableColumn } from './columns.js';
import { PairIndex } from './pair-index.js';
import { StringTable } from './string-table.js';
import { parseHex, type AddressParts } from './address.js';
import {
  EMPTY_STACK,
  HeapProfile,
  type LabelColumn,
  type Mapping,
  type ProfileMeta,
  type Thread,
  type ValueType,
} from './profile.js';

/** Thrown when a profile exceeds a configured size limit (see `maxStacks`). */
export class LimitExceededError extends Error {
  override readonly name = 'LimitExceededError';
}

/**
 * Default cap on distinct stack nodes: far above real dumps (the 32k-stack
 * benchmark dump has 328k), and low enough that the worst case — every
 * node its own call site, about 220 bytes per node to read a dump and 770 to
 * rank its sites (docs/reliability.md) — stays within a few GiB.
 */
export const DEFAULT_MAX_STACKS = 5_000_000;

/**
 * Default cap on samples: distinct ones in text formats (records with the
 * same stack, thread and labels are one sample, about 80 bytes in the
 * builder), every sample of a pprof file (all decoded at once, about 300
 * bytes each: 4 M samples measured at 1.4 GB of RSS). Far above real dumps,
 * which have one sample per stack and thread.
 */
export const DEFAULT_MAX_SAMPLES = 5_000_000;

export interface ProfileBuilderOptions {
  sampleTypes: readonly ValueType[];
  defaultSampleType?: string;
  /** Numeric label columns every sample carries (NaN = absent). */
  labels?: readonly { key: string; unit: string }[];
  meta: ProfileMeta;
  /** Distinct stacks allowed before {@link LimitExceededError}. */
  maxStacks?: number;
  /** Distinct samples allowed before {@link LimitExceededError}. */
  maxSamples?: number;
  /**
   * Expected number of distinct stack nodes, when the importer can estimate
   * it (from the input's size): the stack tables are sized once instead of
   * doubling and rehashing as they fill.
   */
  expectedStacks?: number;
  /**
   * Whether `finish()` gives locations added without a mapping the mapping
   * that contains their address (default true: importers add addresses
   * before or without knowing the maps). A builder whose locations already
   * carry their mappings (a merge of profiles) turns it off: there an
   * address outside every mapping of its own profile stays unmapped, not
   * attached to another profile's mapping that happens to cover it.
   */
  locateUnmapped?: boolean;
}

type Int32Col = GrowableColumn<Int32Array>;
type Float64Col = GrowableColumn<Float64Array>;

/** Mutable builder for one profile. Not reusable after `finish()`. */
export class ProfileBuilder {
  readonly strings = new StringTable();
  readonly meta: ProfileMeta;
  readonly sampleTypes: readonly ValueType[];
  private readonly defaultSampleType: string;
  private readonly maxStacks: number;
  private readonly maxSamples: number;
  private readonly locateUnmapped: boolean;

  // functions
  private readonly functionIndex = new PairIndex(256);
  private readonly fnName: Int32Col = int32Column();
  private readonly fnSystemName: Int32Col = int32Column();
  private readonly fnFile: Int32Col = int32Column();
  private readonly fnStartLine: Int32Col = int32Column();

  // locations
  private readonly locHi = uint32Column(1024);
  private readonly locLo = uint32Column(1024);
  private readonly locMapping: Int32Col = int32Column(1024);
  private readonly locLineStart: Int32Col = int32Column(1024);
  private readonly lineFunction: Int32Col = int32Column(1024);
  private readonly lineNumber: Int32Col = int32Column(1024);
  private readonly addressIndex = new PairIndex(4096);
  private readonly locationOfAddress: Int32Col = int32Column(4096);
  private readonly scratch: AddressParts = { hi: 0, lo: 0 };

  // stacks
  /** (parent, location) → node, for the children of nodes with three or more. */
  private readonly stackIndex = new PairIndex(4096);
  private readonly stackParent: Int32Col;
  /** Per stack node, its number of children. */
  private readonly childCount: Int32Col;
  private readonly stackLocation: Int32Col;
  /**
   * Per stack node, four ints: the location and id of its most recent child,
   * then of the one before (-1: none). Side by side, so a lookup reads one
   * cache line: a large dump's tree does not fit in the CPU's caches.
   */
  private readonly recent: Int32Col;

  // samples
  private readonly sampleStack: Int32Col;
  private readonly sampleThread: Int32Col;
  private readonly sampleValues: Float64Col[];
  private readonly labelKeys: readonly { key: string; unit: string }[];
  private readonly labelValues: Float64Col[];
  /** (stack, thread + 1) → the first sample with that stack and thread. */
  private readonly sampleIndex: PairIndex;

  private readonly mappings: Mapping[] = [];
  private readonly threads: Thread[] = [];
  private readonly threadByKey = new Map<string, number>();

  constructor(options: ProfileBuilderOptions) {
    this.meta = options.meta;
    this.sampleTypes = options.sampleTypes;
    this.defaultSampleType = options.defaultSampleType ?? options.sampleTypes[options.sampleTypes.length - 1]?.type ?? '';
    this.maxStacks = options.maxStacks ?? DEFAULT_MAX_STACKS;
    this.maxSamples = options.maxSamples ?? DEFAULT_MAX_SAMPLES;
    this.locateUnmapped = options.locateUnmapped !== false;
    const stacks = Math.min(Math.max(4096, Math.ceil(options.expectedStacks ?? 0)), 1 << 24);
    this.stackParent = int32Column(stacks);
    this.childCount = int32Column(stacks);
    this.stackLocation = int32Column(stacks);
    this.recent = int32Column(stacks * 4);
    // A dump's sample is a stack line of many frames and its counts, but
    // most of its frames are nodes other stacks share: about one sample per
    // eight new nodes (see expectedStacks). Presized, the sample columns and
    // index are not copied and rehashed while they fill: those one-off loops
    // run before V8 has optimized them.
    const samples = Math.max(4096, Math.ceil(stacks / 8));
    this.sampleStack = int32Column(samples);
    this.sampleThread = int32Column(samples);
    this.sampleIndex = new PairIndex(samples);
    this.sampleValues = options.sampleTypes.map(() => float64Column(samples));
    this.labelKeys = options.labels ?? [];
    this.labelValues = this.labelKeys.map(() => float64Column(samples));
    // Stack 0: the empty stack.
    this.appendStackNode(-1, -1);
    this.locLineStart.push(0);
  }

  /** Number of samples appended so far. */
  get sampleCount(): number {
    return this.sampleStack.length;
  }

  /** Number of distinct stacks so far (including the empty stack). */
  get stackCount(): number {
    return this.stackParent.length;
  }

  /** Interns a function by (name, file); `systemName` defaults to `name`. */
  internFunction(name: string, fileName = '', systemName = name, startLine = 0): number {
    const nameId = this.strings.intern(name);
    const fileId = this.strings.intern(fileName);
    const before = this.functionIndex.size;
    const index = this.functionIndex.intern(nameId, fileId);
    if (index === before) {
      this.fnName.push(nameId);
      this.fnSystemName.push(this.strings.intern(systemName));
      this.fnFile.push(fileId);
      this.fnStartLine.push(startLine);
    }
    return index;
  }

  /**
   * Adds a location. `lines` are (function, line) pairs, innermost first;
   * `mapping` -1 lets `finish()` find the mapping by address.
   */
  addLocation(hi: number, lo: number, mapping = -1, lines: readonly (readonly [number, number])[] = []): number {
    for (const [fn, line] of lines) {
      this.lineFunction.push(fn);
      this.lineNumber.push(line);
    }
    this.locHi.push(hi);
    this.locLo.push(lo);
    this.locMapping.push(mapping);
    this.locLineStart.push(this.lineFunction.length);
    return this.locHi.length - 1;
  }

  /** The location for an address (interned by value); mapping found at `finish()`. */
  locationForAddress(hi: number, lo: number): number {
    const before = this.addressIndex.size;
    // PairIndex keys are int32: `| 0` maps each uint32 half one to one.
    const id = this.addressIndex.intern(hi | 0, lo | 0);
    if (id === before) this.locationOfAddress.push(this.addLocation(hi, lo));
    return this.locationOfAddress.data[id];
  }

  /**
   * The location for a hex address token (`text[start, end)`, no `0x`),
   * interned by value: `00400f00` and `400f00` are the same location.
   * Returns -1 when the token is not hexadecimal.
   */
  locationForHex(text: string, start = 0, end = text.length): number {
    const parts = this.scratch;
    if (!parseHex(text, start, end, parts)) return -1;
    return this.locationForAddress(parts.hi, parts.lo);
  }

  /** Interns the stack (parent, location) and returns its id. */
  internStackNode(parent: number, location: number): number {
    // Walks from the root mostly revisit a child they took recently: each
    // node remembers its last two children (most recent first), which skips
    // the hash lookup for most frames. A node with at most two children has
    // them all in those two slots, so only the children of nodes with three
    // or more are hashed: a dump whose stacks branch in two (recursion, most
    // of a call tree's depth) builds its tree without touching the hash
    // table, whose cache misses dominate interning otherwise.
    const recent = this.recent.data;
    const r = parent * 4;
    if (recent[r] === location) return recent[r + 1];
    if (recent[r + 2] === location) {
      const id = recent[r + 3];
      recent[r + 2] = recent[r];
      recent[r + 3] = recent[r + 1];
      recent[r] = location;
      recent[r + 1] = id;
      return id;
    }
    const children = this.childCount.data[parent];
    let id = children > 2 ? this.stackIndex.get(parent, location) : -1;
    if (id < 0) {
      if (children === 2) {
        // A third child: the two in the recent slots go into the hash too.
        this.stackIndex.put(parent, recent[r], recent[r + 1]);
        this.stackIndex.put(parent, recent[r + 2], recent[r + 3]);
      }
      id = this.addStackNode(parent, location);
      this.childCount.data[parent] = children + 1;
      if (children >= 2) this.stackIndex.put(parent, location, id);
    }
    // addStackNode may have grown the column.
    const slots = this.recent.data;
    slots[r + 2] = slots[r];
    slots[r + 3] = slots[r + 1];
    slots[r] = location;
    slots[r + 1] = id;
    return id;
  }

  /** Appends the stack node (parent, location), which must be new. */
  private addStackNode(parent: number, location: number): number {
    const id = this.stackParent.length;
    if (id >= this.maxStacks) {
      throw new LimitExceededError(`more than ${this.maxStacks} distinct stacks (raise the limit with --max-stacks)`);
    }
    this.appendStackNode(parent, location);
    return id;
  }

  /**
   * Appends a node's parent and location, no children, and two empty
   * "recent child" slots. Stored here rather than through `push`: one
   * capacity check for the four columns, which grow together, and stores
   * that each see one kind of typed array (`push`, shared by every column,
   * sees all kinds) — this runs once per node, often before V8 has
   * optimized it.
   */
  private appendStackNode(parent: number, location: number): void {
    const { stackParent, stackLocation, childCount, recent } = this;
    const id = stackParent.length;
    const next = id + 1;
    if (next > stackParent.data.length || next * 4 > recent.data.length) {
      stackParent.reserve(next);
      stackLocation.reserve(next);
      childCount.reserve(next);
      recent.reserve(next * 4);
    }
    stackParent.data[id] = parent;
    stackParent.length = next;
    stackLocation.data[id] = location;
    stackLocation.length = next;
    childCount.data[id] = 0;
    childCount.length = next;
    const slots = recent.data;
    const r = id * 4;
    slots[r] = -1;
    slots[r + 1] = -1;
    slots[r + 2] = -1;
    slots[r + 3] = -1;
    recent.length = r + 4;
  }

  /** Interns a stack given its locations leaf first (`locations[0]` is the leaf). */
  internStack(locations: ArrayLike<number>, count = locations.length): number {
    let stack = EMPTY_STACK;
    for (let i = count - 1; i >= 0; i--) stack = this.internStackNode(stack, locations[i]);
    return stack;
  }

  /** The thread index for a producer's key, adding it when new; a later non-empty name wins. */
  thread(key: string, name = ''): number {
    let index = this.threadByKey.get(key);
    if (index === undefined) {
      index = this.threads.length;
      this.threads.push({ key, name });
      this.threadByKey.set(key, index);
    } else if (name !== '' && this.threads[index].name === '') {
      this.threads[index] = { key, name };
    }
    return index;
  }

  /** Gives thread `index` its latest name (perf: a thread's comm changes at exec or prctl(PR_SET_NAME)). */
  renameThread(index: number, name: string): void {
    this.threads[index] = { key: this.threads[index].key, name };
  }

  addMapping(mapping: Mapping): number {
    this.mappings.push(mapping);
    return this.mappings.length - 1;
  }

  /**
   * Adds a sample; `values` in `sampleTypes` order, `labels` in label order.
   * A sample with the stack, thread and labels of an earlier one (the first
   * such, or the last sample added) is added to it instead of appended: a
   * dump of a billion equal records takes the memory of one. Returns the
   * sample's index.
   */
  addSample(stack: number, thread: number, values: ArrayLike<number>, labels?: ArrayLike<number>): number {
    const n = this.sampleStack.length;
    const first = this.sampleIndex.put(stack, thread + 1, n);
    if (first !== n) {
      if (this.sameLabels(first, labels)) return this.addToSample(first, values);
      const last = n - 1;
      if (this.sampleStack.data[last] === stack && this.sampleThread.data[last] === thread && this.sameLabels(last, labels)) return this.addToSample(last, values);
    }
    if (n >= this.maxSamples) {
      throw new LimitExceededError(`more than ${this.maxSamples} distinct samples (raise the limit with --max-samples)`);
    }
    // Stored here rather than through `push`: each store below sees one
    // kind of typed array, where `push`, shared by every column, sees all.
    const next = n + 1;
    const { sampleStack, sampleThread, sampleValues, labelValues } = this;
    sampleStack.reserve(next);
    sampleStack.data[n] = stack;
    sampleStack.length = next;
    sampleThread.reserve(next);
    sampleThread.data[n] = thread;
    sampleThread.length = next;
    for (let i = 0; i < sampleValues.length; i++) {
      const column = sampleValues[i];
      column.reserve(next);
      column.data[n] = values[i];
      column.length = next;
    }
    for (let i = 0; i < labelValues.length; i++) {
      const column = labelValues[i];
      column.reserve(next);
      column.data[n] = labels ? labels[i] : NaN;
      column.length = next;
    }
    return n;
  }

  /** Whether sample `i` has these labels (absent labels are NaN; NaN equals NaN here). */
  private sameLabels(i: number, labels: ArrayLike<number> | undefined): boolean {
    const columns = this.labelValues;
    for (let k = 0; k < columns.length; k++) {
      const have = columns[k].data[i];
      const want = labels ? labels[k] : NaN;
      if (have !== want && !(Number.isNaN(have) && Number.isNaN(want))) return false;
    }
    return true;
  }

  /**
   * Adds `values` to sample `i`'s (an index {@link addSample} returned), for
   * importers that know which earlier record a record equals; returns `i`.
   */
  addToSample(i: number, values: ArrayLike<number>): number {
    const columns = this.sampleValues;
    for (let k = 0; k < columns.length; k++) columns[k].data[i] += values[k];
    return i;
  }

  /** Freezes the profile. */
  finish(): HeapProfile {
    const locations = {
      length: this.locHi.length,
      addressHi: this.locHi.finish(),
      addressLo: this.locLo.finish(),
      mapping: this.locMapping.finish(),
      lineStart: this.locLineStart.finish(),
      lineFunction: this.lineFunction.finish(),
      lineNumber: this.lineNumber.finish(),
    };
    if (this.locateUnmapped) assignMappings(locations.addressHi, locations.addressLo, locations.mapping, this.mappings);
    const labels: LabelColumn[] = this.labelKeys.map((k, i) => ({ ...k, values: this.labelValues[i].finish() }));
    return new HeapProfile({
      strings: this.strings.strings,
      functions: {
        length: this.fnName.length,
        name: this.fnName.finish(),
        systemName: this.fnSystemName.finish(),
        fileName: this.fnFile.finish(),
        startLine: this.fnStartLine.finish(),
      },
      locations,
      mappings: this.mappings,
      stacks: { length: this.stackParent.length, parent: this.stackParent.finish(), location: this.stackLocation.finish() },
      threads: this.threads,
      sampleTypes: this.sampleTypes,
      defaultSampleType: this.defaultSampleType,
      samples: {
        length: this.sampleStack.length,
        stack: this.sampleStack.finish(),
        thread: this.sampleThread.finish(),
        values: this.sampleValues.map((c) => c.finish()),
        labels,
      },
      meta: this.meta,
    });
  }
}

/**
 * Sets `mapping[l]` for every location left at -1 to the mapping whose
 * [start, limit) contains its address. When mappings overlap (a raw /proc map
 * never does, but merged inputs can), the one that starts last wins.
 */
function assignMappings(hi: Uint32Array, lo: Uint32Array, mapping: Int32Array, mappings: readonly Mapping[]): void {
  if (mappings.length === 0) return;
  // Compare in two float halves: exact, and avoids a BigInt per location.
  const order = mappings.map((m, i) => ({
    i,
    startHi: Number(m.start >> 32n),
    startLo: Number(m.start & 0xffffffffn),
    limitHi: Number(m.limit >> 32n),
    limitLo: Number(m.limit & 0xffffffffn),
  }));
  order.sort((a, b) => a.startHi - b.startHi || a.startLo - b.startLo);
  for (let l = 0; l < mapping.length; l++) {
    if (mapping[l] !== -1) continue;
    const h = hi[l];
    const w = lo[l];
    // Binary search: last mapping with start <= address.
    let low = 0;
    let high = order.length - 1;
    let found = -1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const m = order[mid];
      if (m.startHi < h || (m.startHi === h && m.startLo <= w)) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    if (found < 0) continue;
    const m = order[found];
    if (h < m.limitHi || (h === m.limitHi && w < m.limitLo)) mapping[l] = m.i;
  }
}
