/**
 * `heapscope diagnose`: leak, fragmentation, retained pages or healthy (or
 * inconclusive: one dump shows no trend) — from allocator statistics, /proc samples and heap profiles of one run.
 */
import { Option } from 'commander';
import { DiagnoseError, diagnose, seriesOrder, type DiagnoseReport } from '@heapscope/analyzer';
import { ParseError, type AllocatorStats, type HeapProfile } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { bytesOption, commonOptions, countOption, filterOptions, inputOptions, orderOption, siteOptions, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { renderDiagnosePlot } from '../render/diagnose-plot.js';
import { renderDiagnose } from '../render/diagnose.js';

interface DiagnoseOptions extends InputOptions, FilterOptions, SharedOptions {
  plot?: string;
  minGrowth?: number;
  sites?: number;
}

export const diagnoseCommand = command<DiagnoseOptions, DiagnoseReport>({
  name: 'diagnose',
  summary: 'leak or fragmentation? from allocator statistics, heap dumps and RSS over time',
  args: [['<input...>', 'allocator statistics (jemalloc, glibc, tcmalloc, mimalloc), /proc samples and heap profiles of one run']],
  options: [
    new Option('--plot <file.svg>', 'also write an SVG chart of allocated, resident and RSS over time'),
    bytesOption('--min-growth <bytes>', 'rises below this are flat (default 1MiB, and at least 10% of the starting footprint)'),
    countOption('--sites <n>', 'growing call sites to name, from heap profiles (default 5)'),
    orderOption('order of the heap profiles: by dump sequence numbers when every name has one (auto), or as given'),
    ...commonOptions(),
    ...inputOptions(),
    ...filterOptions(),
  ],
  help: `
Give the statistics of several dumps of one process (a file of periodic
dumps, or several files in order); /proc/<pid>/status or smaps_rollup
samples for RSS; heap profiles of the same run to name growing call sites.
See docs/diagnose.md for how to collect them for each allocator.

Examples:
  $ heapscope diagnose jemalloc-stats.txt proc.txt
  $ heapscope diagnose --plot memory.svg malloc-info.xml proc.txt
  $ heapscope diagnose --format json tcmalloc-stats.txt jeprof.*.heap`,
  async analyze(run) {
    const o = run.options;
    const loaded = await run.load(run.args, { allowStats: true });
    const stats: AllocatorStats[] = [];
    const profiles: HeapProfile[] = [];
    for (const l of loaded) {
      if (l.stats) stats.push(l.stats);
      else if (l.trace) throw new UsageError(`${l.profile.meta.file} is an event trace: diagnose reads heap profiles (dumps), allocator statistics and /proc samples`);
      else profiles.push(l.profile);
    }
    let ordered = profiles;
    if (profiles.length > 1) {
      try {
        ordered = seriesOrder(profiles, o.order).indexes.map((i) => profiles[i]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
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
    return report;
  },
  output: {
    kind: 'report',
    // The report carries its own warnings (what the run's alignment found).
    json: (report) => report,
    text: (report) => renderDiagnose(report),
    sideFiles: (report, run) => (run.options.plot ? [{ path: run.options.plot, data: renderDiagnosePlot(report) }] : []),
  },
});
