/**
 * Reconciling an external symbolizer's answer for one address (addr2line's
 * or llvm-symbolizer's chain of inlined frames, from DWARF) with the ELF
 * symbol table's (one function per address, our choice among aliases).
 */
import { looksMangled, type RawFrame } from './external-tools.js';
import type { ElfSymbolTable } from './symbol-table.js';

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

/**
 * Names a chain of frames for `address` (innermost first) consistently with
 * the symbol table's function there, whose names (`symbols.aliases`) are
 * all aliases of one address:
 *
 * - A frame and its parent that are both names of that function are one
 *   frame: glibc's DWARF describes a function with a hidden alias as the
 *   alias inlined into the public name (`__GI__IO_doallocbuf` in
 *   `_IO_doallocbuf`, `_IO_new_file_xsputn` in `_IO_file_xsputn`), which
 *   would otherwise be two frames and two rows. The frame keeps the inner
 *   frame's line (where in the function the address is) and the parent's name.
 * - An inlined innermost frame named after the function it is inlined into
 *   is addr2line's stand-in for an inlined function whose DWARF name it did
 *   not find (a member of a class in an anonymous namespace): its name is
 *   unknown (`??`), its file and line stay.
 * - The outermost frame is the function itself: when DWARF names it by an
 *   alias, or by the bare name (`grow`) of the C++ function whose linkage
 *   name is the symbol (`_ZN2hs12_GLOBAL__N_17Polygon4growEi`), the symbol
 *   table's name is used, so that both external tools name it alike.
 *
 * Why by address and not by name patterns (`__GI_`): aliases are whatever
 * the file defines at one address, in any library.
 */
export function nameByAddress(frames: RawFrame[], symbols: ElfSymbolTable, address: number): RawFrame[] {
  if (frames.length === 0) return frames;
  const i = symbols.lookup(address);
  if (i < 0) return frames;
  const aliases = new Set(symbols.aliases(i));
  // llvm-symbolizer may name a frame with its symbol version (`_IO_file_xsputn@@GLIBC_2.2.5`).
  const isAlias = (name: string) => aliases.has(withoutVersion(name));
  const out: RawFrame[] = [];
  for (const f of frames) {
    const inner = out[out.length - 1];
    if (inner && isAlias(inner.name) && isAlias(f.name)) out[out.length - 1] = { ...inner, name: f.name };
    else out.push(f);
  }
  if (out.length > 1 && isAlias(out[0].name)) out[0] = { ...out[0], name: '??' };
  const last = out.length - 1;
  const own = symbols.name(i);
  const outer = out[last].name;
  if (outer !== own && (isAlias(outer) || (looksMangled(own) && !looksMangled(outer) && encodes(own, outer)))) {
    out[last] = { ...out[last], name: own };
  }
  return out;
}

function withoutVersion(name: string): string {
  const at = name.indexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}

/**
 * Whether the mangled name `mangled` holds the source name `bare` (`grow` in
 * `…4growEi`; template arguments aside). A destructor `~Circle` is its
 * class's name followed by a destructor code (`…6CircleD0Ev`, `D1`, `D2`).
 */
function encodes(mangled: string, bare: string): boolean {
  const angle = bare.indexOf('<');
  const name = angle > 0 ? bare.slice(0, angle) : bare;
  if (name.startsWith('~')) return /^~[A-Za-z_][A-Za-z0-9_]*$/.test(name) && new RegExp(`${name.length - 1}${name.slice(1)}D[012]E`).test(mangled);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && mangled.includes(`${name.length}${name}`);
}

/**
 * Gives inlined frames the names DWARF's tree gives them (`dwarf`, from
 * dwarf-names.ts, innermost first) where the external tool printed only a
 * bare `DW_AT_name` (`allocate`) or addr2line's unknown-name stand-in (`??`
 * after {@link nameByAddress}): GCC writes no linkage name for a function of
 * internal linkage, and both tools then fall back to the short name, so that
 * every class's `allocate` would be one row.
 *
 * Why only when both chains have the same depth: the frames are then the
 * same functions level by level; a chain that differs (aliases collapsed,
 * DWARF this reader did not cover) keeps the tool's names. A frame is renamed
 * only when its name is the DIE's own short name, so a tool that already
 * qualified it is left alone.
 */
export function qualifyInlined(frames: RawFrame[], dwarf: readonly { shortName: string; name: string }[]): RawFrame[] {
  if (frames.length !== dwarf.length) return frames;
  let out: RawFrame[] | null = null;
  // The outermost frame is the function itself, named by nameByAddress.
  for (let i = 0; i < frames.length - 1; i++) {
    const f = frames[i];
    const d = dwarf[i];
    if (d.name === '' || d.name === f.name || looksMangled(f.name)) continue;
    if (f.name !== '??' && f.name !== d.shortName) continue;
    out ??= frames.slice();
    out[i] = { ...f, name: d.name };
  }
  return out ?? frames;
}
