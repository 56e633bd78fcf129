/**
 * `heapscope diff <base> <input>`: signed per-site difference.
 */
import type { Command } from 'commander';
import { diffTop, seriesWarnings } from '@heapscope/analyzer';
import { addFilterOptions, addInputOptions, inputWarnings, loadInputs, siteOptions, type FilterOptions, type InputOptions } from '../options.js';
import { ReportOutput, UsageError, type CliIo } from '../io.js';
import { renderTop } from './top.js';
import { sameFileWarnings } from '../series.js';

interface DiffCommandOptions extends InputOptions, FilterOptions {
  sampleType?: string;
  nodeCount?: number;
  cum?: boolean;
}

export function registerDiff(program: Command, io: CliIo): void {
  const cmd = program
    .command('diff')
    .description('signed per-site difference: input minus base')
    .argument('<base>', 'the earlier dump')
    .argument('<input>', 'the later dump')
    .option('-t, --sample-type <type>', 'inuse_space (default), inuse_objects, alloc_space or alloc_objects')
    .option('-n, --node-count <n>', 'show the first N rows', (v) => Number(v))
    .option('--cum', 'sort by cumulative difference instead of flat');
  addFilterOptions(addInputOptions(cmd))
    .addHelpText(
      'after',
      `
Rows are ranked by the size of their change; growth is positive.

Examples:
  $ heapscope diff jeprof.1.0.m0.heap jeprof.1.4.m4.heap
  $ heapscope diff --format json -t inuse_objects before.heap after.heap`,
    )
    .action(async (base: string, input: string, options: DiffCommandOptions) => {
      if (base === '-' && input === '-') throw new UsageError('stdin (-) can be given only once');
      const [b, i] = await loadInputs([base, input], options, io);
      const warnings = [...sameFileWarnings([base, input]), ...seriesWarnings([b.profile, i.profile])];
      for (const w of warnings) io.stderr.write(`heapscope: warning: ${w}\n`);
      const report = diffTop([b.profile], [i.profile], {
        ...siteOptions(options),
        sampleType: options.sampleType,
        sort: options.cum ? 'cum' : 'flat',
        limit: options.nodeCount,
      });
      const out = new ReportOutput(io, options.output);
      out.writeReport({ ...report, base, input, warnings: [...inputWarnings([b, i]), ...warnings] }, options.format, () => renderTop(report, [`${input} − ${base}`]));
      await out.close();
    });
}
