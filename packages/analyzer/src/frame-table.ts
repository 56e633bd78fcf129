/**
 * A profile's locations expanded into frames (one per inlined function,
 * innermost first), as integer columns computed once per profile: what
 * per-stack analyses walk millions of times. Display names, files and
 * modules are interned strings; allocator flags are precomputed.
 */
import type { HeapProfile } from '@heapscope/parser';
import { FrameNames } from './frames.js';
import { isAllocatorFunction, isAllocatorModule } from './allocator-frames.js';

/** Expanded frames of every location of a profile. */
export class FrameTable {
  /** Frames of location `l` are `frameStart[l] .. frameStart[l + 1]`, innermost first. */
  readonly frameStart: Int32Array;
  /** Display name of each frame. */
  readonly name: string[];
  /** Source file of each frame ('' when unknown). */
  readonly file: string[];
  /** Module (mapping basename) of each frame ('' when unknown). */
  readonly module: string[];
  /** Source line of each frame (0 when unknown). */
  readonly line: Int32Array;
  /** 1 when the frame is inlined into the next one (all frames of a location but its last). */
  readonly inlined: Uint8Array;
  /** 1 when the frame is an allocator entry point. */
  readonly isAllocator: Uint8Array;
  /** 1 when the location lies in the allocator's own library. */
  readonly inAllocatorModule: Uint8Array;
  /** Number of frames. */
  readonly length: number;

  constructor(readonly profile: HeapProfile) {
    const names = new FrameNames(profile);
    const n = profile.locations.length;
    this.frameStart = new Int32Array(n + 1);
    this.inAllocatorModule = new Uint8Array(n);
    this.name = [];
    this.file = [];
    this.module = [];
    const allocator: number[] = [];
    const inlined: number[] = [];
    const lines: number[] = [];
    const allocatorByName = new Map<string, boolean>();
    for (let l = 0; l < n; l++) {
      this.frameStart[l] = this.name.length;
      const module = names.module(l);
      this.inAllocatorModule[l] = isAllocatorModule(module) ? 1 : 0;
      for (const f of names.frames(l)) {
        this.name.push(f.name);
        this.file.push(f.file);
        this.module.push(f.module);
        lines.push(f.line > 0 ? f.line : 0);
        let a = allocatorByName.get(f.name);
        if (a === undefined) {
          a = isAllocatorFunction(f.name);
          allocatorByName.set(f.name, a);
        }
        allocator.push(a ? 1 : 0);
        inlined.push(f.inlined ? 1 : 0);
      }
    }
    this.frameStart[n] = this.name.length;
    this.length = this.name.length;
    this.isAllocator = Uint8Array.from(allocator);
    this.inlined = Uint8Array.from(inlined);
    this.line = Int32Array.from(lines);
  }
}
