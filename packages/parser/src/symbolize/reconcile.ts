/**
 * Reconciling an external symbolizer's answer for one address (addr2line's
 * or llvm-symbolizer's chain of inlined frames, from DWARF) with the ELF
 * symbol table's (one function per address, our choice among aliases).
 */
import type { RawFrame } from './external-tools.js';

/**
 * Combines an external symbolizer's frames with the symbol table's answer.
 * An answer without any file (addr2line's `??`, llvm-symbolizer falling back
 * to the nearest symbol, even `_end` past the code) is no better than the
 * symbol table, whose choice among aliases is ours: the symbol table wins.
 * A DWARF chain whose outermost function has no name takes the symbol's;
 * when there is none either (line tables also cover the padding between
 * functions), the address is left unresolved: a location is resolved only
 * when its function is known.
 */
export function merge(external: RawFrame[], fromSymbols: RawFrame[]): RawFrame[] {
  if (!external.some((f) => f.file !== '')) return fromSymbols;
  const last = external.length - 1;
  if (external[last].name === '' && fromSymbols.length === 0) return fromSymbols;
  return external.map((f, i) => {
    if (f.name !== '') return f;
    return { ...f, name: i === last ? fromSymbols[0].name : '??' };
  });
}
