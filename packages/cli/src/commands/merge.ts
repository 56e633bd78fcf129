/**
 * `heapscope merge -o FILE <input...>`: sums many inputs into one profile,
 * written as pprof. Inputs are read and added one at a time, so memory
 * grows with the merged profile, not with the number of inputs; merging is
 * associative, so merged outputs can themselves be merged (sharded merges).
 */
import type { Command } from 'commander';
import { ProfileMerger } from '@heapscope/analyzer';
import { addInputOptions, loadInputs, type InputOptions } from '../options.js';
import { ReportOutput, UsageError, type CliIo } from '../io.js';
import { encodePprof } from '../render/pprof.js';
import { cliSymbolizer } from '../symbols.js';

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
      if (!options.output) throw new UsageError('merge writes pprof: give the output file with -o FILE');
      if (inputs.length === 0) throw new UsageError('no input given');
      const merger = new ProfileMerger();
      const symbolizer = cliSymbolizer(options.symbolCache);
      for (const path of inputs) {
        const [loaded] = await loadInputs([path], options, io, { symbolizer });
        merger.add(loaded.profile);
      }
      const merged = merger.finish();
      const out = new ReportOutput(io, options.output);
      out.write(encodePprof(merged, { comments: [`heapscope merge of ${inputs.length} inputs`] }));
      await out.close();
      if (options.format !== 'json') io.stderr.write(`heapscope: merged ${inputs.length} inputs into ${options.output}\n`);
    });
}
