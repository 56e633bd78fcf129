/**
 * `heapscope top`: call sites ranked by a sample type.
 */
import { stacklessTraces, summedInputs, top, type TopReport } from '@heapscope/analyzer';
import { command } from '../command.js';
import { commonOptions, filterOptions, inputOptions, sampleTypeOption, siteOptions, terminalRowCountOption, type FilterOptions, type InputOptions, type SharedOptions } from '../options.js';
import { Option } from 'commander';
import { moreRowsLine, renderTop, renderTopHeader, stacklessHint } from '../render/top.js';

interface TopOptions extends InputOptions, FilterOptions, SharedOptions {
  cum?: boolean;
}

/** Rows `top` shows on a terminal without `-n`: a screenful, the rest one `-n 0` away. */
export const TERMINAL_ROWS = 20;

/** What `top` gives its renderer: the report, and whether it was cut to a terminal's default rows. */
export interface TopResult {
  report: TopReport;
  /** The rows were cut to {@link TERMINAL_ROWS} because the report goes to a terminal and no `-n` was given. */
  cutForTerminal: boolean;
  /** The inputs are traces without call stacks, grouped by something stacks give: the text is a hint of what to run instead. */
  stackless: boolean;
}

export const topCommand = command<TopOptions, TopResult>({
  name: 'top',
  summary: 'call sites ranked by a sample type (several inputs are summed)',
  args: [['<input...>', 'heap dumps or traces (plain, gzip, zstd or zip; - for stdin)']],
  options: [sampleTypeOption(), terminalRowCountOption(TERMINAL_ROWS), new Option('--cum', 'sort by cumulative value instead of flat'), ...commonOptions(), ...inputOptions(), ...filterOptions()],
  help: `
On a terminal top shows the first ${TERMINAL_ROWS} rows and says how many more
there are; piped, with -o or with --format json it shows all of them.
-n N shows the first N, -n 0 all.

flat is the value allocated at the site itself (its frame is the first one
outside the allocator); cum also counts the sites it calls.

Examples:
  $ heapscope top fixtures/jemalloc/all/jeprof.*.f.heap
  $ heapscope top -t alloc_objects --by stack -n 5 dump.heap
  $ heapscope top --format json --focus 'leak' dump.heap
  $ heapscope top -n 0 dump.heap | less
  $ heapscope top --by thread record_allocs.txt

A trace that records no call stacks (Android record_allocs) has no call
sites: grouped by function, stack, module or file, top says what to run
instead (--by thread, sizes, peak, churn).`,
  async analyze(run) {
    const loaded = await run.load(run.args);
    run.warnMixed(summedInputs(loaded.map((l) => l.profile.meta)));
    const o = run.options;
    // A terminal gets a screenful by default; pipes, files and JSON get every row.
    const cutForTerminal = o.nodeCount === undefined && !run.json && run.output.isTerminal;
    const limit = cutForTerminal ? TERMINAL_ROWS : o.nodeCount || undefined;
    const report = top(loaded.map((l) => l.profile), { ...siteOptions(o), sampleType: o.sampleType, sort: o.cum ? 'cum' : 'flat', limit });
    return { report, cutForTerminal, stackless: o.by !== 'thread' && stacklessTraces(loaded) };
  },
  output: {
    kind: 'report',
    // The JSON is the analyzer's report (plus warnings), the same as a library user's: the hint is the text's advice.
    json: ({ report }, run) => ({ ...report, warnings: run.warnings }),
    text: ({ report, cutForTerminal, stackless }, run) =>
      stackless ? `${renderTopHeader(report, run.args)}${stacklessHint(run.args)}` : renderTop(report, run.args) + (cutForTerminal ? moreRowsLine(report) : ''),
  },
});
