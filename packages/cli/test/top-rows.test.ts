/**
 * `top` on a terminal shows a screenful and says how many rows it left out;
 * piped, with -o or with --format json it shows every row (issue 17).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '@heapscope/testkit/paths';
import { runCli } from './run-cli.js';

const DUMP = join(FIXTURES, 'cxx/gperftools/cxx.0001.heap');
const ARGS = ['top', '--no-symbolize', '--by', 'stack', DUMP];

/** The table rows of a top report's text (the lines after the header and the column names). */
function tableRows(text: string): string[] {
  return text.split('\n').slice(2).filter((l) => l !== '' && !l.startsWith('…'));
}

describe('top: default rows', () => {
  it('a terminal gets 20 rows and a line saying how many more, and -n 0 shows them all', async () => {
    const all = await runCli(['top', '--format', 'json', ...ARGS.slice(1)]);
    expect(all.code).toBe(0);
    const rowCount = (JSON.parse(all.stdout) as { rowCount: number }).rowCount;
    expect(rowCount).toBeGreaterThan(20);

    const tty = await runCli(ARGS, { tty: true });
    expect(tty.code).toBe(0);
    expect(tableRows(tty.stdout)).toHaveLength(20);
    expect(tty.stdout).toContain(`; top 20 of ${rowCount} by stack`);
    expect(tty.stdout.trimEnd().split('\n').at(-1)).toBe(`… ${rowCount - 20} more rows, -n 0 for all`);

    const every = await runCli([...ARGS, '-n', '0'], { tty: true });
    expect(tableRows(every.stdout)).toHaveLength(rowCount);
    expect(every.stdout).not.toContain('more rows');

    const five = await runCli([...ARGS, '-n', '5'], { tty: true });
    expect(tableRows(five.stdout)).toHaveLength(5);
  });

  it('piped, with -o, and with --format json every row is shown', async () => {
    const json = await runCli(['top', '--format', 'json', ...ARGS.slice(1)], { tty: true });
    const report = JSON.parse(json.stdout) as { rowCount: number; rows: unknown[] };
    expect(report.rows).toHaveLength(report.rowCount);

    const piped = await runCli(ARGS);
    expect(tableRows(piped.stdout)).toHaveLength(report.rowCount);
    expect(piped.stdout).not.toContain('more rows');

    const out = join(mkdtempSync(join(tmpdir(), 'hs-top-')), 'top.txt');
    const file = await runCli([...ARGS, '-o', out], { tty: true });
    expect(file.code).toBe(0);
    expect(tableRows(readFileSync(out, 'utf8'))).toHaveLength(report.rowCount);
  });

  it('-n takes a whole number: negative or not a number is a usage error', async () => {
    for (const bad of ['-1', 'abc', '2.5', '']) {
      const r = await runCli([...ARGS, '-n', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toContain('-n expects a whole number');
    }
  });
});
