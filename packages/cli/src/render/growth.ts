/**
 * The text of a `growth` report: the verdict, the points, and per site its
 * delta, slope, fit, trend and values (a sparkline for long series); on
 * sampled dumps, each delta's and slope's sampling noise (±).
 */
import { PLUS_MINUS_EXACT, formatPlusMinus, formatValue, type GrowthReport } from '@heapscope/analyzer';
import { nameHeader, renderTable } from './table.js';
import { sparkline } from './sparkline.js';

function signed(value: number, unit: string): string {
  return `${value > 0 ? '+' : ''}${formatValue(value, unit)}`;
}

/** The text of a growth report; `how` says how the points were chosen and ordered. */
export function renderGrowth(r: GrowthReport, how: string, by = 'function'): string {
  let out = `${r.verdict}\n`;
  const point = (i: number) => `${i + 1}=${r.labels[i].replace(/.*\//, '')}`;
  // A long series names its first and last points only.
  const points = r.points <= 6 ? r.labels.map((_, i) => point(i)).join(' ') : `${point(0)} … ${point(r.points - 1)}`;
  out += `${r.sampleType}, ${how}: ${points}\n\n`;
  const inline = r.points <= 6;
  // Noise is 0 throughout when every allocation was recorded: no ± columns then.
  const sampled = r.rows.some((row) => row.noise > 0 || row.slopeNoise > 0);
  const pm = (v: number) => formatPlusMinus(v, r.unit);
  const rows = r.rows.map((row) => [
    signed(row.delta, r.unit) + (row.withinNoise ? '~' : ''),
    ...(sampled ? [pm(row.noise)] : []),
    signed(row.slope, r.unit),
    ...(sampled ? [pm(row.slopeNoise)] : []),
    row.r2.toFixed(2),
    row.trend,
    inline ? row.values.map((v) => formatValue(v, r.unit)).join(' → ') : `${formatValue(row.values[0], r.unit)} ${sparkline(row.values)} ${formatValue(row.values[row.values.length - 1], r.unit)}`,
    row.name,
  ]);
  out += renderTable(
    [
      { header: 'delta', align: 'right' },
      ...(sampled ? [{ header: '±', align: 'right' as const }] : []),
      { header: 'slope/pt', align: 'right' },
      ...(sampled ? [{ header: '±', align: 'right' as const }] : []),
      { header: 'r²', align: 'right' },
      { header: 'trend', align: 'left' },
      { header: 'values', align: 'left' },
      { header: nameHeader(by), align: 'left' },
    ],
    rows,
  );
  // A row of zeros is plainly exact; the note is for a blank beside a value.
  const exact = r.rows.some((row) => row.values.some((v) => v !== 0) && (row.noise === 0 || row.slopeNoise === 0));
  if (sampled) out += `\n± one standard deviation of sampling noise on the delta, and one standard error on the slope${exact ? `; ${PLUS_MINUS_EXACT}` : ''}\n`;
  if (r.rows.some((row) => row.withinNoise)) out += (sampled ? '' : '\n') + '~ the change is within the sampling noise (2 standard deviations) of these sampled dumps\n';
  return out;
}
