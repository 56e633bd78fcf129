/**
 * `heapscope report -o report.html <input...>`: one self-contained HTML page
 * of everything heapscope can say about the inputs — a summary with the
 * analyses' verdicts, memory over time per top site, the top, growth, churn
 * and sizes tables, and the flamegraph (diff colours for a base and a later
 * dump, growth colours for a series). Each analysis is the analyzer's; this
 * entry only chooses which ones the inputs allow.
 */
import {
  DiagnoseError,
  churn,
  commonSampleType,
  diagnose,
  diffFlame,
  formatValue,
  growthFlame,
  growthOfPoints,
  growthPoint,
  inputInfo,
  memoryOfSeries,
  memoryOfTrace,
  seriesOrder,
  seriesWarnings,
  siteFragmentation,
  sizeClassWaste,
  sizes,
  top,
  type LoadedInput,
  type SiteOptions,
} from '@heapscope/analyzer';
import type { AllocatorStats, HeapProfile } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import {
  commonOptions,
  countOption,
  filterOptions,
  inputOptions,
  nodeCountOption,
  orderOption,
  sampleTypeOption,
  siteOptions,
  titleOption,
  windowsOption,
  type FilterOptions,
  type InputOptions,
  type SharedOptions,
} from '../options.js';
import type { Run } from '../run.js';
import { sameFileWarnings } from '../load-series.js';
import { inputsLabel } from '../labels.js';
import { plainFlameData, warnNegative } from '../flame-words.js';
import { describeSampleType } from '../render/speedscope.js';
import { renderReportPage, type Missing, type ReportInput, type ReportPage, type ReportWaste } from '../render/report-page.js';
import type { FlameData } from '../render/flame-data.js';

interface ReportOptions extends InputOptions, FilterOptions, SharedOptions {
  title?: string;
  windows?: number;
  sites?: number;
}

/** Windows of an event trace, unless `--windows` says: enough points for a smooth curve, few enough to stay small. */
const TRACE_WINDOWS = 60;
/** Rows per table, unless `-n` says. */
const TABLE_ROWS = 50;

export const reportCommand = command<ReportOptions, ReportPage>({
  name: 'report',
  summary: 'one self-contained HTML page: summary, memory over time, top, growth, churn, sizes, the flamegraph and waste',
  args: [['<input...>', 'one heap dump, a series of dumps of one process, or one event trace; with allocator statistics for a diagnosis']],
  options: [
    sampleTypeOption(),
    nodeCountOption('rows per table (default 50)'),
    countOption('--sites <n>', 'call sites drawn on their own in memory over time (default 8; the rest are "other")'),
    windowsOption(`an event trace's memory over time in N windows (default ${TRACE_WINDOWS})`),
    orderOption('order of a series of dumps: by dump sequence numbers when every name has one (auto), or as given'),
    titleOption('the page title'),
    ...commonOptions('write the page to FILE (.html; - for stdout): a file is written whole or not at all'),
    ...inputOptions(),
    ...filterOptions(),
  ],
  help: `
The page embeds its script, style and data: it opens from a file:// URL and
loads nothing from the network. Sections: Summary (inputs, totals, warnings,
growth's and churn's verdicts, and diagnose's when allocator statistics are
given), Memory over time (the top sites stacked, per dump or per window of
a trace: seconds when the trace has timestamps, operations when not; with
the allocation rate and temporary allocations when the input records
them), sortable Top, Growth, Churn and Sizes tables (click a row to focus
the flamegraph on its site), the flamegraph (diff colours for two
dumps, the first as the base; growth colours for a longer series), and
under it Waste: the size-class waste per site and allocator (as heapscope
waste) when the inputs have requested sizes, and the fragmentation each
site pins when jemalloc or tcmalloc statistics come with the dumps.
A trace without stacks (Android record_allocs) is grouped by thread unless
--by says otherwise. With --format json, stdout says what was written
(path, format, bytes, inputs).

Examples:
  $ heapscope report -o report.html fixtures/jemalloc/all/jeprof.*.m*.heap
  $ heapscope report -o trace.html --windows 100 app.perf.txt
  $ heapscope report -o run.html jemalloc-stats.txt proc.txt jeprof.*.heap`,
  async analyze(run) {
    if (run.output.isTerminal) throw new UsageError('an HTML report would go to the terminal: give -o FILE.html');
    const o = run.options;
    const loaded = await run.load(run.args, { allowStats: true, windows: o.windows ?? TRACE_WINDOWS });
    const stats = loaded.filter((l) => l.stats).map((l) => l.stats as AllocatorStats);
    const traces = loaded.filter((l) => l.trace);
    const dumps = loaded.filter((l) => !l.trace && !l.stats);
    if (traces.length > 1) throw new UsageError('report reads one event trace at a time');
    if (traces.length === 1 && dumps.length > 0) throw new UsageError('report reads one event trace, or heap dumps: not both');
    if (traces.length === 0 && dumps.length === 0) throw new UsageError('report needs a heap dump or an event trace (allocator statistics alone: use heapscope diagnose)');
    // A trace without stacks has one site, "(no stack)": its threads say more.
    const noStacks = traces.length === 1 && !traces[0].trace?.report.facts.hasStacks && !run.given('by');
    const sites: SiteOptions = { ...siteOptions(o), ...(noStacks ? { by: 'thread' as const } : {}) };
    const rows = o.nodeCount ?? TABLE_ROWS;
    const page = traces.length === 1 ? tracePage(run, traces[0], sites, rows) : dumpsPage(run, dumps, sites, rows);
    return {
      ...page,
      waste: wasteOf(run, page.wasteInput, stats, sites, rows),
      title: o.title ?? `heapscope report: ${inputsLabel(run.args)}`,
      inputs: loaded.map(describeInput),
      verdicts: [...page.verdicts, ...diagnosis(run, stats, page.profiles, sites)],
      warnings: run.warnings,
    };
  },
  output: {
    kind: 'file',
    file: (page, run) => ({
      format: 'html',
      data: renderReportPage(page),
      profiles: page.inputs.length,
      totals: { [page.flame.sampleType.type]: page.flame.width[0] ?? 0 },
      inputs: run.args,
    }),
  },
});

/** What the page is built from, before the summary's words. */
type PageParts = Omit<ReportPage, 'title' | 'inputs' | 'warnings' | 'waste'> & { profiles: HeapProfile[]; wasteInput: LoadedInput };

/** One event trace: memory over its windows, growth across them, churn and sizes of the whole trace. */
function tracePage(run: Run<ReportOptions>, input: LoadedInput, sites: SiteOptions, rows: number): PageParts {
  const trace = input.trace!;
  const profile = trace.profile;
  const type = commonSampleType([profile], run.options.sampleType);
  const windows = trace.snapshots;
  const growthOptions = { ...sites, sampleType: 'inuse_space' };
  const live = trace.report.facts.tracksPointers;
  const growth = live && windows.length >= 2 ? growthOfPoints(windows.map((s) => growthPoint(s.profile, growthOptions)), growthOptions) : { note: live ? 'growth needs two windows or more' : 'growth needs live values: this trace records sizes, not pointers' };
  const churnReport = attempt(() => churn([input], { ...sites, limit: rows }));
  const r = trace.report;
  const peak = r.peak.timeNs !== null && r.firstTimeNs !== null ? ` at ${((r.peak.timeNs - r.firstTimeNs) / 1e9).toFixed(3)} s` : ` at event ${r.peak.event}`;
  return {
    how: `one event trace, ${windows.length} windows${r.facts.hasTimestamps ? '' : ' (no timestamps: x counts operations)'}${sites.by && sites.by !== 'function' ? `; sites by ${sites.by}` : ''}`,
    verdicts: [
      ...(live ? [{ label: 'peak', text: `${formatValue(r.peak.bytes, 'bytes')} live${peak}; ${formatValue(r.liveBytes, 'bytes')} live at the end` }] : []),
      ...('verdict' in growth ? [{ label: 'grew most', text: growth.verdict }] : []),
      ...('verdict' in churnReport ? [{ label: 'churn', text: churnReport.verdict }] : []),
    ],
    memory: memoryOfTrace(trace, { ...sites, sites: run.options.sites }),
    top: top([profile], { ...sites, sampleType: type.type, limit: rows }),
    growth: 'rows' in growth ? { ...growth, rows: growth.rows.slice(0, rows) } : growth,
    churn: churnReport,
    sizes: attempt(() => sizes([input], { ...sites, buckets: 'pow2' })),
    flame: flameOf(run, [profile], type.type, sites),
    profiles: windows.map((s) => s.profile),
    wasteInput: input,
  };
}

/** One dump, or a series of dumps of one process (in series order). */
function dumpsPage(run: Run<ReportOptions>, dumps: LoadedInput[], sites: SiteOptions, rows: number): PageParts {
  let ordered = dumps;
  let how = 'one dump';
  if (dumps.length > 1) {
    run.warn(sameFileWarnings(run.args));
    let order;
    try {
      order = seriesOrder(dumps.map((d) => d.profile), run.options.order);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    ordered = order.indexes.map((i) => dumps[i]);
    run.warn(seriesWarnings(ordered.map((d) => d.profile)));
    how = `${dumps.length} dumps of one process ${order.by === 'sequence' ? 'ordered by dump sequence number' : 'in the order given'}`;
  }
  const profiles = ordered.map((d) => d.profile);
  const type = commonSampleType(profiles, run.options.sampleType);
  const last = profiles[profiles.length - 1];
  const growthOptions = { ...sites, sampleType: type.type };
  const points = profiles.map((p) => growthPoint(p, growthOptions));
  const growth = profiles.length >= 2 ? growthOfPoints(points, growthOptions) : { note: 'growth needs a series: give two dumps of one process or more' };
  const churnReport = attempt(() => churn(ordered, { ...sites, limit: rows }));
  return {
    how: `${how}; ${describeSampleType(type)}${profiles.length > 1 ? ', tables of the last dump' : ''}`,
    verdicts: [...('verdict' in growth ? [{ label: 'grew most', text: growth.verdict }] : []), ...('verdict' in churnReport ? [{ label: 'churn', text: churnReport.verdict }] : [])],
    memory: profiles.length >= 2 ? memoryOfSeries(points, { ...growthOptions, sites: run.options.sites }) : { note: 'one dump: memory over time needs a series of dumps, or an event trace' },
    top: top([last], { ...sites, sampleType: type.type, limit: rows }),
    growth: 'rows' in growth ? { ...growth, rows: growth.rows.slice(0, rows) } : growth,
    churn: churnReport,
    sizes: attempt(() => sizes([ordered[ordered.length - 1]], { ...sites, buckets: 'pow2' })),
    flame: flameOf(run, profiles, type.type, sites),
    profiles,
    wasteInput: ordered[ordered.length - 1],
  };
}

/**
 * The flamegraph: plain for one profile, a diff for two (the first is the
 * base), growth colours for a longer series.
 */
function flameOf(run: Run<ReportOptions>, profiles: HeapProfile[], sampleType: string, sites: SiteOptions): FlameData {
  const type = commonSampleType(profiles, sampleType);
  const filters = { focus: sites.focus, ignore: sites.ignore, hide: sites.hide, thread: sites.thread };
  const last = profiles[profiles.length - 1];
  let data: FlameData;
  if (profiles.length === 1) data = plainFlameData(last, run.args, type, filters, 'flamegraph');
  else if (profiles.length === 2) {
    const total = (p: HeapProfile) => formatValue(p.total(p.sampleTypeIndex(type.type)), type.unit);
    data = { ...diffFlame(profiles[0], last, type, filters), title: 'diff flamegraph', subtitle: `${describeSampleType(type)}: base ${total(profiles[0])} → ${total(last)}` };
  } else data = { ...growthFlame(profiles, type, filters), title: 'growth flamegraph', subtitle: `${describeSampleType(type)} over ${profiles.length} dumps` };
  warnNegative(run, data);
  return data;
}

/** diagnose's verdict, when allocator statistics are among the inputs. */
function diagnosis(run: Run<ReportOptions>, stats: AllocatorStats[], profiles: HeapProfile[], sites: SiteOptions): { label: string; text: string }[] {
  if (stats.length === 0) return [];
  try {
    const report = diagnose({ stats, profiles }, sites);
    run.warn(report.warnings);
    // The summary begins with the verdict.
    return [{ label: 'diagnose', text: report.summary }];
  } catch (error) {
    if (error instanceof DiagnoseError) return [{ label: 'diagnose', text: `cannot tell: ${error.message}` }];
    throw error;
  }
}

/**
 * What the allocators waste, as `heapscope waste` computes it: the size-class
 * waste of the trace or of the last dump (it needs requested sizes), and
 * with allocator statistics among the inputs the fragmentation each site of
 * the last dump pins (the statistics' last snapshot, taken as the dump's moment).
 */
function wasteOf(run: Run<ReportOptions>, input: LoadedInput, stats: AllocatorStats[], sites: SiteOptions, rows: number): ReportWaste {
  const sizeClasses = attempt(() => sizeClassWaste([input], { ...sites, limit: rows }));
  if (input.trace) return { sizeClasses, fragmentation: { note: 'fragmentation per site needs a heap dump (jemalloc or gperftools) with its allocator\'s statistics of the same moment; an event trace has no bins' } };
  // Statistics with a table of bins first (jemalloc, tcmalloc); the others say why they have none.
  const binned = stats.filter((st) => st.allocator === 'jemalloc' || st.allocator === 'tcmalloc');
  const st = binned[binned.length - 1] ?? stats[stats.length - 1];
  if (!st) return { sizeClasses, fragmentation: { note: `fragmentation per site needs the allocator's statistics taken with the dump (jemalloc's malloc_stats_print, tcmalloc's GetStats): give them among the inputs` } };
  const fragmentation = attempt(() => siteFragmentation(input.profile, st, { ...sites, limit: rows }));
  if (!('note' in fragmentation)) run.warn(fragmentation.warnings);
  return { sizeClasses, fragmentation };
}

/** An analysis the inputs may not allow (churn of dumps without cumulative counts): its message in place of its table. */
function attempt<T extends object>(analysis: () => T): T | Missing {
  try {
    return analysis();
  } catch (error) {
    if (error instanceof Error && !(error instanceof TypeError) && !(error instanceof RangeError)) return { note: error.message };
    throw error;
  }
}

/** An input as the summary lists it. */
function describeInput(input: LoadedInput): ReportInput {
  if (input.stats) {
    const st = input.stats;
    return { file: st.file, format: st.format, kind: 'statistics', totals: [`${st.allocator}${st.version ? ` ${st.version}` : ''}, ${st.snapshots.length} snapshot${st.snapshots.length === 1 ? '' : 's'}`] };
  }
  const info = inputInfo(input);
  const totals = Object.entries(info.totals).map(([type, v]) => `${type} ${formatValue(v, /space|bytes/.test(type) ? 'bytes' : 'count')}`);
  if (info.peak) totals.push(`peak ${formatValue(info.peak.bytes, 'bytes')}`);
  if (info.trace) totals.push(`${info.trace.events} events`);
  return { file: info.file, format: info.format, kind: input.trace ? 'trace' : 'dump', totals };
}
