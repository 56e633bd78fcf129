/**
 * `heapscope growth`: growth per call site over a series of dumps, or over
 * windows of one event trace.
 */
import { Option } from 'commander';
import { formatValue, growthOfPoints, memoryOfSeries, memoryOfTrace, type GrowthReport, type MemoryOverTime } from '@heapscope/analyzer';
import { command } from '../command.js';
import { ThresholdError, UsageError } from '../io.js';
import {
  bytesOption,
  commonOptions,
  filterOptions,
  inputOptions,
  nodeCountOption,
  orderOption,
  sampleTypeOption,
  siteOptions,
  storeOptions,
  windowsOption,
  type FilterOptions,
  type InputOptions,
  type SharedOptions,
  type StoreOptions,
} from '../options.js';
import { loadGrowthPoints } from '../load-series.js';
import { renderGrowth } from '../render/growth.js';
import { renderMemoryChart } from '../render/memory-chart.js';
import { renderGrowthSeries } from '../render/growth-series.js';
import { readsStore, selectProfiles, selectionName, withStore } from '../store-access.js';
import { counted } from '@heapscope/parser';

interface GrowthOptions extends InputOptions, FilterOptions, SharedOptions, StoreOptions {
  failOnGrowth?: number;
  plot?: string;
}

/** One series: every site's growth (the threshold looks at all of them) and the rows shown (`-n`). */
interface Series {
  report: GrowthReport;
  shown: GrowthReport;
}

/** Growth over files or a selection, or with --by-label one series per value of the label. */
type GrowthResult = (Series & { how: string; split?: undefined; memory?: MemoryOverTime }) | { how: string; split: { label: string; series: (Series & { value: string; profiles: number })[]; unlabeled: number } };

/** The rows `-n` shows. */
function shownRows(report: GrowthReport, n: number | undefined): Series {
  return { report, shown: n ? { ...report, rows: report.rows.slice(0, n) } : report };
}

export const growthCommand = command<GrowthOptions, GrowthResult>({
  name: 'growth',
  summary: 'growth per call site over a series of dumps of one process (or windows of a trace)',
  args: [['[input...]', 'dumps of one process (or one trace with --windows); none with --db']],
  options: [
    sampleTypeOption(),
    orderOption('order of the series: by dump sequence numbers when every name has one (auto), or as given'),
    windowsOption('for one event trace: split it into N windows and compare the live set at their ends'),
    nodeCountOption('sites'),
    new Option('--plot <file.svg>', 'also write an SVG chart of memory over time: the top sites stacked, with allocations per window'),
    bytesOption('--fail-on-growth <bytes>', 'exit 3 when a site grows by more than BYTES from first to last point (beyond sampling noise)'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
    ...storeOptions({ byLabel: true, bucket: true }),
  ],
  help: `
Sites that grow steadily (a leak) rank first: by least-squares slope times
its fit (r²), ignoring changes within the sampling noise of sampled dumps.

Examples:
  $ heapscope growth fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope growth --fail-on-growth 10MiB before.heap after.heap
  $ heapscope growth --windows 10 record_allocs.txt
  $ heapscope growth --windows 50 --plot memory.svg app.perf.txt
  $ heapscope growth --db fleet.duckdb --where build=ab12 --by-label host --bucket 1h`,
  async analyze(run) {
    const o = run.options;
    const n = o.nodeCount;
    if (readsStore(run)) {
      if (o.plot !== undefined) throw new UsageError('--plot draws memory over time from files or a trace, not from a store (--db)');
      const options = { by: o.by, sampleType: o.sampleType, bucket: o.bucket };
      return withStore(run, { readOnly: true }, async (store) => {
        const selection = await selectProfiles(store, run);
        const how = `${selectionName(store, selection, run)} in time order${o.bucket === undefined ? ', one point per profile' : ', one point per time bucket'}`;
        if (o.byLabel === undefined) return { ...shownRows(await store.growth(selection, options), n), how };
        const split = await store.growthBy(selection, o.byLabel, options);
        if (split.unlabeled > 0) run.warn([`${counted(split.unlabeled, 'profile')} of the selection ${split.unlabeled === 1 ? 'has' : 'have'} no label "${split.label}": left out`]);
        const series = split.series.map((s) => ({ value: s.value, profiles: s.profiles, ...shownRows(s.report, n) }));
        return { how, split: { label: split.label, series, unlabeled: split.unlabeled } };
      });
    }
    const growthOptions = { ...siteOptions(o), sampleType: o.sampleType };
    const { points, how, trace } = await loadGrowthPoints(run, run.args, growthOptions, 'growth');
    const memory = o.plot === undefined ? undefined : trace ? memoryOfTrace(trace, growthOptions) : memoryOfSeries(points, growthOptions);
    return { ...shownRows(growthOfPoints(points, growthOptions), n), how, memory };
  },
  output: {
    kind: 'report',
    json: (r, run) =>
      r.split
        ? { label: r.split.label, series: r.split.series.map((s) => ({ value: s.value, profiles: s.profiles, report: s.shown })), unlabeled: r.split.unlabeled, warnings: run.warnings }
        : { ...r.shown, warnings: run.warnings },
    text: (r, run) => (r.split ? renderGrowthSeries(r.split.label, r.split.series, r.how) : renderGrowth(r.shown, r.how, run.options.by)),
    sideFiles: (r, run) =>
      run.options.plot && !r.split && r.memory
        ? [{ path: run.options.plot, data: renderMemoryChart(r.memory, { title: `memory over time: ${r.how}`, subtitle: r.report.verdict, standalone: true }) }]
        : [],
    gate(r, run) {
      const limit = run.options.failOnGrowth;
      if (limit === undefined) return;
      const series = r.split ? r.split.series.map((s) => ({ where: ` on ${r.split.label}=${s.value}`, report: s.report })) : [{ where: '', report: r.report }];
      const over = series.flatMap(({ where, report }) => report.rows.filter((row) => row.delta > limit && !row.withinNoise).map((row) => `${row.name}${where} (+${formatValue(row.delta, report.unit)})`));
      if (over.length === 0) return;
      throw new ThresholdError(`${counted(over.length, 'site')} grew more than ${formatValue(limit, 'bytes')}: ${over.slice(0, 3).join(', ')}`);
    },
  },
});
