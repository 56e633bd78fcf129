/**
 * `heapscope top`: call sites ranked by a sample type.
 */
import { WASTE_SPACE, defaultAllocators, stacklessTraces, summedDumpsWarnings, summedInputs, top, withWasteSampleType, type AllocatorName, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { wasteInputError } from '../input-errors.js';
import { UsageError } from '../io.js';
import {
  allocatorsOption,
  commonOptions,
  filterOptions,
  inputOptions,
  sampleTypeOption,
  siteOptions,
  storeOptions,
  terminalRowCountOption,
  type FilterOptions,
  type InputOptions,
  type SharedOptions,
  type StoreOptions,
} from '../options.js';
import { Option } from 'commander';
import { moreRowsLine, renderTop, renderTopHeader, stacklessHint } from '../render/top.js';
import { readsStore, selectProfiles, selectionName, withStore } from '../store-access.js';

interface TopOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  cum?: boolean;
  allocators?: AllocatorName[];
}

/** Rows `top` shows on a terminal without `-n`: a screenful, the rest one `-n 0` away. */
export const TERMINAL_ROWS = 20;

/** What `top` gives its renderer. */
export interface TopResult {
  report: TopReport;
  /** What was read: the inputs, or the store's selection. */
  inputs: string[];
  /** The rows were cut to {@link TERMINAL_ROWS} because the report goes to a terminal and no `-n` was given. */
  cutForTerminal: boolean;
  /** The inputs are traces without call stacks, grouped by something stacks give: the text is a hint of what to run instead. */
  stackless: boolean;
}

export const topCommand = command<TopOptions, TopResult>({
  name: 'top',
  summary: 'call sites ranked by a sample type (several inputs are summed)',
  args: [['[input...]', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin); none with --db']],
  options: [
    sampleTypeOption('inuse_space (default), inuse_objects, alloc_space, alloc_objects, or waste_space (bytes lost to an allocator\'s size classes)'),
    terminalRowCountOption(TERMINAL_ROWS),
    new Option('--cum', 'sort by cumulative value instead of flat'),
    allocatorsOption('with -t waste_space: the allocator whose size classes to count (default: glibc, or scudo for Android inputs)'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions(),
  ],
  help: `
On a terminal top shows the first ${TERMINAL_ROWS} rows and says how many more
there are; piped, with -o or with --format json it shows all of them.
-n N shows the first N, -n 0 all.

flat is the value allocated at the site itself (its frame is the first one
outside the allocator); cum also counts the sites it calls.

Examples:
  $ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope top -t alloc_objects --by stack -n 5 dump.heap
  $ heapscope top --by line dump.heap
  $ heapscope top --format json --focus 'leak' dump.heap
  $ heapscope top -n 0 dump.heap | less
  $ heapscope top --by thread record_allocs.txt
  $ heapscope top -t waste_space --allocators jemalloc app.perf.txt
  $ heapscope top --db fleet.duckdb --where build=ab12 --from 2026-11-02 -n 20

On sampled dumps, ± is one standard error of flat (JSON: stderr, cumStderr).

A trace that records no call stacks (Android record_allocs) has no call
sites: grouped by function, stack, module or file, top says what to run
instead (--by thread, sizes, peak, churn).`,
  async analyze(run) {
    const o = run.options;
    const waste = o.sampleType === WASTE_SPACE.type;
    if (o.allocators && !waste) throw new UsageError(`--allocators names the allocator of -t ${WASTE_SPACE.type}: give -t ${WASTE_SPACE.type} too`);
    if (o.allocators && o.allocators.length > 1) throw new UsageError(`-t ${WASTE_SPACE.type} ranks by one allocator's waste: --allocators names ${o.allocators.length} (${o.allocators.join(', ')})`);
    // A terminal gets a screenful by default; pipes, files and JSON get every row.
    const cutForTerminal = o.nodeCount === undefined && !run.json && run.output.isTerminal;
    const limit = cutForTerminal ? TERMINAL_ROWS : o.nodeCount || undefined;
    const ranking = { sampleType: o.sampleType, sort: o.cum ? ('cum' as const) : ('flat' as const), limit };
    if (readsStore(run)) {
      if (waste) throw new UsageError(`-t ${WASTE_SPACE.type} needs the requested sizes of the inputs: not from a store (--db)`);
      return withStore(run, { readOnly: true }, async (store) => {
        const selection = await selectProfiles(store, run);
        return { report: await store.top(selection, { by: o.by, ...ranking }), inputs: [selectionName(store, selection, run)], cutForTerminal, stackless: false };
      });
    }
    // Each input's profile (and for the waste, its exact sizes): no per-site lifetimes or peak sites to compute.
    const loaded = await run.load(run.args, { parts: waste ? ['sizes'] : [] });
    run.warnMixed(summedInputs(loaded.map((l) => l.profile.meta)));
    run.warn(summedDumpsWarnings(loaded.map((l) => l.profile.meta)));
    let profiles = loaded.map((l) => l.profile);
    if (waste) {
      // The waste of rounding each site's requests up to the allocator's classes, as a sample type of its own.
      const allocator = o.allocators?.[0] ?? defaultAllocators(loaded[0].profile.meta.format)[0];
      try {
        profiles = loaded.map((l) => withWasteSampleType(l, allocator));
      } catch (error) {
        throw wasteInputError(error, run.args);
      }
    }
    const report = top(profiles, { ...siteOptions(o), ...ranking });
    return { report, inputs: [...run.args], cutForTerminal, stackless: o.by !== 'thread' && stacklessTraces(loaded) };
  },
  output: {
    kind: 'report',
    // The JSON is the analyzer's report (plus warnings), the same as a library user's: the hint is the text's advice.
    json: ({ report }, run) => ({ ...report, warnings: run.warnings }),
    text: ({ report, inputs, cutForTerminal, stackless }) =>
      stackless ? `${renderTopHeader(report, inputs)}${stacklessHint(inputs)}` : renderTop(report, inputs) + (cutForTerminal ? moreRowsLine(report) : ''),
  },
});
