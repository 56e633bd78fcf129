/**
 * `heapscope merge -o FILE <input...>`: sums many inputs into one profile,
 * written as pprof. Inputs are read and added one at a time, so memory
 * grows with the merged profile, not with the number of inputs; merging is
 * associative, so merged outputs can themselves be merged (sharded merges).
 */
import type { Command } from 'commander';
import { ProfileMerger, newSymbolizer } from '@heapscope/analyzer';
import { addInputOptions, loadInputs, warnMixedInputs, type InputOptions } from '../options.js';
import { UsageError, type CliIo } from '../io.js';
import { ReportOutput } from '../report-output.js';
import { encodePprof } from '../render/pprof.js';


export function registerMerge(program: Command, io: CliIo): void {
  const cmd = program
    .command('merge')
    .description('sum many inputs into one profile, written as gzip-compressed pprof')
    .argument('<input...>', 'heap dumps, traces or pprof files (for example earlier merge outputs)');
  addInputOptions(cmd)
    .addHelpText(
      'after',
      `
Inputs are added one at a time; the result can be merged again, so a
fleet's dumps can be merged in shards and the shards merged after.

Examples:
  $ heapscope merge -o all.pb.gz hosts/*/jeprof.*.f.heap
  $ heapscope merge -o fleet.pb.gz shard-*.pb.gz`,
    )
    .action(async (inputs: string[], options: InputOptions) => {
      if (!options.output) throw new UsageError('merge writes pprof: give the output file with -o FILE (or -o - for standard output)');
      if (inputs.length === 0) throw new UsageError('no input given');
      const out = new ReportOutput(io, options.output);
      // Binary output never goes to a terminal.
      if (out.isTerminal) throw new UsageError('pprof output is binary: give -o FILE (or redirect standard output)');
      const merger = new ProfileMerger();
      const symbolizer = newSymbolizer({ symbolCache: options.symbolCache });
      for (const path of inputs) {
        const [loaded] = await loadInputs([path], options, io, { symbolizer });
        merger.add(loaded.profile);
      }
      const merged = merger.finish();
      // Every warning is printed: the inputs' own (as each was read) and how the inputs differ.
      warnMixedInputs(io, merged.meta.merged);
      out.write(encodePprof(merged, { comments: [`heapscope merge of ${inputs.length} inputs`] }));
      await out.close();
      if (options.format !== 'json') io.stderr.write(`heapscope: merged ${inputs.length} inputs into ${out.path ?? 'standard output'}\n`);
    });
}
