/**
 * `heapscope peak`: for event traces, the peak of live bytes, when it
 * happened, and the call sites that held it at that moment.
 */
import type { Command } from 'commander';
import { top } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderPeak } from '../render/peak.js';

interface PeakCommandOptions extends InputOptions, FilterOptions {
  nodeCount?: number;
  sampleType?: string;
}

export function registerPeak(program: Command, io: CliIo): void {
  const cmd = program
    .command('peak')
    .description('event traces: peak live bytes, when, and the call sites holding them then')
    .argument('<trace>', 'an event trace (Android record_allocs, perf malloc/free probes)')
    .option('-t, --sample-type <type>', 'inuse_space (default) or inuse_objects')
    .option('-n, --node-count <n>', 'show the first N rows', (v) => Number(v));
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
Example:
  $ heapscope peak --by thread record_allocs.txt`,
    )
    .action(async (trace: string, options: PeakCommandOptions) => {
      const [loaded] = await loadInputs([trace], options, io);
      if (!loaded.trace) throw new UsageError(`${trace} is a heap dump, not an event trace: it has no peak over time`);
      const { peak, events } = loaded.trace.report;
      const report = top([loaded.trace.peakProfile], { ...siteOptions(options), sampleType: options.sampleType, limit: options.nodeCount });
      const out = new ReportOutput(io, options.output);
      out.writeReport({ peak, ...report, warnings: inputWarnings([loaded]) }, options.format, () => renderPeak({ peak, events, top: report }, trace));
      await out.close();
    });
}
