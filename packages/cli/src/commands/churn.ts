/**
 * `heapscope churn`: per call site, how much is allocated versus how much stays.
 */
import { Option } from 'commander';
import { churn, seriesOrder, seriesWarnings, type ChurnReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, filterOptions, hasStackFilters, inputOptions, nodeCountOption, siteOptions, storeOptions, type FilterOptions, type InputOptions, type SharedOptions, type StoreOptions } from '../options.js';
import { readsStore, selectProfiles, withStore } from '../store-access.js';
import { renderChurn } from '../render/churn.js';

interface ChurnOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  lifetimes?: boolean;
}

interface ChurnResult {
  report: ChurnReport;
  /** How a series of dumps was ordered. */
  seriesBy: 'sequence' | 'given';
}

export const churnCommand = command<ChurnOptions, ChurnResult>({
  name: 'churn',
  summary: 'churn per call site: allocated versus retained, short-lived and temporary allocations, lifetimes',
  args: [['[input...]', 'an event trace, or dumps with cumulative counts (one, or a series of one process); none with --db']],
  options: [
    nodeCountOption('sites'),
    new Option('--lifetimes', "traces: also show each shown site's lifetime histogram (in allocation events)"),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions(),
  ],
  help: `
From traces: allocations, live at the end, "temporary" allocations (freed by
the very next allocation event, as heaptrack counts them), median lifetime
in allocation events, and allocations per second when the trace has
timestamps; below the sites, the lifetimes of every block freed in the
trace (all sites, whatever the filters): in allocation events, in powers of
4, and in time (ns … s) when the trace has timestamps — count, share and a
bar per bucket. --lifetimes adds a table of each shown site's lifetimes
(share of its freed blocks per bucket).

From dumps with cumulative counts (jemalloc prof_accum:true, gperftools):
per site, allocated versus in use at the last dump; for a series of dumps,
also a table of the process per interval (dump i-1 to i; the first from the
process start): allocated (change of the cumulative counts), retained
(change of what is in use) and churned = allocated - retained.

JSON adds "lifetimes" (whole trace: freedObjects, events, timedObjects, ns;
buckets {fromEvents,toEvents|fromNs,toNs,count,share}) and "intervals"
({from,to,allocObjects,allocBytes,retainedObjects,retainedBytes,churnObjects,
churnBytes,liveObjects,liveBytes}); each row has its own "lifetimes" (power-
of-4 buckets) or "intervals". See docs/analyses.md.

With --db: the selected profiles summed, as one dump (allocated versus in
use; no intervals).

Examples:
  $ heapscope churn record_allocs.txt
  $ heapscope churn -n 5 --lifetimes fixtures/perf/workload.fp.perf.txt.gz
  $ heapscope churn fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope churn --by thread --format json app.perf.txt
  $ heapscope churn --db fleet.duckdb --where host=web-1 --from 2026-11-02`,
  async analyze(run) {
    const o = run.options;
    if (readsStore(run)) {
      const report = await withStore(run, { readOnly: true }, async (store) => {
        const selection = await selectProfiles(store, run);
        try {
          return await store.churn(selection, { by: o.by, limit: o.nodeCount });
        } catch (error) {
          // As over files: profiles without cumulative counts are the wrong input for churn (the store's own failures stay theirs).
          if ((error as Error).name === 'StoreError') throw error;
          throw new UsageError((error as Error).message);
        }
      });
      return { report, seriesBy: 'given' };
    }
    const loaded = await run.load(run.args, { needsHeap: 'churn needs allocations and frees', parts: ['siteLifetimes'] });
    const dumps = loaded.every((l) => !l.trace);
    const order = dumps ? seriesOrder(loaded.map((l) => l.profile)) : { indexes: loaded.map((_, i) => i), by: 'given' as const };
    const ordered = order.indexes.map((i) => loaded[i]);
    // A series that may not be one (other processes, counters going backwards) gives wrong intervals: say so.
    if (dumps && ordered.length > 1) run.warn(seriesWarnings(ordered.map((l) => l.profile)));
    let report: ChurnReport;
    try {
      report = churn(ordered, { ...siteOptions(o), limit: o.nodeCount });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (o.lifetimes && report.source !== 'trace') throw new UsageError('--lifetimes needs an event trace: dumps do not record when blocks are freed');
    if (o.lifetimes && report.lifetimes === null) throw new UsageError('--lifetimes: this trace does not record pointers, so frees (and lifetimes) are unknown');
    return { report, seriesBy: order.by };
  },
  output: {
    kind: 'report',
    json: ({ report }, run) => ({ ...report, warnings: run.warnings }),
    text: ({ report, seriesBy }, run) => renderChurn(report, { lifetimes: run.options.lifetimes === true, filtered: hasStackFilters(run.options), seriesBy, by: run.options.by }),
  },
});
