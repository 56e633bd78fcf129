/**
 * Aligned text tables: numbers right-aligned, the last (name) column left
 * aligned and never truncated. Cells hold names from the inputs: their
 * control characters (line breaks too, which would forge a row) are escaped.
 */
import { escapeName } from '../terminal-text.js';

export interface Column {
  header: string;
  align: 'left' | 'right';
}

/** Renders rows of cells as aligned lines (each ending in a newline). */
export function renderTable(columns: readonly Column[], rows: readonly string[][]): string {
  // A loop, not Math.max(...cells): a table may have millions of rows.
  const widths = columns.map((c) => c.header.length);
  // Left-aligned columns hold names; the right-aligned ones numbers heapscope formatted.
  const names = columns.map((c) => c.align === 'left');
  rows = rows.map((row) => row.map((cell, i) => (names[i] ? escapeName(cell) : cell)));
  for (const row of rows) for (let i = 0; i < widths.length; i++) if (row[i].length > widths[i]) widths[i] = row[i].length;
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const last = i === cells.length - 1;
        if (columns[i].align === 'right') return cell.padStart(widths[i]);
        return last ? cell : cell.padEnd(widths[i]);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** The header of a table's name column: `thread` when rows are threads (`--by thread`), else `name`. */
export function nameHeader(by: string): string {
  return by === 'thread' ? 'thread' : 'name';
}
