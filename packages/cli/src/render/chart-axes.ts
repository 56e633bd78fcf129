/**
 * Axes shared by the SVG charts (line-chart.ts, memory-chart.ts): nice
 * steps for the value axis and the x axis' ticks, by time or by point.
 */

/** A tick step of 1, 2 or 5 × a power of 1024 (bytes; `binary`) or of 10, and the top of the axis. */
export function niceScale(max: number, binary = true): { step: number; top: number } {
  const unit = !binary ? 1 : max >= 1024 ** 3 ? 1024 ** 3 : max >= 1024 ** 2 ? 1024 ** 2 : max >= 1024 ? 1024 : 1;
  const inUnits = max / unit;
  const raw = inUnits / 5;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const mult = [1, 2, 5, 10].find((m) => m * pow >= raw) ?? 10;
  const step = mult * pow * unit;
  return { step, top: Math.ceil(max / step) * step };
}

/** At most this many x-axis intervals (labels of ~8 characters fit about 100 px apart). */
export const MAX_X_TICKS = 8;

/** The smallest 1, 2 or 5 × 10^exponent step that cuts `range` into at most `maxTicks` intervals. */
export function niceStep(range: number, maxTicks: number): { step: number; exponent: number } {
  if (!(range > 0)) return { step: 1, exponent: 0 };
  const raw = range / maxTicks;
  let exponent = Math.floor(Math.log10(raw));
  let mult = [1, 2, 5, 10].find((m) => m * 10 ** exponent >= raw * (1 - 1e-12)) ?? 10;
  if (mult === 10) {
    mult = 1;
    exponent += 1;
  }
  return { step: mult * 10 ** exponent, exponent };
}

/**
 * The x-axis ticks. By time: offsets from the first point (seconds) at a
 * nice step of the run's span, labelled in µs, ms or s as the span asks,
 * with as many decimals as the step has, so no two labels are equal. By
 * point: `range` is the last position (points − 1); ticks at point numbers
 * (1 is the first) at a nice whole step.
 */
export function xTicks(range: number, byTime: boolean): { value: number; label: string }[] {
  if (!byTime) {
    const count = Math.round(range) + 1;
    const whole = Math.max(1, Math.round(niceStep(Math.max(1, count - 1), MAX_X_TICKS).step));
    const points = [1];
    for (let k = whole; k <= count; k += whole) if (k > 1) points.push(k);
    return points.map((k) => ({ value: k - 1, label: String(k) }));
  }
  if (!(range > 0)) return [{ value: 0, label: '0 s' }];
  const unit = range < 1e-3 ? { name: 'µs', scale: 1e6 } : range < 1 ? { name: 'ms', scale: 1e3 } : { name: 's', scale: 1 };
  const { step, exponent } = niceStep(range * unit.scale, MAX_X_TICKS);
  const decimals = Math.max(0, -exponent);
  const ticks: { value: number; label: string }[] = [];
  for (let k = 0; k * step <= range * unit.scale * (1 + 1e-9); k++) {
    ticks.push({ value: (k * step) / unit.scale, label: `${(k * step).toFixed(decimals)} ${unit.name}` });
  }
  return ticks;
}

/** Text made safe in SVG/XML text and attributes. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}


/** Ticks over a count (operations): a nice step of the range, labelled `250k`, `1.5M`. */
export function countTicks(range: number): { value: number; label: string }[] {
  const { step } = niceStep(range, MAX_X_TICKS);
  const whole = Math.max(1, step);
  const ticks: { value: number; label: string }[] = [];
  for (let v = 0; v <= range * (1 + 1e-9); v += whole) ticks.push({ value: v, label: shortCount(v) });
  return ticks;
}

/** `950`, `12k`, `1.5M`: counts short enough for an axis. */
export function shortCount(v: number): string {
  const a = Math.abs(v);
  const [scale, suffix] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const n = v / scale;
  return `${Number.isInteger(n) ? n : n.toFixed(Math.abs(n) >= 10 ? 0 : 1)}${suffix}`;
}
