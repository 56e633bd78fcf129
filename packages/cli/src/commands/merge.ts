/**
 * `heapscope merge -o FILE <input...>`: sums many inputs into one profile,
 * written as pprof. Inputs are added one at a time (`--jobs` of them read
 * ahead on worker threads), so memory grows with the merged profile, not
 * with the number of inputs; merging is
 * associative, so merged outputs can themselves be merged (sharded merges).
 */
import { ProfileMerger, summedDumpsWarnings } from '@heapscope/analyzer';
import { counted, type HeapProfile, type ProfileMeta } from '@heapscope/parser';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import { commonOptions, inputOptions, type InputOptions } from '../options.js';
import { encodePprof } from '../render/pprof.js';
import { totalsOf } from '../written.js';

export const mergeCommand = command<InputOptions, HeapProfile>({
  name: 'merge',
  summary: 'sum many inputs into one profile, written as gzip-compressed pprof',
  args: [['<input...>', 'heap dumps, traces or pprof files (for example earlier merge outputs)']],
  options: [...commonOptions('write the merged profile to FILE (- for stdout, never a terminal): a file is written whole or not at all'), ...inputOptions()],
  help: `
Inputs are added one at a time; the result can be merged again, so a
fleet's dumps can be merged in shards and the shards merged after.

Examples:
  $ heapscope merge -o all.pb.gz hosts/*/jeprof.*.f.heap
  $ heapscope merge -o fleet.pb.gz shard-*.pb.gz`,
  async analyze(run) {
    if (!run.options.output) throw new UsageError('merge writes pprof: give the output file with -o FILE (or -o - for standard output)');
    if (run.args.length === 0) throw new UsageError('no input given');
    // Binary output never goes to a terminal.
    if (run.output.isTerminal) throw new UsageError('pprof output is binary: give -o FILE (or redirect standard output)');
    const merger = new ProfileMerger();
    // One at a time (--jobs read ahead on worker threads), with the run's one symbolizer; each input's warnings are printed as it is handed on.
    const metas: ProfileMeta[] = [];
    for await (const loaded of run.stream(run.args)) {
      merger.add(loaded.profile);
      metas.push(loaded.profile.meta);
    }
    const merged = merger.finish();
    // How the inputs differ.
    run.warnMixed(merged.meta.merged);
    run.warn(summedDumpsWarnings(metas));
    return merged;
  },
  output: {
    kind: 'file',
    file: (merged, run) => ({
      format: 'pprof',
      data: encodePprof(merged, { comments: [`heapscope merge of ${counted(run.args.length, 'input')}`] }),
      profiles: run.args.length,
      totals: totalsOf(merged),
      note: `merged ${counted(run.args.length, 'input')} into ${run.output.path ?? 'standard output'}`,
    }),
  },
});
