/**
 * Frames outside every executable mapping, in heap dumps whose maps say where
 * code is (jemalloc, gperftools, Android heap dumps).
 *
 * A frame-pointer unwinder that runs into code built without frame pointers
 * follows whatever the frame-pointer register holds: the "return addresses"
 * it reports from there on are small integers (`0x0`, `0xd`), heap or stack
 * addresses (`0x7ffdfd865b60`), and now and then one that lands in a
 * mapping by chance. No call can return to an address where nothing
 * executable is mapped, so such a frame, and every frame above it, is not
 * part of the real stack: the stack is cut there, the cut frames are counted
 * in a warning, and `keepBadFrames` (`--keep-bad-frames`) keeps them.
 *
 * Where code may be: a mapping with `x` in its permissions, or any mapping
 * of a map section that gives none (Google's cooked maps list code only).
 * A dump without maps (Go, jemalloc on macOS) is left as it is: there is
 * nothing to tell code from garbage with. perf text is cut while it is read
 * (perf-script.ts), from the dso perf printed per frame.
 */
import { int32Column } from '../model/columns.js';
import { PairIndex } from '../model/pair-index.js';
import { EMPTY_STACK, type HeapProfile } from '../model/profile.js';
import type { ParseContext } from './importer.js';
import { counted } from '../plural.js';

/** Whether a mapping with these permissions (`r-xp`, or '' when the dump gives none) may hold code. */
export function mayHoldCode(perms: string): boolean {
  return perms === '' || perms.includes('x');
}

/**
 * The warning about cut frames (one wording for every importer): `frames`
 * frames were cut from `stacks` stacks (records or dump rows).
 */
export function warnCutFrames(ctx: ParseContext, frames: number, stacks: number, line?: number): void {
  if (frames === 0) return;
  ctx.warn(
    `${counted(frames, 'stack frame')} outside every executable mapping (broken frame-pointer unwinding: 0x0, small numbers, heap or stack addresses) ${frames === 1 ? 'was' : 'were'} cut from ${counted(stacks, 'stack')}, with every frame above ${frames === 1 ? 'it' : 'them'}; --keep-bad-frames keeps them`,
    line,
  );
}

/**
 * `profile` with every sample's stack cut at its first frame (from the leaf)
 * outside every executable mapping; the same profile when no frame is, when
 * it has no maps, or when `ctx.options.keepBadFrames`. The stack table is
 * rebuilt from the samples' cut stacks (parents first); locations stay.
 * The count goes to the context's warnings and to `meta.warnings`.
 */
export function cutFramesOutsideCode(profile: HeapProfile, ctx: ParseContext): HeapProfile {
  const { locations, mappings, stacks, samples } = profile;
  if (ctx.options.keepBadFrames === true || mappings.length === 0) return profile;
  const code = mappings.map((m) => mayHoldCode(m.perms));
  const bad = new Uint8Array(locations.length);
  let any = false;
  for (let l = 0; l < locations.length; l++) {
    const m = locations.mapping[l];
    if (m < 0 || !code[m]) bad[l] = 1;
    any ||= bad[l] === 1;
  }
  if (!any) return profile;

  const parent = int32Column(stacks.length);
  const location = int32Column(stacks.length);
  parent.push(-1);
  location.push(-1);
  const nodes = new PairIndex(stacks.length);
  // Per old stack: its cut stack (-1 until needed) and how many frames were cut.
  const kept = new Int32Array(stacks.length).fill(-1);
  kept[EMPTY_STACK] = EMPTY_STACK;
  const cut = new Int32Array(stacks.length);
  let frames = new Int32Array(64);
  const stack = new Int32Array(samples.length);
  let cutFrames = 0;
  let cutStacks = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples.stack[i];
    if (kept[s] < 0) {
      let n = 0;
      for (let t = s; t > EMPTY_STACK; t = stacks.parent[t]) {
        if (n === frames.length) {
          const grown = new Int32Array(n * 2);
          grown.set(frames);
          frames = grown;
        }
        frames[n++] = stacks.location[t];
      }
      let first = 0;
      while (first < n && bad[frames[first]] === 0) first++;
      let node = EMPTY_STACK;
      for (let k = first - 1; k >= 0; k--) {
        const before = nodes.size;
        const id = nodes.intern(node, frames[k]) + 1; // stack ids start after the empty stack
        if (nodes.size > before) {
          parent.push(node);
          location.push(frames[k]);
        }
        node = id;
      }
      kept[s] = node;
      cut[s] = n - first;
    }
    stack[i] = kept[s];
    if (cut[s] > 0) {
      cutFrames += cut[s];
      cutStacks++;
    }
  }
  if (cutFrames === 0) return profile;
  warnCutFrames(ctx, cutFrames, cutStacks);
  return profile.with({
    stacks: { length: parent.length, parent: parent.finish(), location: location.finish() },
    samples: { ...samples, stack },
    meta: { ...profile.meta, warnings: ctx.warningList() },
  });
}
