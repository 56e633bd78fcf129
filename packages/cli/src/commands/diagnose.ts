/**
 * `heapscope diagnose`: leak, fragmentation, retained pages or healthy (or
 * inconclusive: one dump shows no trend) — from allocator statistics, /proc samples and heap profiles of one run.
 */
import { Option, type Command } from 'commander';
import { DiagnoseError, assertFiniteReport, diagnose, seriesOrder, type DiagnoseReport, type SeriesOrder } from '@heapscope/analyzer';
import { ParseError, type AllocatorStats, type HeapProfile } from '@heapscope/parser';
import { addFilterOptions, addInputOptions, loadInputs, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { writeOutputFile } from '../output-file.js';
import { parseBytes } from '../size-arg.js';
import { renderDiagnosePlot } from '../render/diagnose-plot.js';
import { renderDiagnose } from '../render/diagnose.js';

interface DiagnoseCommandOptions extends InputOptions, FilterOptions {
  plot?: string;
  minGrowth?: number;
  sites?: number;
  order: SeriesOrder;
}

export function registerDiagnose(program: Command, io: CliIo): void {
  const cmd = program
    .command('diagnose')
    .description('leak or fragmentation? from allocator statistics, heap dumps and RSS over time')
    .argument('<input...>', 'allocator statistics (jemalloc, glibc, tcmalloc, mimalloc), /proc samples and heap profiles of one run')
    .option('--plot <file.svg>', 'also write an SVG chart of allocated, resident and RSS over time')
    .option('--min-growth <bytes>', 'rises below this are flat (default 1MiB, and at least 10% of the starting footprint)', (v) => parseBytes('--min-growth', v))
    .option('--sites <n>', 'growing call sites to name, from heap profiles (default 5)', (v) => positive('--sites', v))
    .addOption(new Option('--order <order>', 'order of the heap profiles: by dump sequence numbers when every name has one (auto), or as given').choices(['auto', 'given', 'sequence']).default('auto'));
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
Give the statistics of several dumps of one process (a file of periodic
dumps, or several files in order); /proc/<pid>/status or smaps_rollup
samples for RSS; heap profiles of the same run to name growing call sites.
See docs/diagnose.md for how to collect them for each allocator.

Examples:
  $ heapscope diagnose jemalloc-stats.txt proc.txt
  $ heapscope diagnose --plot memory.svg malloc-info.xml proc.txt
  $ heapscope diagnose --format json tcmalloc-stats.txt jeprof.*.heap`,
    )
    .action(async (inputs: string[], options: DiagnoseCommandOptions) => {
      const loaded = await loadInputs(inputs, options, io, { allowStats: true });
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
          ordered = seriesOrder(profiles, options.order).indexes.map((i) => profiles[i]);
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      let report: DiagnoseReport;
      try {
        report = diagnose(
          { stats, profiles: ordered },
          { ...siteOptions(options), minGrowthBytes: options.minGrowth, sites: options.sites },
        );
      } catch (error) {
        // The inputs cannot answer: a bad-input failure, located at the input it is about.
        if (error instanceof DiagnoseError) throw new ParseError(error.file ?? inputs[0], 1, error.message);
        throw error;
      }
      for (const w of report.warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
      // The chart first: when it cannot be written, no report is written either.
      if (options.plot) {
        assertFiniteReport(report);
        await writeOutputFile(options.plot, renderDiagnosePlot(report));
      }
      const out = new ReportOutput(io, options.output);
      out.writeReport(report, options.format, () => renderDiagnose(report));
      await out.close();
    });
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} expects a positive integer, got "${v}"`);
  return n;
}

