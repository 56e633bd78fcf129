/**
 * How the CLI names its inputs in titles (flamegraphs, speedscope profiles).
 */

/** Display name of a list of inputs: their file names, or the first and last of a long list. */
export function inputsLabel(inputs: readonly string[]): string {
  const short = inputs.map((i) => i.replace(/.*\//, ''));
  return short.length <= 3 ? short.join(', ') : `${short[0]} … ${short[short.length - 1]} (${short.length} inputs)`;
}
