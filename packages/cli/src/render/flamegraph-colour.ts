/**
 * Flamegraph colours, shared by the SVG and HTML renderers.
 *
 * - Plain flamegraphs: warm colours (reds, oranges, yellows) picked from a
 *   hash of the function name, so a function keeps its colour across
 *   frames, runs and files; frames without symbols (`module+0x…`) and
 *   `(no stack)` are grey.
 * - Diff and growth flamegraphs: a signed value in [-1, 1] from neutral grey
 *   to red (grew) or blue (shrank), quantized to {@link SCALE_STEPS} steps
 *   on each side.
 */

/** Steps of the signed scale on each side of neutral. */
export const SCALE_STEPS = 20;

/** FNV-1a hash of a string, as three numbers in [0, 1). */
function hash3(text: string): [number, number, number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const a = (h >>> 0) / 0x100000000;
  const b = ((Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0) % 1000) / 1000;
  const c = ((Math.imul(h ^ (h >>> 7), 0x27d4eb2d) >>> 0) % 1000) / 1000;
  return [a, b, c];
}

/** Whether a frame name is an unresolved address (`module+0x1f4`, `0x7f…`) or a placeholder. */
export function isUnresolvedName(name: string): boolean {
  return /\+0x[0-9a-f]+$|^0x[0-9a-f]+$/.test(name) || name.startsWith('(');
}

/** The fill colour of a function in a plain flamegraph. */
export function nameColour(name: string): string {
  const [a, b, c] = hash3(name);
  if (isUnresolvedName(name)) {
    const grey = Math.round(175 + 40 * a);
    return `rgb(${grey},${grey},${Math.min(255, grey + 10)})`;
  }
  return `rgb(${Math.round(205 + 50 * a)},${Math.round(80 + 150 * b)},${Math.round(20 + 50 * c)})`;
}

/** Index into {@link signedPalette} of a value in [-1, 1]. */
export function signedStep(value: number): number {
  const v = Math.max(-1, Math.min(1, Number.isFinite(value) ? value : 0));
  return Math.round(v * SCALE_STEPS) + SCALE_STEPS;
}

/** Colours of the signed scale: index 0 = -1 (deepest blue), {@link SCALE_STEPS} = neutral, 2·steps = +1 (deepest red). */
export function signedPalette(): string[] {
  const out: string[] = [];
  for (let i = -SCALE_STEPS; i <= SCALE_STEPS; i++) {
    const k = Math.abs(i) / SCALE_STEPS;
    if (i > 0) out.push(`rgb(${Math.round(235 + 20 * k)},${Math.round(235 - 190 * k)},${Math.round(235 - 190 * k)})`);
    else if (i < 0) out.push(`rgb(${Math.round(235 - 190 * k)},${Math.round(235 - 120 * k)},${Math.round(235 + 20 * k)})`);
    else out.push('rgb(235,235,235)');
  }
  return out;
}
