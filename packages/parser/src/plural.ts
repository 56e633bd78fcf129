/**
 * Nouns after counts in messages and reports: "1 free", "2 frees",
 * "1 location", "0 locations". One rule for every package, so that no
 * message says "1 frees".
 */

/**
 * `word` when `count` reads as one (as a whole number, the way counts are
 * printed: 1.2 objects read "1 object"), `words` (default `word` + "s")
 * otherwise.
 */
export function plural(count: number, word: string, words = `${word}s`): string {
  return Math.abs(Math.round(count)) === 1 ? word : words;
}

/** `count` and its noun: "1 free", "3 frees", "1 stack frame". */
export function counted(count: number, word: string, words?: string): string {
  return `${count} ${plural(count, word, words)}`;
}
