/**
 * `heapscope top`: call sites ranked by a sample type.
 */
import type { Command } from 'commander';
import { summedInputs, top } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, warnMixedInputs, type FilterOptions, type InputOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { renderTop } from '../render/top.js';

interface TopCommandOptions extends InputOptions, FilterOptions {
  sampleType?: string;
  nodeCount?: number;
  cum?: boolean;
}

export function registerTop(program: Command, io: CliIo): void {
  const cmd = program
    .command('top')
    .description('call sites ranked by a sample type (several inputs are summed)')
    .argument('<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)')
    .option('-t, --sample-type <type>', 'inuse_space (default), inuse_objects, alloc_space or alloc_objects')
    .option('-n, --node-count <n>', 'show the first N rows', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`-n expects a positive integer, got "${v}"`);
      return n;
    })
    .option('--cum', 'sort by cumulative value instead of flat');
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
flat is the value allocated at the site itself (its frame is the first one
outside the allocator); cum also counts the sites it calls.

Examples:
  $ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope top -t alloc_objects --by stack -n 5 dump.heap
  $ heapscope top --format json --focus 'leak' dump.heap`,
    )
    .action(async (inputs: string[], options: TopCommandOptions) => {
      const loaded = await loadInputs(inputs, options, io);
      const mixed = warnMixedInputs(io, summedInputs(loaded.map((l) => l.profile.meta)));
      const report = top(loaded.map((l) => l.profile), {
        ...siteOptions(options),
        sampleType: options.sampleType,
        sort: options.cum ? 'cum' : 'flat',
        limit: options.nodeCount,
      });
      const out = new ReportOutput(io, options.output);
      out.writeReport({ ...report, warnings: [...inputWarnings(loaded), ...mixed] }, options.format, () => renderTop(report, inputs));
      await out.close();
    });
}

