/**
 * Errors of the store: one line each, naming the database as the user gave
 * it (`heap.duckdb: …`, `clickhouse://…: …`). Messages state facts; the CLI
 * adds the advice.
 */

/** A problem with the store: unreachable, not a store, locked, a newer schema, a failed query. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    /** The database as given (`heap.duckdb`, `clickhouse://host:8123/db`). */
    readonly db: string,
    /** What was wrong, without the database. */
    readonly reason: string,
  ) {
    super(`${db}: ${reason}`);
  }
}

/**
 * The first line of an engine's error message, without the engine's class
 * prefix (`IO Error: `, `Code: 47, e.displayText() = DB::Exception: `).
 * ClickHouse's "All connection tries failed. Log:" keeps its cause on the
 * lines after it (`Connection refused (127.0.0.1:9000)`, once per try):
 * the first such cause joins the line, since without it the message does
 * not say which server is down.
 */
export function engineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n');
  let line = lines[0];
  if (/Log:\s*$/.test(line)) {
    const cause = lines.slice(1).map(clickHouseMessage).find((l) => l !== '' && !l.startsWith(','));
    if (cause !== undefined) line = `${line.replace(/\.?\s*Log:\s*$/, '')}: ${cause.replace(/ \(ClickHouse code \d+\)$/, '')}`;
  }
  return clickHouseMessage(line.replace(/^(IO|Catalog|Binder|Parser|Conversion|Invalid Input|Constraint|Transaction|Serialization|Out of Range|Not implemented|Internal|Permission|Dependency|Interrupt|Fatal) Error: /, ''));
}

/** A ClickHouse error line without its exception class: `What went wrong (ClickHouse code 47)`. */
function clickHouseMessage(line: string): string {
  return line
    .trim()
    .replace(/^Code: (\d+), e\.displayText\(\) = DB::\w*Exception: (.*?)(, e\.what\(\) = DB::\w*Exception)?$/, '$2 (ClickHouse code $1)')
    .replace(/^Code: (\d+)\. DB::\w*Exception: (.*?)( \(\w+\))?( \(version [^)]*\))?$/, '$2 (ClickHouse code $1)');
}
