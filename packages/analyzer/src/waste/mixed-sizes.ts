/**
 * Where a dump row's objects sit when they are not all one size class.
 *
 * A heap dump gives, per stack (and thread), a count of objects and their
 * bytes: only the average size. When the average is itself a size class the
 * row is taken as one class (objects of different sizes that happen to
 * average to a class cannot be told apart). When it is not — certain for
 * jemalloc dumps, which record usable sizes, so every object's size is a
 * class — the row mixes classes, and the dump allows this much: the row's
 * count and bytes are two equations, so two classes a < average < b hold
 * n_a + n_b = count and a·n_a + b·n_b = bytes. Which two is what the dump
 * does not say. The allocator's statistics narrow it: each class's regions
 * in use, less those that rows of one class already account for, is room a
 * mixed row can take. Of all pairs around the average, the one whose split
 * overflows that room the least is chosen; ties go to the closest pair
 * (the two classes adjacent to the average, the choice when nothing else is
 * known).
 */

/** Objects of a row placed in one size class. */
export interface Placement {
  classBytes: number;
  objects: number;
}

/**
 * The split of `count` objects of `bytes` in all over classes a < b:
 * [n_a, n_b], or null when the average is outside [a, b].
 */
export function twoClassSplit(count: number, bytes: number, a: number, b: number): [number, number] | null {
  const avg = bytes / count;
  if (!(a < b) || avg < a || avg > b) return null;
  const nb = (bytes - a * count) / (b - a);
  return [count - nb, nb];
}

/** The largest class below `classBytes` (`classOf` maps a size to its class), or null below the smallest. */
export function classBelow(classBytes: number, classOf: (size: number) => number): number | null {
  for (let size = classBytes - 1; size >= 1; size--) {
    const c = classOf(size);
    if (c < classBytes) return c;
  }
  return null;
}

/**
 * Places a mixed row over the classes in `room` (class → regions still
 * unexplained; `inRoom(class, objects)` converts the row's objects of a class
 * into the regions they take there), choosing the pair around the average
 * that overflows the room least, then the closest. `adjacent` is the pair of
 * classes around the average, always a candidate.
 */
export function spreadOverRoom(
  count: number,
  bytes: number,
  adjacent: [number, number],
  room: ReadonlyMap<number, number>,
  inRoom: (classBytes: number, objects: number) => number,
): Placement[] {
  const avg = bytes / count;
  const candidates = new Set<number>(adjacent);
  for (const [c, free] of room) if (free > 0) candidates.add(c);
  const below = [...candidates].filter((c) => c <= avg);
  const above = [...candidates].filter((c) => c >= avg);
  let best: { a: number; b: number; split: [number, number]; overflow: number; width: number } | null = null;
  for (const a of below) {
    for (const b of above) {
      if (a === b) continue;
      const split = twoClassSplit(count, bytes, a, b);
      if (!split) continue;
      const over = (c: number, n: number) => Math.max(0, inRoom(c, n) - Math.max(0, room.get(c) ?? 0));
      const overflow = over(a, split[0]) + over(b, split[1]);
      const width = b - a;
      if (!best || overflow < best.overflow - 1e-9 || (Math.abs(overflow - best.overflow) <= 1e-9 && width < best.width)) {
        best = { a, b, split, overflow, width };
      }
    }
  }
  if (!best) return [{ classBytes: adjacent[1], objects: count }];
  return [
    { classBytes: best.a, objects: best.split[0] },
    { classBytes: best.b, objects: best.split[1] },
  ].filter((p) => p.objects > 0);
}
