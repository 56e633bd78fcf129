/**
 * The text of an `info` report: per input, its format, sampling, sizes,
 * sample types, totals, trace figures, stacks, locations, process and
 * warnings.
 */
import { formatWarning, plural } from '@heapscope/parser';
import { formatBytes, formatCount, formatDuration, formatValue, type InputInfo } from '@heapscope/analyzer';
import { peakWhen } from './peak.js';

/** One sampling in words. */
function samplingText(model: string, periodBytes: number): string {
  switch (model) {
    case 'none':
      return 'every allocation recorded';
    case 'poisson':
      return periodBytes <= 1 ? 'every allocation recorded' : `Poisson, on average 1 sample per ${formatBytes(periodBytes)} allocated`;
    default:
      return `uniform, 1 in ${formatBytes(periodBytes)}`;
  }
}

function describeSampling(info: InputInfo): string {
  const variant = info.variant ? ` (${info.variant})` : '';
  if (info.samplingModel === 'mixed' && info.merged) {
    const each = info.merged.samplings.map((s) => samplingText(s.model, s.periodBytes)).join('; ');
    return `mixed: the inputs were sampled differently (${each}); each input's values were unsampled by its own sampling`;
  }
  const text = samplingText(info.samplingModel, info.samplingPeriod);
  return text === 'every allocation recorded' ? `${text}${variant}` : `${text}; values unsampled${variant}`;
}

/** What a sum of inputs was made of. */
function describeMerged(info: InputInfo): string {
  const m = info.merged!;
  const processes = m.pids.length === 0 ? '' : `, ${m.pids.length === 1 ? `pid ${m.pids[0]}` : `${m.pids.length} processes`}`;
  return `a sum of ${formatCount(m.count)} inputs: ${m.formats.join(', ')}${processes}`;
}

const SIZE_KINDS: Record<string, string> = {
  exact: 'exact requested sizes',
  'average-requested': 'average requested size per stack',
  'average-usable': 'average size per stack, in allocator size classes (usable size, not requested)',
};

/** Rows that only event traces have. */
function traceRows(info: InputInfo): [string, string][] {
  const t = info.trace;
  if (!t || !info.peak) return [];
  const ops = Object.entries(t.ops)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${formatCount(n)}`)
    .join(', ');
  const span = t.firstTimeNs !== null && t.lastTimeNs !== null ? `, ${((t.lastTimeNs - t.firstTimeNs) / 1e9).toFixed(3)} s` : ', no timestamps';
  return [
    ['events', `${formatCount(t.events)}${span} (${ops})`],
    ['live at end', `${formatBytes(t.liveBytes)} in ${formatCount(t.liveObjects)} ${plural(t.liveObjects, 'block')}`],
    ['peak', `${formatBytes(info.peak.bytes)} in ${formatCount(info.peak.objects)} ${plural(info.peak.objects, 'block')} ${peakWhen(info.peak)}`],
    ['temporary', `${formatCount(t.temporary)} ${plural(t.temporary, 'allocation')} freed by the very next allocation event`],
  ];
}

/** How a heap profile was recorded: its sampling, what it is a sum of, and what its sizes are. */
function heapRows(info: InputInfo): [string, string][] {
  return [
    ['sampling', describeSampling(info)],
    ...(info.merged ? [['merged', describeMerged(info)] as [string, string]] : []),
    ['sizes', info.sizeKind === 'mixed' && info.merged ? `mixed: ${info.merged.sizeKinds.map((k) => SIZE_KINDS[k] ?? k).join('; ')}` : SIZE_KINDS[info.sizeKind] ?? info.sizeKind],
  ];
}

/** What a CPU profile is, in place of the heap's rows: no sampling of bytes, no sizes, no peak. */
function cpuRows(info: InputInfo, cpu: NonNullable<InputInfo['cpuSamples']>): [string, string][] {
  const t = info.trace;
  const span = t && t.firstTimeNs !== null && t.lastTimeNs !== null ? ` over ${formatDuration(t.lastTimeNs - t.firstTimeNs)}` : '';
  const events = cpu.events.length > 0 ? ` of ${cpu.events.join(', ')}` : '';
  return [
    ['profile', `CPU samples${events}: ${formatCount(cpu.records)} ${plural(cpu.records, 'record')}${span}; no heap events`],
    ['heap', 'none: sizes, peak and churn need malloc/free records (perf probe on malloc and free, docs/formats.md#perf-script)'],
  ];
}

/** The text of one input's `info`. */
export function renderInfo(info: InputInfo): string {
  const totals = info.sampleTypes
    .map((t) => `${t} ${formatValue(info.totals[t], t.endsWith('space') ? 'bytes' : 'count')}`)
    .join(', ');
  const process = [info.pid !== null ? `pid ${info.pid}` : '', info.dumpSeq !== null ? `dump #${info.dumpSeq}` : '', info.dumpKind ? `kind ${info.dumpKind}` : '']
    .filter(Boolean)
    .join(', ');
  const cpu = info.cpuSamples;
  const stacks = info.stacks === null ? 'none recorded (the trace has no stacks)' : `${formatCount(info.stacks)} distinct`;
  const rows: [string, string][] = [
    ['format', info.format],
    ...(cpu ? cpuRows(info, cpu) : heapRows(info)),
    ['sample types', `${info.sampleTypes.join(', ')} (default ${info.defaultSampleType})`],
    ['totals', totals],
    ...(cpu ? [] : traceRows(info)),
    ['stacks', `${stacks}, ${formatCount(info.samples)} ${plural(info.samples, 'sample')}, ${formatCount(info.threads)} ${plural(info.threads, 'thread')}`],

    ['locations', `${formatCount(info.locations)} (${formatCount(info.symbolizedLocations)} symbolized), ${formatCount(info.mappings)} mappings`],
    ['process', process || '-'],
    ['warnings', info.warnings.length === 0 ? 'none' : info.warnings.map((w) => formatWarning(w)).join('\n                 ')],
  ];
  return `${info.file}\n${rows.map(([k, v]) => `  ${k.padEnd(13)}  ${v}\n`).join('')}`;
}
