/**
 * docs/cli.md matches the tool: every option of every command's `--help`
 * has a row in a table of the command's section (or of the sections every
 * command shares: "Options every command has", "Filter options"), with its
 * short flag, and the same default; and every option a command's section
 * lists exists in its `--help`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { REPO } from '@heapscope/testkit/paths';
import { buildProgram } from '../src/main.js';

const DOC = readFileSync(join(REPO, 'docs', 'cli.md'), 'utf8');
const SHARED = ['Options every command has', 'Filter options', 'Store options'];

/** The document's `## ` sections, by heading. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/^## /m).slice(1)) {
    const nl = part.indexOf('\n');
    out.set(part.slice(0, nl).trim(), part.slice(nl + 1));
  }
  return out;
}

/** The table rows of a section: [first cell, whole row]. */
function rows(section: string): [string, string][] {
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !/^\|\s*-/.test(l) && !/^\| (option|command|format|code) \|/.test(l))
    .map((l) => [l.split(/(?<!\\)\|/)[1] ?? '', l]);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A flag as a word of a cell: `-n,`, `--by function`, `--to pprof\|…`. */
const flagIn = (cell: string, flag: string) => new RegExp(`(^|[^\\w-])${escapeRe(flag)}([^\\w-]|$)`).test(cell);
/** Text compared: no backticks or quotes, numbers without thousands commas, lower case, single spaces. */
const normal = (s: string) =>
  s
    .replace(/[`"]/g, '')
    .replace(/(\d),(?=\d{3}\b)/g, '$1')
    .replace(/\s+/g, ' ')
    .toLowerCase();

/** The default `--help` gives an option: commander's default, or `(default X)` / `X (default)` in its description. */
function helpDefault(option: Option): string | undefined {
  if (!option.required && !option.optional) return undefined; // a flag: on or off
  if (option.defaultValueDescription !== undefined) return option.defaultValueDescription;
  if (option.defaultValue !== undefined) return String(option.defaultValue);
  const described = /\(default:? ([^,;)]+)/.exec(option.description) ?? /(\S+) \(default\)/.exec(option.description);
  return described?.[1];
}

/** Whether a documentation row states `value` as the default. */
function statesDefault(row: string, value: string): boolean {
  const v = escapeRe(normal(value));
  return new RegExp(`default:? ${v}|${v} \\(default\\)`).test(normal(row));
}

describe('docs/cli.md and --help', () => {
  const program = buildProgram({ stdout: { write: () => true }, stderr: { write: () => true } });
  const doc = sections(DOC);
  const shared = SHARED.flatMap((name) => {
    const section = doc.get(name);
    if (section === undefined) throw new Error(`docs/cli.md has no "## ${name}" section`);
    return rows(section);
  });

  for (const cmd of program.commands) {
    const name = cmd.name();
    it(`${name}: every option documented, with its short flag and its default`, () => {
      const own = doc.get(name);
      expect(own, `docs/cli.md has a "## ${name}" section`).toBeDefined();
      const table = [...rows(own!), ...shared];
      const problems: string[] = [];
      for (const option of cmd.options) {
        const flag = option.long!;
        const row = table.find(([cell]) => flagIn(cell, flag));
        if (!row) {
          problems.push(`${flag}: no row in "## ${name}" or the shared sections`);
          continue;
        }
        if (option.short && !flagIn(row[0], option.short)) problems.push(`${flag}: the row does not give ${option.short}`);
        const value = helpDefault(option);
        if (value !== undefined && !statesDefault(row[1], value)) problems.push(`${flag}: --help says the default is "${value}", the row does not: ${row[1]}`);
      }
      expect(problems).toEqual([]);
    });

    it(`${name}: every option its section lists is one of its options`, () => {
      const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
      const listed = rows(doc.get(name) ?? '').flatMap(([cell]) => [...cell.matchAll(/(?<![\w-])(--?[a-z][\w-]*)/g)].map((m) => m[1]));
      expect(listed.filter((f) => !flags.has(f))).toEqual([]);
    });
  }

  it('the check finds a wrong default (the check itself)', () => {
    expect(statesDefault('| `--max-stacks N` | fail … (default 5,000,000) |', '5000000')).toBe(true);
    expect(statesDefault('| `--max-stacks N` | fail … (default 500,000) |', '5000000')).toBe(false);
    expect(statesDefault('| `-t, --sample-type TYPE` | `inuse_space` (default), … |', 'inuse_space')).toBe(true);
  });
});
