/**
 * What the fixture workload does (fixtures/src/workload.c, whose header
 * comment documents these numbers): each site's values after phase p.
 * "req" = requested bytes (gperftools, perf, traces); "class" = jemalloc's
 * usable size classes.
 */

/** The workload's odd allocation size, and the jemalloc size class it lands in. */
export const ODD_SIZE = 8225;
export const ODD_SIZE_CLASS = 10240;
/** Odd-size allocations per phase: more than any other single size. */
export const ODD_PER_PHASE = 4000;
/** Churn allocations per phase (16 sizes, 1250 each). */
export const CHURN_PER_PHASE = 20000;
/** Bytes leaked by leak_site per phase. */
export const LEAK_PER_PHASE = 1048576;

export interface SiteValues {
  liveObjects: number;
  liveBytes: number;
  allocObjects: number;
  allocBytes: number;
}

/** Each site's values after phase p, in requested bytes. */
export function workloadSites(p: number): Record<string, SiteValues> {
  return {
    leak_site: { liveObjects: 256 * p, liveBytes: LEAK_PER_PHASE * p, allocObjects: 256 * p, allocBytes: LEAK_PER_PHASE * p },
    steady_site: { liveObjects: 128, liveBytes: 1048576, allocObjects: 128 * p, allocBytes: 1048576 * p },
    churn_site: { liveObjects: 0, liveBytes: 0, allocObjects: CHURN_PER_PHASE * p, allocBytes: 2720000 * p },
    inlined_site: { liveObjects: 1000, liveBytes: 64000, allocObjects: 1000 * p, allocBytes: 64000 * p },
    odd_size_site: { liveObjects: 50 * p, liveBytes: 50 * ODD_SIZE * p, allocObjects: ODD_PER_PHASE * p, allocBytes: ODD_PER_PHASE * ODD_SIZE * p },
    realloc_site: { liveObjects: 1, liveBytes: 65536, allocObjects: 7 * p, allocBytes: 130048 * p },
  };
}
