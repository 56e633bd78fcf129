/**
 * `heapscope convert --to pprof|speedscope|collapsed|svg|html -o FILE <input...>`:
 * hands a profile to the tools people already use. Several inputs are
 * summed first; event traces convert as their final profile (allocated
 * over the trace, live at the end).
 */
import { extname } from 'node:path';
import { Option } from 'commander';
import { commonSampleType, sumProfiles, summedDumpsWarnings, summedInputs } from '@heapscope/analyzer';
import type { HeapProfile, ValueType } from '@heapscope/parser';
import { command, type WrittenFile } from '../command.js';
import { UsageError } from '../io.js';
import {
  commonOptions,
  hasStackFilters,
  inputOptions,
  orientationOption,
  sampleTypeOption,
  stackFilterOptions,
  titleOption,
  treeByOption,
  treeOptions,
  widthOption,
  type InputOptions,
  type SharedOptions,
  type TreeFilterOptions,
} from '../options.js';
import type { Run } from '../run.js';
import { jsonText } from '../terminal-text.js';
import { encodePprof } from '../render/pprof.js';
import { toSpeedscope } from '../render/speedscope.js';
import { toCollapsed } from '../render/collapsed.js';
import { renderFlame, type Orientation } from '../render/flamegraph.js';
import { VERSION } from '../version.js';
import { inputsLabel } from '../labels.js';
import { plainFlameData, warnNegative } from '../flame-words.js';
import { totalsOf } from '../written.js';
import { counted } from '@heapscope/parser';

type Target = 'pprof' | 'speedscope' | 'collapsed' | 'svg' | 'html';
const TARGETS: readonly Target[] = ['pprof', 'speedscope', 'collapsed', 'svg', 'html'];

interface ConvertOptions extends InputOptions, TreeFilterOptions, SharedOptions {
  to?: Target;
  orientation: Orientation;
  title?: string;
  width?: number;
}

/** The target format from `--to`, or from the output file's name. */
function targetOf(to: Target | undefined, output: string | undefined): Target {
  if (to) return to;
  const name = (output ?? '').toLowerCase();
  if (/\.(pb|pb\.gz|pprof|prof)$/.test(name)) return 'pprof';
  if (/\.speedscope\.json$|\.json$/.test(name)) return 'speedscope';
  if (/\.(collapsed|folded)$/.test(name)) return 'collapsed';
  const ext = extname(name);
  if (ext === '.svg') return 'svg';
  if (ext === '.html' || ext === '.htm') return 'html';
  throw new UsageError(`give --to ${TARGETS.join('|')}${output ? ` (cannot tell the format from "${output}")` : ''}`);
}

interface Converted {
  target: Target;
  profile: HeapProfile;
  type: ValueType;
}

export const convertCommand = command<ConvertOptions, Converted>({
  name: 'convert',
  summary: 'convert to pprof, speedscope, collapsed stacks, or an SVG/HTML flamegraph',
  args: [['<input...>', 'heap dumps or traces (several are summed; - for stdin)']],
  options: [
    new Option('--to <format>', 'output format (default: from the -o file name)').choices([...TARGETS]),
    sampleTypeOption('collapsed, svg, html: the sample type drawn; speedscope: the profile shown first; pprof: the default sample type'),
    orientationOption('svg, html: flame (root at the bottom) or icicle (root at the top)'),
    titleOption('svg, html: title; speedscope: profile name'),
    widthOption('svg: width in pixels (default 1200)'),
    ...commonOptions('write the converted profile to FILE (- for stdout): a file is written whole or not at all, a device or FIFO in place'),
    ...inputOptions(),
    treeByOption('collapsed, speedscope, svg, html: frames by function, or by function and source line (file:line where the input has lines)'),
    ...stackFilterOptions(),
  ],
  help: `
pprof is gzipped protobuf with every sample type, functions, locations with
inlined frames, mappings, thread labels and the sampling period: read it
with "go tool pprof" (or heapscope). speedscope files hold one profile per
sample type (an event trace as its final profile: speedscope's evented
profiles cannot hold allocation events, see docs/cli.md). collapsed stacks
("root;...;site value") feed flamegraph.pl. --by line names frames by
function and file:line.
The filters (--focus, --ignore, --hide, --thread) apply to every format but
pprof, which keeps the whole profile (use pprof's own -focus/-ignore/-hide).
With --format json, -o FILE is needed: the JSON on stdout says what was
written (path, format, bytes, profiles, totals).

Examples:
  $ heapscope convert --to pprof -o heap.pb.gz jeprof.1234.5.f.heap
  $ go tool pprof -top heap.pb.gz
  $ heapscope convert -o heap.speedscope.json dump.heap
  $ heapscope convert --to collapsed -t alloc_space dump.heap | flamegraph.pl > fg.svg`,
  async analyze(run) {
    const o = run.options;
    const target = targetOf(o.to, o.output);
    if (target === 'pprof') {
      // Binary output never goes to a terminal.
      if (run.output.isTerminal) throw new UsageError('pprof output is binary: give -o FILE (or redirect standard output)');
      if (hasStackFilters(o)) throw new UsageError("filters do not apply to pprof output (it keeps the whole profile); use pprof's own -focus, -ignore and -hide");
      if (o.by === 'line') throw new UsageError("--by line does not apply to pprof output (it keeps every line); use pprof's own -lines");
    }
    if (target === 'html' && run.output.isTerminal) throw new UsageError('HTML output would go to the terminal: give -o FILE.html');
    // Profiles only: no per-site lifetimes, exact sizes or peak sites to compute.
    const loaded = await run.load(run.args, { parts: [] });
    const profile = sumProfiles(loaded.map((l) => l.profile));
    run.warnMixed(summedInputs([profile.meta]));
    run.warn(summedDumpsWarnings(loaded.map((l) => l.profile.meta)));
    return { target, profile, type: commonSampleType([profile], o.sampleType) };
  },
  output: { kind: 'file', file: (c, run) => convert(c, run) },
});

/** The converted file. */
function convert({ target, profile, type }: Converted, run: Run<ConvertOptions>): WrittenFile {
  const o = run.options;
  const inputs = run.args;
  const filters = treeOptions(o);
  const written = (data: string | Uint8Array, totals: Record<string, number> = totalsOf(profile)): WrittenFile => ({ format: target, data, profiles: inputs.length, totals });
  switch (target) {
    case 'pprof': {
      const withDefault = o.sampleType ? profile.with({ defaultSampleType: type.type }) : profile;
      return written(encodePprof(withDefault, { comments: [`heapscope ${VERSION} convert ${inputs.join(' ')}`] }));
    }
    case 'speedscope': {
      const { file, negative } = toSpeedscope(profile, { title: o.title ?? inputsLabel(inputs), exporter: `heapscope ${VERSION}`, filters, activeType: type.type });
      for (const [t, n] of Object.entries(negative)) run.warn([`${counted(n, 'call path')} with a negative ${t} ${n === 1 ? 'was' : 'were'} left out of the speedscope profile`]);
      return written(jsonText(file));
    }
    case 'collapsed': {
      const collapsed = toCollapsed(profile, profile.sampleTypeIndex(type.type), filters);
      if (collapsed.negative > 0) run.warn([`${counted(collapsed.negative, 'call path')} with a negative ${type.type} ${collapsed.negative === 1 ? 'was' : 'were'} left out`]);
      return written(collapsed.text, { [type.type]: profile.total(profile.sampleTypeIndex(type.type)) });
    }
    case 'svg':
    case 'html': {
      const data = plainFlameData(profile, inputs, type, filters, o.title);
      warnNegative(run, data);
      return written(renderFlame(data, target, o.orientation, o.width), { [type.type]: profile.total(profile.sampleTypeIndex(type.type)) });
    }
  }
}
