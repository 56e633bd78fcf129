/**
 * How a location is shown: its source lines when symbolized (one frame per
 * inlined function, innermost first), else `module+0xoffset` — never dropped.
 */
import { basename } from 'node:path';
import type { HeapProfile } from '@heapscope/parser';

/** One displayed frame of a location. */
export interface DisplayFrame {
  /** Function name, or `module+0xoffset` / `0xaddress` when unresolved. */
  name: string;
  /** Source file, '' when unknown. */
  file: string;
  line: number;
  /** Basename of the mapping's file, '' when unknown. */
  module: string;
  /** True for a frame inlined into its caller (every line of a location but the last). */
  inlined: boolean;
  /** False when the location has no symbol information. */
  resolved: boolean;
}

/** Display frames for every location, computed once per profile. */
export class FrameNames {
  private readonly cache: (DisplayFrame[] | undefined)[];

  constructor(private readonly profile: HeapProfile) {
    this.cache = new Array(profile.locations.length);
  }

  /** The frames of location `loc`, innermost first (length ≥ 1). */
  frames(loc: number): DisplayFrame[] {
    let frames = this.cache[loc];
    if (!frames) {
      frames = computeFrames(this.profile, loc);
      this.cache[loc] = frames;
    }
    return frames;
  }

  /** Module (mapping basename) of a location, '' when unknown. */
  module(loc: number): string {
    const m = this.profile.locations.mapping[loc];
    return m >= 0 ? basename(this.profile.mappings[m].path) : '';
  }
}

function computeFrames(p: HeapProfile, loc: number): DisplayFrame[] {
  const { lineStart, lineFunction, lineNumber, mapping } = p.locations;
  const m = mapping[loc];
  const module = m >= 0 ? basename(p.mappings[m].path) : '';
  const start = lineStart[loc];
  const end = lineStart[loc + 1];
  if (end > start) {
    const out: DisplayFrame[] = [];
    for (let k = start; k < end; k++) {
      const fn = lineFunction[k];
      out.push({
        name: p.strings[p.functions.name[fn]] || unresolvedName(p, loc),
        file: p.strings[p.functions.fileName[fn]],
        line: lineNumber[k],
        module,
        inlined: k < end - 1,
        resolved: true,
      });
    }
    return out;
  }
  return [{ name: unresolvedName(p, loc), file: '', line: 0, module, inlined: false, resolved: false }];
}

/** `module+0xoffset` (offset into the mapped file) or `0xaddress` without a mapping. */
export function unresolvedName(p: HeapProfile, loc: number): string {
  const m = p.locations.mapping[loc];
  if (m < 0) return p.addressHex(loc);
  const mapping = p.mappings[m];
  const offset = p.address(loc) - mapping.start + mapping.fileOffset;
  const module = basename(mapping.path) || `[anon:${mapping.start.toString(16)}]`;
  return `${module}+0x${offset.toString(16)}`;
}
