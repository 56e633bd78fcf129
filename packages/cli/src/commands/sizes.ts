/**
 * `heapscope sizes`: hot allocation sizes.
 */
import { Option } from 'commander';
import { ALLOCATOR_NAMES, defaultAllocators, sizes, summedDumpsWarnings, summedInputs, type AllocatorName, type SizeClasses, type SizesReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { wasteInputError } from '../input-errors.js';
import { UsageError } from '../io.js';
import { allocatorsOption, commonOptions, countOption, filterOptions, inputOptions, nodeCountOption, siteOptions, storeOptions, type FilterOptions, type InputOptions, type SharedOptions, type StoreOptions } from '../options.js';
import { readsStore, selectProfiles, withStore } from '../store-access.js';
import { renderSizes } from '../render/sizes.js';

interface SizesOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  buckets: 'exact' | 'pow2' | 'class';
  classes?: SizeClasses;
  sites?: number;
  waste?: boolean;
  allocators?: AllocatorName[];
}

export const sizesCommand = command<SizesOptions, SizesReport>({
  name: 'sizes',
  summary: 'hot allocation sizes: counts, bytes and shares, for the process and per call site',
  args: [['[input...]', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin); none with --db']],
  options: [
    new Option('--buckets <kind>', 'exact sizes, powers of two, or allocator size classes').choices(['exact', 'pow2', 'class']).default('exact'),
    new Option('--classes <allocator>', "size classes for --buckets class (default: the input's allocator: jemalloc for jemalloc dumps, tcmalloc for gperftools, bionic-jemalloc for Android, glibc otherwise)").choices([...ALLOCATOR_NAMES]),
    new Option('--waste', "add the bytes each allocator's size classes lose to rounding the requests (needs requested sizes: not jemalloc dumps)"),
    allocatorsOption('with --waste: comma-separated allocators to compare (default: glibc, jemalloc, tcmalloc and mimalloc, or scudo and bionic-jemalloc for Android inputs)'),
    nodeCountOption('sizes'),
    countOption('--sites <n>', 'with --by: how many sites to break down (default 10)'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions(),
  ],
  help: `
Traces and perf probe records know exact sizes. Heap dumps only know the
average size per stack (jemalloc: in size classes, not requested sizes):
the headline and the size column say so ("avg size"). Dumps are counted by
cumulative allocations when they have them, in-use objects otherwise.
--buckets pow2 and class are listed in size order, with a bar per bucket
(JSON rows stay most frequent first); -n keeps the most frequent buckets.

Examples:
  $ heapscope sizes trace.txt
  $ heapscope sizes --buckets class --classes jemalloc jeprof.*.f.heap
  $ heapscope sizes --buckets pow2 fixtures/gperftools/workload.0005.heap
  $ heapscope sizes --buckets class record_allocs.txt    (bionic's jemalloc classes)
  $ heapscope sizes --by thread --sites 5 app.perf.txt
  $ heapscope sizes --waste --allocators glibc,jemalloc,tcmalloc app.perf.txt
  $ heapscope sizes --db fleet.duckdb --where host=web-1 --buckets pow2`,
  async analyze(run) {
    const o = run.options;
    if (o.allocators && !o.waste) throw new UsageError('--allocators names the allocators of --waste: give --waste too');
    const how = { buckets: o.buckets, classes: o.classes, sites: o.sites, sizesPerSite: o.nodeCount };
    let report: SizesReport;
    if (readsStore(run)) {
      if (o.waste) throw new UsageError('--waste needs the requested sizes of the inputs: not from a store (--db)');
      report = await withStore(run, { readOnly: true }, async (store) => store.sizes(await selectProfiles(store, run), { by: o.by, ...how }));
    } else {
      const loaded = await run.load(run.args, { needsHeap: 'sizes needs allocation sizes', parts: ['sizes'] });
      run.warnMixed(summedInputs(loaded.map((l) => l.profile.meta)));
      run.warn(summedDumpsWarnings(loaded.map((l) => l.profile.meta)));
      const waste = o.waste ? (o.allocators ?? defaultAllocators(loaded[0].profile.meta.format)) : undefined;
      try {
        report = sizes(loaded, { ...siteOptions(o), ...how, waste });
      } catch (error) {
        throw wasteInputError(error, run.args);
      }
    }
    // The breakdown by site only when asked for with --by.
    if (!run.given('by')) report.sites = [];
    return o.nodeCount ? { ...report, rows: report.rows.slice(0, o.nodeCount) } : report;
  },
  output: {
    kind: 'report',
    json: (report, run) => ({ ...report, warnings: run.warnings }),
    text: (report) => renderSizes(report),
  },
});
