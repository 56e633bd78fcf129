/**
 * The inverted and sandwich views of a call tree (call-tree-views.ts), on a
 * hand-built profile with recursion: every path's value where it belongs,
 * a recursive function counted once, both halves of a sandwich holding the
 * function's cumulative value (what `top` reports as cum); source lines per
 * node, and `--by line` keys.
 */
import { describe, expect, it } from 'vitest';
import { withLocationLines } from '@heapscope/parser';
import { FrameTreeBuilder, invertTree, lineKeyName, plainFlame, sandwichTrees, top as topReport, type FrameTree, type TreeColumns } from '@heapscope/analyzer';
import { buildProfile } from '@heapscope/testkit/build-profile';
import { INUSE_SPACE } from '@heapscope/parser';

const PROFILE = buildProfile([
  { stack: ['malloc', 'c', 'b', 'a', 'main'], bytes: 10 },
  { stack: ['malloc', 'b', 'a', 'main'], bytes: 20 },
  { stack: ['malloc', 'c', 'main'], bytes: 5 },
  { stack: ['malloc', 'b', 'c', 'b', 'main'], bytes: 7 },
]);

/** Root-first paths (the root itself left out) with their self values. */
function paths(cols: TreeColumns, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let n = 1; n < cols.parent.length; n++) {
    if (cols.self[n] === 0) continue;
    const path: string[] = [];
    for (let k = n; k > 0; k = cols.parent[k]) path.unshift(names[cols.name[k]]);
    out[path.join(';')] = (out[path.join(';')] ?? 0) + cols.self[n];
  }
  return out;
}

function columns(tree: FrameTree): TreeColumns {
  return { parent: tree.parent, name: tree.name, self: tree.self[0] };
}

describe('call tree views', () => {
  const flame = plainFlame(PROFILE, INUSE_SPACE);
  const tree = flame.tree;
  const top = columns(tree);

  it('inverts a tree: call sites first, then their callers, each path once with its value', () => {
    expect(paths(invertTree(top), tree.names)).toEqual({ 'c;b;a;main': 10, 'b;a;main': 20, 'c;main': 5, 'b;c;b;main': 7 });
  });

  it("gives a function's callers and callees, counting a recursive function once", () => {
    const b = tree.names.indexOf('b');
    const { callers, callees } = sandwichTrees(top, b);
    expect(callers.name[0]).toBe(b);
    expect(callees.name[0]).toBe(b);
    expect(paths(callees, tree.names)).toEqual({ c: 10, 'c;b': 7 });
    expect(callees.self[0]).toBe(20);
    expect(paths(callers, tree.names)).toEqual({ 'a;main': 30, main: 7 });
    const sum = (cols: TreeColumns) => Array.from(cols.self).reduce((s, v) => s + v, 0);
    // Both halves hold b's cumulative value, as top counts it.
    const cum = topReport([PROFILE], { sampleType: 'inuse_space' }).rows.find((r) => r.name === 'b')?.cum;
    expect(cum).toBe(37);
    expect(sum(callers)).toBe(37);
    expect(sum(callees)).toBe(37);
  });

  it('gives empty halves for a function no frame has', () => {
    const { callers, callees } = sandwichTrees(top, tree.names.length + 5);
    expect(callers.parent.length).toBe(1);
    expect(callees.parent.length).toBe(1);
  });

  it('keeps the source line of each node, -1 where merged frames differ, and keys frames by line on request', () => {
    const lines: Record<string, [string, number]> = { c: ['src/c.c', 3], b: ['src/b.c', 12], a: ['src/a.c', 7], main: ['src/main.c', 40] };
    // b reached from a at line 12 and from c at line 99: two b nodes, each with its line.
    const p = buildProfile([
      { stack: ['malloc', 'b', 'a', 'main'], bytes: 20 },
      { stack: ['malloc', 'b2', 'c', 'main'], bytes: 7 },
      { stack: ['malloc', 'b', 'main'], bytes: 1 },
      { stack: ['malloc', 'b2', 'main'], bytes: 2 },
    ]);
    // The same locations with files and lines; b2 is b called at another line.
    const named = withLocationLines(p, (l) => {
      const fn = p.strings[p.functions.name[p.locations.lineFunction[p.locations.lineStart[l]]]];
      if (fn === 'b2') return [{ name: 'b', file: 'src/b.c', line: 99 }];
      const [file, line] = lines[fn] ?? ['', 0];
      return [{ name: fn, file, line }];
    });
    const byFunction = new FrameTreeBuilder(1);
    byFunction.add(named, [{ typeIndex: 1, channel: 0 }]);
    const t = byFunction.finish();
    const lineOf = (path: string) => {
      for (let n = 1; n < t.length; n++) {
        const names: string[] = [];
        for (let k = n; k > 0; k = t.parent[k]) names.unshift(t.names[t.name[k]]);
        if (names.join(';') === path) return t.line[n];
      }
      return undefined;
    };
    expect(lineOf('main;a;b')).toBe(12);
    expect(lineOf('main;c;b')).toBe(99);
    expect(lineOf('main;b')).toBe(-1); // lines 12 and 99 merged into one node
    expect(lineOf('main')).toBe(40);
    const byLine = new FrameTreeBuilder(1, { by: 'line' });
    byLine.add(named, [{ typeIndex: 1, channel: 0 }]);
    const l = byLine.finish();
    expect(paths(columns(l), l.names)).toEqual({
      'main main.c:40;a a.c:7;b b.c:12': 20,
      'main main.c:40;c c.c:3;b b.c:99': 7,
      'main main.c:40;b b.c:12': 1,
      'main main.c:40;b b.c:99': 2,
    });
    expect(lineKeyName('f', '', 0)).toBe('f');
    expect(lineKeyName('f', 'x.c', 0)).toBe('f');
    expect(lineKeyName('lib.so+0x10', '', 0)).toBe('lib.so+0x10');
  });
});
