/**
 * `heapscope trial -- CMD ARGS…`: a real command run several times under
 * each allocator (LD_PRELOAD), in the order A B C A B C …, with its wall
 * time and peak RSS per allocator and a verdict (docs/replay.md#heapscope-trial).
 */
import { DEFAULT_TRIAL_RUNS, runTrial, trialVerdict, type TrialReport } from '@heapscope/replay';
import { allocatorWork, judgedOutput, warnFailedAllocators, type Judged } from '../allocator-runs.js';
import { command } from '../command.js';
import { allocatorOptions, commonOptions, type AllocatorOptions, type CommonOptions } from '../options.js';
import { renderTrial } from '../render/replay.js';

interface TrialOptions extends CommonOptions, AllocatorOptions {}

export const trialCommand = command<TrialOptions, Judged<TrialReport>>({
  name: 'trial',
  summary: 'run a command under each allocator: wall time and peak RSS of each',
  args: [['<command...>', 'the command and its arguments, after -- (its output is discarded)']],
  options: [...allocatorOptions(DEFAULT_TRIAL_RUNS), ...commonOptions()],
  help: `
Each run goes through heapscope's launcher (fork, exec, wait4), which
preloads the allocator's library for the command only and measures its wall
time, CPU time and peak RSS. A command that fails under an allocator (an
exit status other than 0, or a signal) marks that allocator failed, with
why, and the trial goes on with the others; the exit status is then 1. A
statically linked command, or one with its own allocator, ignores the
preloaded library. See docs/replay.md.

Examples:
  $ heapscope trial -- ./build/server --benchmark
  $ heapscope trial --runs 5 --allocators glibc,jemalloc -- python3 load_test.py
  $ heapscope trial --env jemalloc:MALLOC_CONF=background_thread:true --format json -- ./app`,
  async analyze(run) {
    const o = run.options;
    const report = await allocatorWork(() => runTrial(run.args, { allocators: o.allocators, preload: o.preload, env: o.env, runs: o.runs ?? DEFAULT_TRIAL_RUNS }));
    warnFailedAllocators(run, report.rows, 'the command ran');
    return { report, verdict: trialVerdict(report) };
  },
  output: judgedOutput(renderTrial),
});
