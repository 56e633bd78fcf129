/**
 * Every example in README.md and docs/*.md that shows `$ heapscope …` and
 * its output is run here, in process, and its output compared with the
 * document: the docs cannot drift from what heapscope prints. The docs and
 * every command's --help say `heapscope …`: `pnpm heapscope …` appears only
 * in the README's Install section, which explains that in-repository form.
 *
 * In a block, `$ <command>` lines are followed by the expected output; a
 * line `…` ends the comparison early (the rest was elided); `> /dev/null`
 * compares stderr instead; `$ echo $?` checks the previous exit code.
 * Commands with other shell syntax (pipes) are skipped. Run with
 * UPDATE_DOCS=1 to rewrite the expected output in the documents (review the
 * diff: it is what users will read).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main.js';
import { runCli } from './run-cli.js';
import { REPO } from '@heapscope/testkit/paths';

interface Example {
  file: string;
  command: string;
  expected: string[];
  exitCode?: number;
}

/** Replaces the expected lines of `ex` in its document with `actual` (same number of lines before a `…`). */
function updateDoc(ex: Example, actual: string[]): void {
  const path = join(REPO, ex.file);
  const text = readFileSync(path, 'utf8');
  const head = `$ ${ex.command}\n`;
  const at = text.indexOf(head);
  if (at < 0) return;
  const start = at + head.length;
  const old = ex.expected.join('\n');
  if (text.slice(start, start + old.length) !== old) return;
  const cut = ex.expected.indexOf('…');
  const lines = cut >= 0 ? [...actual.slice(0, cut), '…'] : actual;
  writeFileSync(path, text.slice(0, start) + lines.join('\n') + text.slice(start + old.length));
}

/** Expands a shell glob (`*`, `?`, `[…]` in the last path segments) relative to the repository. */
function glob(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = pattern.split('/');
  let paths = [''];
  for (const part of parts) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => (p ? `${p}/${part}` : part));
      continue;
    }
    const re = new RegExp(`^${part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    paths = paths.flatMap((p) =>
      readdirSync(join(REPO, p || '.'))
        .filter((n) => re.test(n))
        .sort()
        .map((n) => (p ? `${p}/${n}` : n)),
    );
  }
  return paths;
}

/** README.md and docs/*.md, relative to the repository. */
function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

function examples(): Example[] {
  const out: Example[] = [];
  for (const file of docFiles()) {
    const text = readFileSync(join(REPO, file), 'utf8');
    for (const block of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
      const lines = block[1].replace(/\n$/, '').split('\n');
      let current: Example | undefined; // the example whose output lines follow
      let previous: Example | undefined; // the command before an `echo $?`
      let awaitingExitCode: Example | undefined;
      for (const line of lines) {
        if (line.startsWith('$ ')) {
          const command = line.slice(2);
          if (command === 'echo $?') {
            awaitingExitCode = previous;
            current = undefined;
            continue;
          }
          current = command.startsWith('heapscope ') && !/[|;&<]/.test(command.replace('> /dev/null', '')) ? { file, command, expected: [] } : undefined;
          previous = current;
          if (current) out.push(current);
        } else if (awaitingExitCode) {
          awaitingExitCode.exitCode = Number(line);
          awaitingExitCode = undefined;
        } else if (current) {
          current.expected.push(line);
        }
      }
    }
  }
  return out;
}

describe('documentation examples', () => {
  const all = examples();
  it('finds examples', () => {
    expect(all.length).toBeGreaterThan(5);
  });
  for (const ex of all) {
    it(`${ex.file}: ${ex.command}`, async () => {
      const quiet = ex.command.endsWith('> /dev/null');
      const words = ex.command.replace(/ > \/dev\/null$/, '').split(/\s+/).slice(1);
      const argv = words.flatMap((w) => glob(w));
      const r = await runCli(argv);
      if (ex.exitCode !== undefined) expect(r.code).toBe(ex.exitCode);
      else expect(r.code, r.stderr).toBe(0);
      const actual = (quiet ? r.stderr : r.stdout).replace(/\n$/, '').split('\n');
      const cut = ex.expected.indexOf('…');
      const expected = cut >= 0 ? ex.expected.slice(0, cut) : ex.expected;
      const normalize = (l: string) => l.replace(/\s+$/, '');
      if (process.env.UPDATE_DOCS === '1') updateDoc(ex, actual.map(normalize));
      expect(actual.slice(0, expected.length).map(normalize), relative(REPO, join(REPO, ex.file))).toEqual(expected.map(normalize));
      if (cut < 0) expect(actual.length).toBe(expected.length);
    });
  }
});

describe('the docs and --help say `heapscope …`', () => {
  it('`pnpm heapscope` appears only in the README\'s Install section', () => {
    for (const file of docFiles()) {
      let text = readFileSync(join(REPO, file), 'utf8');
      if (file === 'README.md') {
        const install = /^## Install\n[\s\S]*?(?=^## )/m.exec(text);
        expect(install?.[0], 'README.md has an Install section').toMatch(/pnpm heapscope/);
        text = text.replace(install![0], '');
      }
      expect(text.match(/.*pnpm heapscope.*/g) ?? [], file).toEqual([]);
    }
  });

  it('every command\'s --help gives examples as `$ heapscope …`, none through pnpm', async () => {
    const names = ['', ...buildProgram({ stdout: { write: () => true }, stderr: { write: () => true } }).commands.map((c) => c.name())];
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const r = await runCli(name ? [name, '--help'] : ['--help']);
      expect(r.code, name).toBe(0);
      const commands = r.stdout.split('\n').filter((l) => l.trimStart().startsWith('$ '));
      expect(commands.filter((l) => l.trimStart().startsWith('$ heapscope ')).length, `${name} --help has examples`).toBeGreaterThan(0);
      expect(commands.filter((l) => l.includes('pnpm')), name).toEqual([]);
    }
  });
});
