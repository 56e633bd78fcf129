/**
 * `heapscope replay`: a trace's allocation operations run against real
 * allocators, one fresh replayer process each (@heapscope/replay), with
 * time, RSS and address space per allocator and a verdict (docs/replay.md).
 */
import { Option } from 'commander';
import { formatWarning } from '@heapscope/parser';
import { replayTrace, replayVerdict, type ReplayReport } from '@heapscope/replay';
import { allocatorWork, judgedOutput, warnFailedAllocators, type Judged } from '../allocator-runs.js';
import { command } from '../command.js';
import { allocatorOptions, commonOptions, regexOption, traceInputOptions, type AllocatorOptions, type InputOptions } from '../options.js';
import { Progress } from '../progress.js';
import { renderReplayPlot } from '../render/replay-plot.js';
import { renderReplay, verdictHeading } from '../render/replay.js';
import { rawSink } from '../terminal-text.js';

interface ReplayOptions extends InputOptions, AllocatorOptions {
  singleThread?: boolean;
  plot?: string;
}

export const replayCommand = command<ReplayOptions, Judged<ReplayReport>>({
  name: 'replay',
  summary: 'replay a trace against real allocators: time, RSS and address space of each',
  args: [['<trace>', 'an allocation trace with pointers: Android record_allocs (plain, gzip or zip), perf script malloc/free probes with return probes, a heaptrack recording']],
  options: [
    ...allocatorOptions(1),
    new Option('--single-thread', "run every operation on one thread (default: each trace thread's on a thread of its own)"),
    new Option('--plot <file.svg>', 'also write an SVG chart of RSS over operations, per allocator, with the trace\'s live bytes'),
    ...commonOptions(),
    ...traceInputOptions(),
  ],
  help: `
The trace is read and checked first (a malformed trace fails before any
allocator runs); then each allocator replays it in a fresh process: every
malloc, calloc, memalign, realloc and free, each block touched. RSS and VA
are sampled every 100,000 operations. An allocator that cannot run is a
warning, the others are reported, and the exit status is 1.
See docs/replay.md for recording a trace and reading the table.

Examples:
  $ heapscope replay surfaceflinger.txt
  $ heapscope replay --allocators glibc,jemalloc --runs 3 --plot rss.svg app.perf.txt.gz
  $ heapscope replay --env jemalloc:MALLOC_CONF=dirty_decay_ms:0 --format json -o sf.json sf.zip
  $ heapscope replay --preload hoard=/opt/hoard/lib/libhoard.so sf.txt`,
  async analyze(run) {
    const o = run.options;
    const [path] = run.args;
    // The progress line draws with its own erase sequence; it escapes the name itself.
    const progress = new Progress(rawSink(run.io.stderr), run.io.stderr.isTTY === true && !run.json);
    let report: ReplayReport;
    try {
      report = await allocatorWork(() =>
        replayTrace(path, {
          allocators: o.allocators,
          preload: o.preload,
          env: o.env,
          runs: o.runs,
          singleThread: o.singleThread === true,
          stdin: run.io.stdin,
          onProgress: progress.reporter(path),
          onPhase: (e) => {
            if (e.phase === 'run') progress.done();
          },
          // Stacks play no part in a replay: none are cut, and no warning says so.
          keepBadFrames: true,
          inputFormat: o.inputFormat,
          lenient: o.lenient,
          maxLineBytes: o.maxStringBytes,
          maxDecompressedBytes: o.maxDecompressedBytes,
          sizeArg: o.sizeArg,
          allocEvent: regexOption('--alloc-event', o.allocEvent),
          freeEvent: regexOption('--free-event', o.freeEvent),
        }),
      );
    } finally {
      progress.done();
    }
    run.warn(report.trace.warnings.map((w) => formatWarning(w)));
    warnFailedAllocators(run, report.rows, 'the trace could be replayed');
    return { report, verdict: replayVerdict(report) };
  },
  output: judgedOutput(renderReplay, ({ report, verdict }, run) => (run.options.plot ? [{ path: run.options.plot, data: renderReplayPlot(report, verdictHeading(verdict)) }] : [])),
});
