/**
 * An interned string table. Index 0 is always the empty string, as in pprof,
 * so 0 can stand for "no string" in integer columns.
 */
export class StringTable {
  private readonly index = new Map<string, number>([['', 0]]);
  /** The strings, by index; `strings[0] === ''`. */
  readonly strings: string[] = [''];

  /** Starts from an existing table (for example a finished profile's). */
  static from(strings: readonly string[]): StringTable {
    const table = new StringTable();
    for (let i = 1; i < strings.length; i++) {
      table.strings.push(strings[i]);
      if (!table.index.has(strings[i])) table.index.set(strings[i], i);
    }
    return table;
  }

  /** The index of `value`, adding it when new. */
  intern(value: string): number {
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(value);
      this.index.set(value, id);
    }
    return id;
  }

  get(id: number): string {
    return this.strings[id];
  }
}
