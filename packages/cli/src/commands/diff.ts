/**
 * `heapscope diff <base> <input>`: signed per-site difference.
 */
import { Option } from 'commander';
import { diffTop, seriesWarnings, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, filterOptions, inputOptions, nodeCountOption, sampleTypeOption, siteOptions, storeOptions, type FilterOptions, type InputOptions, type SharedOptions, type StoreOptions } from '../options.js';
import { readsStore, selectProfiles, selectionName, withStore } from '../store-access.js';
import { sameFileWarnings } from '../load-series.js';
import { renderTop } from '../render/top.js';

interface DiffOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  cum?: boolean;
}

interface DiffResult {
  report: TopReport;
  /** What was compared: the two inputs, or the store's two selections. */
  base: string;
  input: string;
}

export const diffCommand = command<DiffOptions, DiffResult>({
  name: 'diff',
  summary: 'signed per-site difference: input minus base',
  args: [
    ['[base]', 'the earlier dump (with --db: none, --base-where selects the base)'],
    ['[input]', 'the later dump (with --db: none, --where selects it)'],
  ],
  options: [
    sampleTypeOption(),
    nodeCountOption('rows'),
    new Option('--cum', 'sort by cumulative difference instead of flat'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions({ baseWhere: true }),
  ],
  help: `
Rows are ranked by the size of their change; growth is positive.

Examples:
  $ heapscope diff jeprof.1.0.m0.heap jeprof.1.4.m4.heap
  $ heapscope diff --format json -t inuse_objects before.heap after.heap
  $ heapscope diff --db fleet.duckdb --base-where build=ab12 --where build=cd34`,
  async analyze(run) {
    const o = run.options;
    const ranking = { sampleType: o.sampleType, sort: o.cum ? ('cum' as const) : ('flat' as const), limit: o.nodeCount };
    if (readsStore(run)) {
      // Without --base-where the base would be the whole store, which is rarely what is meant.
      if (o.baseWhere === undefined) throw new UsageError('diff --db compares two selections: give --base-where KEY=VALUE (and --where KEY=VALUE)');
      const baseWhere = o.baseWhere;
      return withStore(run, { readOnly: true }, async (store) => {
        const base = await selectProfiles(store, run, baseWhere);
        const input = await selectProfiles(store, run);
        const report = await store.diff(base, input, { by: o.by, ...ranking });
        return { report, base: selectionName(store, base, run, baseWhere), input: selectionName(store, input, run) };
      });
    }
    const [base, input] = run.args;
    if (input === undefined) throw new UsageError(base === undefined ? 'no input given: give <base> <input>, or --db' : 'diff needs two inputs: <base> <input>');
    if (base === '-' && input === '-') throw new UsageError('stdin (-) can be given only once');
    // Profiles only: no per-site lifetimes, exact sizes or peak sites to compute.
    const [b, i] = await run.load([base, input], { parts: [] });
    run.warn([...sameFileWarnings([base, input]), ...seriesWarnings([b.profile, i.profile], 'pair')]);
    return { report: diffTop([b.profile], [i.profile], { ...siteOptions(o), ...ranking }), base, input };
  },
  output: {
    kind: 'report',
    json: ({ report, base, input }, run) => ({ ...report, base, input, warnings: run.warnings }),
    text: ({ report, base, input }) => renderTop(report, [`${input} − ${base}`]),
  },
});
