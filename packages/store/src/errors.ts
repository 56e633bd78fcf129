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

/** The first line of an engine's error message, without the engine's class prefix (`IO Error: `, `Code: 47, e.displayText() = `). */
export function engineMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n', 1)[0];
  return line
    .replace(/^(IO|Catalog|Binder|Parser|Conversion|Invalid Input|Constraint|Transaction|Serialization|Out of Range|Not implemented|Internal|Permission|Dependency|Interrupt|Fatal) Error: /, '')
    .replace(/^Code: (\d+), e\.displayText\(\) = DB::Exception: (.*?)(, e\.what\(\) = DB::Exception)?$/, '$2 (ClickHouse code $1)')
    .replace(/^Code: (\d+)\. DB::Exception: (.*?)( \(\w+\))?( \(version [^)]*\))?$/, '$2 (ClickHouse code $1)');
}
