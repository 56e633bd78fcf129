/**
 * `heapscope flamegraph -o x.svg|x.html <input...>`: a self-contained
 * flamegraph — SVG (zoom and search by an embedded script), or interactive
 * HTML (zoom, search, tooltips, inverted and sandwich views) —
 * of one sample type; with `--base` a diff flamegraph (growth red,
 * shrinkage blue), with `--growth` a growth flamegraph of a series.
 */
import { extname } from 'node:path';
import { Option } from 'commander';
import { commonSampleType, diffFlame, formatValue, growthFlame, seriesWarnings, sumProfiles, summedDumpsWarnings, summedInputs, type TreeOptions } from '@heapscope/analyzer';
import { command } from '../command.js';
import { UsageError } from '../io.js';
import {
  commonOptions,
  inputOptions,
  orderOption,
  orientationOption,
  sampleTypeOption,
  stackFilterOptions,
  titleOption,
  treeByOption,
  treeOptions,
  widthOption,
  windowsOption,
  type InputOptions,
  type SharedOptions,
  type TreeFilterOptions,
} from '../options.js';
import type { Run } from '../run.js';
import { loadSeries } from '../load-series.js';
import { renderFlame, type FlameData, type Orientation } from '../render/flamegraph.js';
import { describeSampleType } from '../render/speedscope.js';
import { inputsLabel } from '../labels.js';
import { plainFlameData, warnNegative } from '../flame-words.js';

interface FlamegraphOptions extends InputOptions, TreeFilterOptions, SharedOptions {
  to?: 'svg' | 'html';
  orientation: Orientation;
  title?: string;
  width?: number;
  base?: string;
  growth?: boolean;
}

/** `svg` or `html` from an explicit choice or the output file's extension. */
export function flameKind(to: string | undefined, output: string | undefined): 'svg' | 'html' {
  if (to === 'svg' || to === 'html') return to;
  const ext = output ? extname(output).toLowerCase() : '';
  if (ext === '.svg') return 'svg';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(output ? `cannot tell the flamegraph kind from "${output}": name it .svg or .html, or give --to svg|html` : 'give -o FILE.svg or FILE.html (or --to svg|html)');
}

interface Flame {
  kind: 'svg' | 'html';
  data: FlameData;
  /** The total of what is drawn (the input's, or the last point's). */
  total: number;
}

export const flamegraphCommand = command<FlamegraphOptions, Flame>({
  name: 'flamegraph',
  summary: 'a self-contained SVG or interactive HTML flamegraph (diff with --base, growth with --growth)',
  args: [['<input...>', 'heap dumps or traces (summed), or a series with --growth']],
  options: [
    new Option('--to <kind>', 'svg or html (default: from the -o extension)').choices(['svg', 'html']),
    sampleTypeOption(),
    orientationOption('flame: root at the bottom; icicle: root at the top'),
    titleOption('title shown above the graph'),
    widthOption('SVG width in pixels (default 1200)'),
    new Option('--base <file>', 'diff flamegraph: the inputs minus this base (red grew, blue shrank)'),
    new Option('--growth', 'growth flamegraph: the inputs are a series of dumps of one process; colour by growth'),
    orderOption('with --growth: series order'),
    windowsOption('with --growth and one event trace: compare N windows of it'),
    ...commonOptions('write the flamegraph to FILE (.svg or .html; - for stdout): a file is written whole or not at all'),
    ...inputOptions(),
    treeByOption(),
    ...stackFilterOptions(),
  ],
  help: `
The HTML page is one file with no external resources: click a frame to zoom,
Escape to reset; "Inverted" shows call sites first with their callers,
double-click a frame for its function's sandwich (callers and callees);
search with a regular expression (an invalid one is said so); hover for
values and file:line. Link to a function with heap.html#focus=NAME.
The SVG is a whole picture; opened in a browser, click a frame to zoom and
"Search" to highlight. Diff and growth pictures carry a colour legend.
--by line makes a frame a function and source line (where the input has
lines; elsewhere the function name stays).
With --format json, the JSON on stdout says what was written (path,
format, bytes, profiles, totals).

Examples:
  $ heapscope flamegraph -o heap.html jeprof.1234.5.f.heap
  $ heapscope flamegraph -o heap.svg --orientation icicle -t alloc_space dump.heap
  $ heapscope flamegraph -o lines.html --by line jeprof.1234.5.f.heap
  $ heapscope flamegraph -o diff.html --base before.heap after.heap
  $ heapscope flamegraph -o growth.html --growth jeprof.1234.*.heap`,
  async analyze(run) {
    const o = run.options;
    const kind = flameKind(o.to, o.output);
    if (o.base !== undefined && o.growth) throw new UsageError('--base and --growth cannot be combined');
    if (o.windows !== undefined && !o.growth) throw new UsageError('--windows needs --growth');
    const filters = treeOptions(o);
    const flame = o.base !== undefined ? await diffFlameOf(run, o.base, filters) : o.growth ? await growthFlameOf(run, filters) : await plainFlameOf(run, filters);
    warnNegative(run, flame.data);
    if (run.output.isTerminal && kind === 'html') throw new UsageError('an HTML flamegraph would go to the terminal: give -o FILE.html');
    return { kind, ...flame };
  },
  output: {
    kind: 'file',
    file: ({ kind, data, total }, run) => ({
      format: kind,
      data: renderFlame(data, kind, run.options.orientation, run.options.width),
      profiles: run.args.length + (run.options.base !== undefined ? 1 : 0),
      totals: { [data.sampleType.type]: total },
    }),
  },
});

/** `--base`: the inputs (summed) minus the base. */
async function diffFlameOf(run: Run<FlamegraphOptions>, basePath: string, filters: TreeOptions): Promise<{ data: FlameData; total: number }> {
  const inputs = run.args;
  // Profiles only: no per-site lifetimes, exact sizes or peak sites to compute.
  const [base, ...rest] = await run.load([basePath, ...inputs], { parts: [] });
  const input = sumProfiles(rest.map((l) => l.profile));
  run.warnMixed(summedInputs([input.meta]));
  const type = commonSampleType([input, base.profile], run.options.sampleType);
  run.warn(seriesWarnings([base.profile, input], 'pair'));
  const total = input.total(input.sampleTypeIndex(type.type));
  const data: FlameData = {
    ...diffFlame(base.profile, input, type, filters),
    title: run.options.title ?? `heapscope diff: ${inputsLabel(inputs)} − ${inputsLabel([basePath])}`,
    subtitle: `${describeSampleType(type)}: base ${formatValue(base.profile.total(base.profile.sampleTypeIndex(type.type)), type.unit)} → ${formatValue(total, type.unit)}`,
  };
  return { data, total };
}

/** `--growth`: a series, coloured by each frame's slope. */
async function growthFlameOf(run: Run<FlamegraphOptions>, filters: TreeOptions): Promise<{ data: FlameData; total: number }> {
  const { profiles: series, how } = await loadSeries(run, run.args, 'flamegraph --growth');
  if (series.length < 2) throw new UsageError('--growth needs at least two points');
  const type = commonSampleType(series, run.options.sampleType);
  const last = series[series.length - 1];
  const data: FlameData = {
    ...growthFlame(series, type, filters),
    title: run.options.title ?? `heapscope growth: ${inputsLabel(run.args)}`,
    subtitle: `${describeSampleType(type)} over ${how}`,
  };
  return { data, total: last.total(last.sampleTypeIndex(type.type)) };
}

/** The inputs, summed. */
async function plainFlameOf(run: Run<FlamegraphOptions>, filters: TreeOptions): Promise<{ data: FlameData; total: number }> {
  // Profiles only: no per-site lifetimes, exact sizes or peak sites to compute.
  const loaded = await run.load(run.args, { parts: [] });
  const profile = sumProfiles(loaded.map((l) => l.profile));
  run.warnMixed(summedInputs([profile.meta]));
  run.warn(summedDumpsWarnings(loaded.map((l) => l.profile.meta)));
  const type = commonSampleType([profile], run.options.sampleType);
  const data = plainFlameData(profile, run.args, type, filters, run.options.title);
  return { data, total: profile.total(profile.sampleTypeIndex(type.type)) };
}
