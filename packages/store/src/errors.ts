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
 * the first cause that names a server joins the line (else the first
 * cause), since without it the message does not say which server is down.
 */
export function engineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n');
  let line = lines[0];
  if (/Log:\s*$/.test(line)) {
    const causes = lines.slice(1).map(clickHouseMessage).filter((l) => l !== '' && !l.startsWith(','));
    // The first try may fail on a pooled connection the dead server dropped
    // ("Attempt to read after eof", no address); a later try's refusal names
    // the server, which is what the user needs to know.
    const cause = causes.find((l) => /\(\S+:\d+\)/.test(l)) ?? causes[0];
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
