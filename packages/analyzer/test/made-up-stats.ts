/** Made-up allocator statistics, for the edges of diagnose's method that the fixture runs do not reach. */
import type { AllocatorStats, StatsSnapshot } from '@heapscope/parser';

export const MiB = 1024 * 1024;

/** A made-up dump. */
export function snap(index: number, f: Partial<StatsSnapshot>): StatsSnapshot {
  return { index, line: index + 1, arenas: [], sizeClasses: [], raw: {}, settings: {}, ...f };
}

/** A made-up file of dumps, one per entry of `points`. */
export function series(allocator: AllocatorStats['allocator'], points: Partial<StatsSnapshot>[], format = `${allocator}-stats`, file = 'stats.txt'): AllocatorStats {
  return { format, allocator, file, snapshots: points.map((p, i) => snap(i, p)), warnings: [] };
}
