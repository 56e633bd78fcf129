/**
 * `heapscope top`: call sites ranked by a sample type.
 */
import { summedInputs, top, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { commonOptions, filterOptions, inputOptions, nodeCountOption, sampleTypeOption, siteOptions, storeOptions, type FilterOptions, type InputOptions, type SharedOptions, type StoreOptions } from '../options.js';
import { Option } from 'commander';
import { renderTop } from '../render/top.js';
import { readsStore, selectProfiles, selectionName, withStore } from '../store-access.js';

interface TopOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  cum?: boolean;
}

interface TopResult {
  report: TopReport;
  /** What was read: the inputs, or the store's selection. */
  inputs: string[];
}

export const topCommand = command<TopOptions, TopResult>({
  name: 'top',
  summary: 'call sites ranked by a sample type (several inputs are summed)',
  args: [['[input...]', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin); none with --db']],
  options: [
    sampleTypeOption(),
    nodeCountOption('rows'),
    new Option('--cum', 'sort by cumulative value instead of flat'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions(),
  ],
  help: `
flat is the value allocated at the site itself (its frame is the first one
outside the allocator); cum also counts the sites it calls.

Examples:
  $ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope top -t alloc_objects --by stack -n 5 dump.heap
  $ heapscope top --format json --focus 'leak' dump.heap
  $ heapscope top --db fleet.duckdb --where build=ab12 --from 2026-11-02 -n 20`,
  async analyze(run) {
    const o = run.options;
    const ranking = { sampleType: o.sampleType, sort: o.cum ? ('cum' as const) : ('flat' as const), limit: o.nodeCount };
    if (readsStore(run)) {
      return withStore(run, { readOnly: true }, async (store) => {
        const selection = await selectProfiles(store, run);
        return { report: await store.top(selection, { by: o.by, ...ranking }), inputs: [selectionName(store, selection, run)] };
      });
    }
    const loaded = await run.load(run.args);
    run.warnMixed(summedInputs(loaded.map((l) => l.profile.meta)));
    return { report: top(loaded.map((l) => l.profile), { ...siteOptions(o), ...ranking }), inputs: [...run.args] };
  },
  output: {
    kind: 'report',
    json: ({ report }, run) => ({ ...report, warnings: run.warnings }),
    text: ({ report, inputs }) => renderTop(report, inputs),
  },
});
