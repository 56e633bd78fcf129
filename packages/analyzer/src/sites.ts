/**
 * Call sites and grouping: turns each sample's stack into the keys an
 * analysis aggregates on (function, whole stack, module, file or thread),
 * after dropping allocator frames at the leaf and applying the
 * focus/ignore/hide/thread filters.
 *
 * A sample's key path is leaf first with repeats removed, so `path[0]` is
 * its flat (call-site) key and every key in it gets the sample once in cum —
 * recursion is not double counted (jeprof and pprof do the same).
 */
import type { HeapProfile } from '@heapscope/parser';
import { FrameNames, type DisplayFrame } from './frames.js';
import { isAllocatorFunction, isAllocatorModule } from './allocator-frames.js';

/** What rows are made of. */
export type GroupBy = 'function' | 'stack' | 'module' | 'file' | 'thread';

export const GROUP_BY: readonly GroupBy[] = ['function', 'stack', 'module', 'file', 'thread'];

/** Filters shared by every analysis (`--focus`, `--ignore`, `--hide`, `--thread`). */
export interface SiteFilters {
  /** Keep only samples with a frame matching this (function, file or module). */
  focus?: RegExp;
  /** Drop samples with a frame matching this. */
  ignore?: RegExp;
  /** Remove matching frames from stacks (the samples stay). */
  hide?: RegExp;
  /** Keep only samples of threads whose key or name matches. */
  thread?: RegExp;
  /** Keep allocator frames at the leaf (default: drop them, as jeprof does). */
  keepAllocatorFrames?: boolean;
}

export interface SiteOptions extends SiteFilters {
  by?: GroupBy;
}

/** Name of the row for samples whose stack is empty after stripping. */
export const NO_STACK = '(no stack)';
/** Name of the row for samples without a thread. */
export const NO_THREAD = '(no thread)';
/** Separator of frames in `--by stack` names: leaf first. */
export const STACK_SEPARATOR = ' < ';

const EMPTY = new Int32Array(0);

/** Key paths of a profile's samples under one grouping and set of filters. */
export class SiteIndex {
  /** Display name of each key. */
  readonly names: string[] = [];
  private readonly keyOf = new Map<string, number>();
  private readonly byStack = new Map<number, Int32Array | null>();
  private readonly threadOk: boolean[];
  readonly frameNames: FrameNames;
  readonly by: GroupBy;

  constructor(
    readonly profile: HeapProfile,
    private readonly options: SiteOptions = {},
  ) {
    this.by = options.by ?? 'function';
    this.frameNames = new FrameNames(profile);
    this.threadOk = profile.threads.map((t) => !options.thread || options.thread.test(t.key) || options.thread.test(t.name));
  }

  /** The key id of a name (shared ids across `key()` calls). */
  key(name: string): number {
    let id = this.keyOf.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.keyOf.set(name, id);
    }
    return id;
  }

  /**
   * Keys of sample `i`, leaf (call site) first, without repeats; null when a
   * filter drops the sample.
   */
  sampleKeys(i: number): Int32Array | null {
    const { samples, threads } = this.profile;
    const thread = samples.thread[i];
    if (this.options.thread && (thread < 0 || !this.threadOk[thread])) return null;
    if (this.by === 'thread') {
      const path = this.stackPath(samples.stack[i]); // filters still apply
      if (path === null) return null;
      const t = thread >= 0 ? threads[thread] : undefined;
      return Int32Array.of(this.key(t ? threadLabel(t.key, t.name) : NO_THREAD));
    }
    return this.stackPath(samples.stack[i]);
  }

  /** The call-site frames of a stack (leaf first) after stripping and hiding. */
  siteFrames(stack: number): DisplayFrame[] {
    const { frameNames } = this;
    const locs = this.profile.stackLocations(stack);
    let first = 0;
    if (!this.options.keepAllocatorFrames) {
      while (first < locs.length && isAllocatorModule(frameNames.module(locs[first]))) first++;
    }
    const frames: DisplayFrame[] = [];
    for (let k = first; k < locs.length; k++) frames.push(...frameNames.frames(locs[k]));
    // As jeprof: drop everything up to and including the outermost allocator
    // entry point. jeprof sees one name per address; here inlined frames are
    // frames too, so an allocator wrapper inlined into its caller (ld.so's
    // `calloc` in `allocate_dtv`) is dropped and its caller is the site.
    let cut = 0;
    if (!this.options.keepAllocatorFrames) {
      for (let k = frames.length - 1; k >= 0; k--) {
        if (isAllocatorFunction(frames[k].name)) {
          cut = k + 1;
          break;
        }
      }
    }
    const hide = this.options.hide;
    const out = frames.slice(cut);
    return hide ? out.filter((f) => !matches(hide, f)) : out;
  }

  private stackPath(stack: number): Int32Array | null {
    const known = this.byStack.get(stack);
    if (known !== undefined) return known;
    const path = this.computePath(stack);
    this.byStack.set(stack, path);
    return path;
  }

  private computePath(stack: number): Int32Array | null {
    const frames = this.siteFrames(stack);
    const { focus, ignore } = this.options;
    if (focus && !frames.some((f) => matches(focus, f))) return null;
    if (ignore && frames.some((f) => matches(ignore, f))) return null;
    if (this.by === 'thread') return EMPTY;
    if (frames.length === 0) return Int32Array.of(this.key(NO_STACK));
    if (this.by === 'stack') return Int32Array.of(this.key(frames.map((f) => f.name).join(STACK_SEPARATOR)));
    const keys: number[] = [];
    for (const f of frames) {
      const name = this.by === 'function' ? f.name : this.by === 'module' ? f.module || '(unknown module)' : f.file || `(unknown file${f.module ? ` in ${f.module}` : ''})`;
      const id = this.key(name);
      if (!keys.includes(id)) keys.push(id);
    }
    return Int32Array.from(keys);
  }
}

function matches(re: RegExp, f: DisplayFrame): boolean {
  return re.test(f.name) || (f.file !== '' && re.test(f.file)) || (f.module !== '' && re.test(f.module));
}

/** `name (key)` for a named thread, the key alone otherwise. */
export function threadLabel(key: string, name: string): string {
  return name ? `${name} (${key})` : key;
}
