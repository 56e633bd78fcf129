/**
 * Giving locations their source lines: the one operation that symbolizers
 * (ELF, addr2line, Go's `#` comments, Android `bt_info`) share.
 */
import { int32Column } from './columns.js';
import { PairIndex } from './pair-index.js';
import { StringTable } from './string-table.js';
import type { HeapProfile } from './profile.js';

/** One frame of a location: a function and where in it. Innermost first. */
export interface FrameInfo {
  /** Display (demangled) name. */
  name: string;
  /** Raw (mangled) name; defaults to `name`. */
  systemName?: string;
  file?: string;
  line?: number;
}

/**
 * A copy of `profile` in which each location for which `framesOf` returns
 * frames gets those lines (innermost first); other locations keep theirs.
 * Existing functions are kept and reused.
 */
export function withLocationLines(
  profile: HeapProfile,
  framesOf: (location: number) => readonly FrameInfo[] | undefined,
): HeapProfile {
  const strings = StringTable.from(profile.strings);
  const f = profile.functions;
  const index = new PairIndex(Math.max(16, f.length * 2));
  const name = int32Column(f.length + 16);
  const systemName = int32Column(f.length + 16);
  const fileName = int32Column(f.length + 16);
  const startLine = int32Column(f.length + 16);
  for (let i = 0; i < f.length; i++) {
    index.intern(f.name[i], f.fileName[i]);
    name.push(f.name[i]);
    systemName.push(f.systemName[i]);
    fileName.push(f.fileName[i]);
    startLine.push(f.startLine[i]);
  }
  const internFunction = (frame: FrameInfo): number => {
    const n = strings.intern(frame.name);
    const file = strings.intern(frame.file ?? '');
    const before = index.size;
    const id = index.intern(n, file);
    if (id === before) {
      name.push(n);
      systemName.push(strings.intern(frame.systemName ?? frame.name));
      fileName.push(file);
      startLine.push(0);
    }
    return id;
  };

  const loc = profile.locations;
  const lineStart = new Int32Array(loc.length + 1);
  const lineFunction = int32Column(loc.lineFunction.length + 16);
  const lineNumber = int32Column(loc.lineFunction.length + 16);
  for (let l = 0; l < loc.length; l++) {
    lineStart[l] = lineFunction.length;
    const frames = framesOf(l);
    if (frames && frames.length > 0) {
      for (const frame of frames) {
        lineFunction.push(internFunction(frame));
        lineNumber.push(frame.line ?? 0);
      }
    } else {
      for (let k = loc.lineStart[l]; k < loc.lineStart[l + 1]; k++) {
        lineFunction.push(loc.lineFunction[k]);
        lineNumber.push(loc.lineNumber[k]);
      }
    }
  }
  lineStart[loc.length] = lineFunction.length;
  return profile.with({
    strings: strings.strings,
    functions: {
      length: name.length,
      name: name.finish(),
      systemName: systemName.finish(),
      fileName: fileName.finish(),
      startLine: startLine.finish(),
    },
    locations: { ...loc, lineStart, lineFunction: lineFunction.finish(), lineNumber: lineNumber.finish() },
  });
}
