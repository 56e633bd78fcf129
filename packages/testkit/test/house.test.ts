/**
 * The house rules of the workspace, read from the sources themselves (the
 * imports TypeScript sees, `import type` included, so a cycle of types
 * counts too; docs/design.md#house-rules):
 * - no import cycle between the modules of the packages' sources;
 * - a package's sources import other packages by name only (never a path
 *   into another package, never a deep import), and only the packages their
 *   manifest depends on; those dependencies point one way;
 * - a test imports its own package's files, other packages by name, and the
 *   shared helpers as `@heapscope/testkit/<helper>` — never another
 *   package's folders;
 * - no source file is longer than 600 lines without saying why at its top;
 * - code cites the design and format documents of the repository, by
 *   anchors that exist (`docs/formats.md#record-allocs`), never documents
 *   outside it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '@heapscope/testkit/paths';

const PACKAGES = join(REPO, 'packages');

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/** The workspace's packages: directory name → manifest. */
function packages(): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  for (const dir of readdirSync(PACKAGES).sort()) {
    const manifest = join(PACKAGES, dir, 'package.json');
    if (existsSync(manifest)) out.set(dir, JSON.parse(readFileSync(manifest, 'utf8')) as Manifest);
  }
  return out;
}

/** TypeScript files under `dir`, recursively (build output and dependencies left out). */
function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'fixtures') continue;
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/**
 * The module specifiers a file imports or re-exports: import and export
 * declarations (type-only ones too), `import('…')` and `import('…').T` in
 * types — from the syntax tree, so text in strings and comments is not taken
 * for an import.
 */
const specifiersOf = new Map<string, string[]>();
function specifiers(file: string): string[] {
  const known = specifiersOf.get(file);
  if (known) return known;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      out.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  specifiersOf.set(file, out);
  return out;
}

/** The file a relative specifier names (`./x.js` is `./x.ts`; a directory is its index.ts), or undefined. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const name = (file: string) => relative(REPO, file);

/** Strongly connected components of more than one module (or a module importing itself): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const PACKAGE_NAME = /^@heapscope\/([^/]+)(\/.*)?$/;

describe('the house rules', () => {
  const all = packages();
  const sources = [...all.keys()].flatMap((dir) => tsFiles(join(PACKAGES, dir, 'src')).map((file) => ({ dir, file })));

  it('finds the packages and their sources', () => {
    expect([...all.keys()]).toEqual(expect.arrayContaining(['parser', 'analyzer', 'replay', 'cli', 'testkit']));
    expect(sources.length).toBeGreaterThan(100);
  });

  it('has no import cycle between source modules (type imports included)', () => {
    const graph = new Map<string, string[]>();
    for (const { file } of sources) {
      graph.set(
        file,
        specifiers(file)
          .filter((s) => s.startsWith('.'))
          .map((s) => resolveRelative(file, s))
          .filter((f): f is string => f !== undefined),
      );
    }
    expect(cycles(graph).map((c) => c.map(name).join(' → '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
      ['e', ['e']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it("imports other packages by name only, and only those its manifest depends on; src never imports the testkit", () => {
    const wrong: string[] = [];
    for (const { dir, file } of sources) {
      const own = join(PACKAGES, dir, 'src');
      const deps = new Set(Object.keys(all.get(dir)!.dependencies ?? {}));
      for (const s of specifiers(file)) {
        if (s.startsWith('.')) {
          const target = resolveRelative(file, s);
          if (target === undefined) wrong.push(`${name(file)}: ${s} names no file`);
          else if (!target.startsWith(`${own}/`)) wrong.push(`${name(file)}: ${s} is outside ${name(own)}`);
          continue;
        }
        const m = PACKAGE_NAME.exec(s);
        if (!m) continue;
        if (m[2] !== undefined) wrong.push(`${name(file)}: ${s} reaches into a package (import it by name)`);
        if (!deps.has(`@heapscope/${m[1]}`)) wrong.push(`${name(file)}: ${s} is not a dependency of @heapscope/${dir}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has package dependencies that point one way', () => {
    const graph = new Map<string, string[]>();
    for (const [dir, manifest] of all) {
      graph.set(
        `@heapscope/${dir}`,
        Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@heapscope/')),
      );
    }
    expect(cycles(graph)).toEqual([]);
    expect(graph.get('@heapscope/parser')).toEqual([]);
  });

  it("has tests that import their own package's files, other packages by name, and the testkit's helpers", () => {
    const wrong: string[] = [];
    for (const dir of all.keys()) {
      const root = join(PACKAGES, dir);
      for (const file of tsFiles(join(root, 'test'))) {
        for (const s of specifiers(file)) {
          if (s.startsWith('.')) {
            const target = resolveRelative(file, s);
            if (target === undefined) wrong.push(`${name(file)}: ${s} names no file`);
            else if (!target.startsWith(`${root}/`)) wrong.push(`${name(file)}: ${s} reaches into ${name(dirname(target))}`);
            continue;
          }
          const m = PACKAGE_NAME.exec(s);
          if (m && m[2] !== undefined && m[1] !== 'testkit') wrong.push(`${name(file)}: ${s} reaches into a package (import it by name)`);
          if (m && m[1] === 'testkit' && !existsSync(join(PACKAGES, 'testkit', 'src', `${(m[2] ?? '').slice(1)}.ts`))) {
            wrong.push(`${name(file)}: ${s} is no testkit helper`);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no source file over 600 lines that does not say why at its top', () => {
    const long: string[] = [];
    for (const file of codeFiles()) {
      const text = readFileSync(file, 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines <= 600) continue;
      const top = /^(?:#![^\n]*\n)?\s*\/\*[\s\S]*?\*\//.exec(text)?.[0] ?? '';
      if (!/\b600 lines\b/.test(top)) long.push(`${name(file)}: ${lines} lines`);
    }
    expect(long).toEqual([]);
  });

  it('cites the documents of the repository, by anchors they have', () => {
    const wrong: string[] = [];
    const anchors = new Map<string, Set<string>>();
    const anchorsOf = (doc: string): Set<string> | undefined => {
      if (!anchors.has(doc)) {
        const path = join(REPO, 'docs', doc);
        if (!existsSync(path)) return undefined;
        const text = readFileSync(path, 'utf8');
        const ids = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]));
        // GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes.
        for (const m of text.matchAll(/^#+ (.*)$/gm)) ids.add(m[1].toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-'));
        anchors.set(doc, ids);
      }
      return anchors.get(doc);
    };
    for (const file of codeFiles()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(FORMATS|DESIGN|STYLE)\.md\b/g)) wrong.push(`${name(file)}: cites ${m[0]}, which is not in the repository`);
      for (const m of text.matchAll(/docs\/([\w-]+\.md)#([\w-]+)/g)) {
        const ids = anchorsOf(m[1]);
        if (!ids) wrong.push(`${name(file)}: cites docs/${m[1]}, which does not exist`);
        else if (!ids.has(m[2])) wrong.push(`${name(file)}: cites docs/${m[1]}#${m[2]}, an anchor it does not have`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** The repository's code: the packages' sources and tests (native code too), the benchmarks and the scripts. */
function codeFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const n of readdirSync(dir).sort()) {
      const path = join(dir, n);
      if (['node_modules', 'dist', 'build', 'fixtures', 'golden', 'inputs', 'out'].includes(n)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mjs|js|c|h|cc|sh)$/.test(n) && !n.endsWith('.d.ts')) out.push(path);
    }
  };
  for (const dir of [PACKAGES, join(REPO, 'bench'), join(REPO, 'scripts')]) walk(dir);
  return out;
}
