/**
 * `heapscope diagnose`: leak, fragmentation, retained pages or healthy (or
 * inconclusive: one dump shows no trend) — from allocator statistics, /proc samples and heap profiles of one run.
 */
import { Option } from 'commander';
import { DiagnoseError, diagnose, memoryOfTrace, seriesOrder, seriesWarnings, siteFragmentation, type DiagnoseReport, type FragmentationReport, type MemoryOverTime } from '@heapscope/analyzer';
import { ParseError, type AllocatorStats, type HeapProfile } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { bytesOption, commonOptions, countOption, filterOptions, inputOptions, orderOption, siteOptions, windowsOption, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { renderDiagnosePlot } from '../render/diagnose-plot.js';
import { renderDiagnose } from '../render/diagnose.js';
import { renderFragmentation } from '../render/waste.js';
import { wasteInputError } from '../input-errors.js';
import { renderMemoryChart } from '../render/memory-chart.js';

interface DiagnoseOptions extends InputOptions, FilterOptions, SharedOptions {
  plot?: string;
  minGrowth?: number;
  sites?: number;
  bySite?: boolean;
  windows?: number;
}

interface DiagnoseResult {
  /** The diagnosis, and with `--by-site` the fragmentation per call site (docs/cli.md, "waste"). */
  report: DiagnoseReport & { bySite?: FragmentationReport };
  /** Memory over time per top site of an event trace (its `--plot`). */
  memory?: MemoryOverTime;
}

/** Windows of an event trace that diagnose reads as a series of heap profiles, unless `--windows` says. */
const TRACE_WINDOWS = 20;

export const diagnoseCommand = command<DiagnoseOptions, DiagnoseResult>({
  name: 'diagnose',
  summary: 'leak or fragmentation? from allocator statistics, heap dumps and RSS over time',
  args: [['<input...>', 'allocator statistics (jemalloc, glibc, tcmalloc, mimalloc), /proc samples and heap profiles of one run']],
  options: [
    new Option('--plot <file.svg>', 'also write an SVG chart of allocated, resident and RSS over time (of an event trace: memory over time per top site)'),
    windowsOption(`an event trace is read as the live heap at the ends of N windows (default ${TRACE_WINDOWS})`),
    bytesOption('--min-growth <bytes>', 'rises below this are flat (default 1MiB, and at least 10% of the starting footprint)'),
    countOption('--sites <n>', 'growing call sites to name, from heap profiles, and sites of --by-site (default 5)'),
    new Option('--by-site', "also the fragmentation each call site pins: the last heap dump joined with the last statistics (jemalloc or tcmalloc), as heapscope waste does"),
    orderOption('order of the heap profiles: by dump sequence numbers when every name has one (auto), or as given'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
  ],
  help: `
Give the statistics of several dumps of one process (a file of periodic
dumps, or several files in order); /proc/<pid>/status or smaps_rollup
samples for RSS; heap profiles of the same run to name growing call sites.
An event trace (perf, record_allocs, heaptrack) is read as its live heap at
the ends of --windows N windows; its --plot shows memory over time per top
site. See docs/diagnose.md for how to collect them for each allocator.

Examples:
  $ heapscope diagnose jemalloc-stats.txt proc.txt
  $ heapscope diagnose --plot memory.svg malloc-info.xml proc.txt
  $ heapscope diagnose --format json tcmalloc-stats.txt jeprof.*.heap
  $ heapscope diagnose --by-site jemalloc-stats.json jeprof.1234.0.m0.heap
  $ heapscope diagnose --plot memory.svg app.perf.txt`,
  async analyze(run) {
    const o = run.options;
    const loaded = await run.load(run.args, { allowStats: true, windows: o.windows ?? TRACE_WINDOWS });
    const stats: AllocatorStats[] = [];
    const profiles: HeapProfile[] = [];
    const traces = loaded.filter((l) => l.trace);
    if (traces.length > 0 && (traces.length > 1 || loaded.some((l) => !l.trace && !l.stats))) {
      throw new UsageError('diagnose reads one event trace, or heap profiles (dumps): not both, nor two traces');
    }
    let memory: MemoryOverTime | undefined;
    for (const l of loaded) {
      if (l.stats) stats.push(l.stats);
      else if (l.trace) {
        // The live heap at the window ends: a series of heap profiles in time order, each named by its window's end.
        profiles.push(...l.trace.snapshots.map((s) => s.profile.with({ meta: { ...s.profile.meta, file: `${s.profile.meta.file} (event ${s.event})` } })));
        if (o.plot !== undefined) memory = memoryOfTrace(l.trace, siteOptions(o));
      } else profiles.push(l.profile);
    }
    let ordered = profiles;
    if (profiles.length > 1 && traces.length === 0) {
      try {
        ordered = seriesOrder(profiles, o.order).indexes.map((i) => profiles[i]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      // A series of dumps gets the checks growth and churn make: one process, whole, each dump once.
      run.warn(seriesWarnings(ordered));
    }
    let report: DiagnoseReport;
    try {
      report = diagnose({ stats, profiles: ordered }, { ...siteOptions(o), minGrowthBytes: o.minGrowth, sites: o.sites });
    } catch (error) {
      // The inputs cannot answer: a bad-input failure, located at the input it is about.
      if (error instanceof DiagnoseError) throw new ParseError(error.file ?? run.args[0], 1, error.message);
      throw error;
    }
    run.warn(report.warnings);
    if (!o.bySite) return { report, memory };
    // The dump and the statistics must be of one moment: the last of each (docs/cli.md, "diagnose").
    const dump = ordered[ordered.length - 1];
    const last = stats[stats.length - 1];
    if (!dump || !last) throw new UsageError('--by-site joins a heap dump with the allocator statistics of the same moment: give both');
    let bySite: FragmentationReport;
    try {
      bySite = siteFragmentation(dump, last, { ...siteOptions(o), limit: o.sites ?? 5 });
    } catch (error) {
      throw wasteInputError(error, [dump.meta.file, last.file]);
    }
    run.warn(bySite.warnings);
    return { report: { ...report, bySite }, memory };
  },
  output: {
    kind: 'report',
    // Every warning of the run: the inputs' (as on stderr), then what the alignment found.
    json: ({ report }, run) => ({ ...report, warnings: run.warnings }),
    text: ({ report }) => renderDiagnose(report) + (report.bySite ? `\n${renderFragmentation(report.bySite)}` : ''),
    sideFiles: ({ report, memory }, run) => {
      const plot = run.options.plot;
      if (plot === undefined) return [];
      const data = memory ? renderMemoryChart(memory, { title: `${report.verdict}: memory over time per top site`, subtitle: report.summary, standalone: true }) : renderDiagnosePlot(report);
      return [{ path: plot, data }];
    },
  },
});
