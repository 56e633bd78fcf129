/** A row of values as one line of block characters (▁…█), for series too long to print. */
const BLOCKS = '▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (max === min) return BLOCKS[0].repeat(values.length);
  return values.map((v) => BLOCKS[Math.min(7, Math.floor(((v - min) / (max - min)) * 8))]).join('');
}
