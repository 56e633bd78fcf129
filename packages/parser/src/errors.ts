/**
 * Errors and warnings raised while reading inputs.
 *
 * Detection says "not mine" by returning confidence 0; once an importer owns
 * an input, malformed content is a {@link ParseError} (or, with `lenient`, a
 * counted {@link Warning}) — never a silent drop. Messages state facts; the
 * CLI adds advice.
 */

const EXCERPT_MAX = 80;

/** Shortens a line for inclusion in an error message. */
export function excerpt(text: string): string {
  const oneLine = text.replace(/[\r\n\t]/g, ' ');
  return oneLine.length > EXCERPT_MAX ? `${oneLine.slice(0, EXCERPT_MAX)}…` : oneLine;
}

/** A problem with an input, located at a file and a 1-based line. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    /** The input's display name (path, or `-` for stdin). */
    readonly file: string,
    /** 1-based line number (where reading stopped, for problems not tied to one line). */
    readonly line: number,
    /** What was wrong, without the location. */
    readonly reason: string,
    /** The importer that owned the input, when one did. */
    readonly format?: string,
    /** A short excerpt of the offending line. */
    readonly text?: string,
  ) {
    super(ParseError.render(file, line, reason, text));
  }

  private static render(file: string, line: number, reason: string, text?: string): string {
    const where = `${file}:${Math.max(1, line)}`;
    return text !== undefined && text !== '' ? `${where}: ${reason}: "${excerpt(text)}"` : `${where}: ${reason}`;
  }
}

/** Where a warning was seen. */
export interface WarningLocation {
  file: string;
  line: number;
}

/** A counted warning: one entry per distinct message, with its first few locations. */
export interface Warning {
  message: string;
  count: number;
  locations: WarningLocation[];
  /**
   * The items a warning about many things lists (each binary not found):
   * the text names the first few and counts the rest, JSON lists them all.
   */
  details?: string[];
}

/**
 * `value` (parsed from a file: heapscope's pprof comment) as a list of
 * warnings, or undefined when it is not one — every field is checked.
 */
export function warningsFrom(value: unknown): Warning[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Warning[] = [];
  for (const w of value) {
    if (typeof w !== 'object' || w === null || typeof w.message !== 'string' || !Number.isSafeInteger(w.count) || w.count < 1 || !Array.isArray(w.locations)) return undefined;
    const locations = (w.locations as unknown[]).filter(
      (l): l is WarningLocation => typeof l === 'object' && l !== null && typeof (l as WarningLocation).file === 'string' && Number.isSafeInteger((l as WarningLocation).line),
    );
    if (locations.length !== w.locations.length) return undefined;
    const details = w.details as unknown;
    if (details !== undefined && !(Array.isArray(details) && details.every((d) => typeof d === 'string'))) return undefined;
    out.push({ message: w.message, count: w.count, locations: locations.map((l) => ({ file: l.file, line: l.line })), ...(details ? { details: [...(details as string[])] } : {}) });
  }
  return out;
}

/** How many locations a warning keeps. */
export const WARNING_LOCATIONS_KEPT = 5;

/** Collects warnings, merging repeats of the same message into one counted entry. */
export class WarningCollector {
  private readonly byMessage = new Map<string, Warning>();

  /** Records one occurrence (or `count` occurrences) of `message`, with the items it lists (`details`), if any. */
  add(message: string, location?: WarningLocation, count = 1, details?: readonly string[]): void {
    const warning = this.entry(message);
    warning.count += count;
    if (location && warning.locations.length < WARNING_LOCATIONS_KEPT) warning.locations.push(location);
    if (details) warning.details = [...new Set([...(warning.details ?? []), ...details])];
  }

  /** Adds every warning of another list (for example a merged input's). */
  addAll(warnings: readonly Warning[]): void {
    for (const w of warnings) {
      for (let i = 0; i < Math.max(1, w.locations.length); i++) this.add(w.message, w.locations[i], i === 0 ? w.count : 0, i === 0 ? w.details : undefined);
    }
  }

  private entry(message: string): Warning {
    let warning = this.byMessage.get(message);
    if (!warning) {
      warning = { message, count: 0, locations: [] };
      this.byMessage.set(message, warning);
    }
    return warning;
  }

  get size(): number {
    return this.byMessage.size;
  }

  list(): Warning[] {
    return [...this.byMessage.values()].map((w) => ({ ...w, locations: [...w.locations], ...(w.details ? { details: [...w.details] } : {}) }));
  }
}

/**
 * One input's warnings, each that has no location given the input itself
 * (`file`, line 0): a run over many inputs then says which one a warning
 * concerns, in text and JSON, and a merge keeps it.
 */
export function locatedIn(file: string, warnings: readonly Warning[]): Warning[] {
  return warnings.map((w) => (w.locations.length > 0 ? w : { ...w, locations: [{ file, line: 0 }] }));
}

/** How many of a warning's `details` its text names. */
export const WARNING_DETAILS_SHOWN = 3;

/**
 * Renders a warning as one line: `message (N times; first at file:line, …)`,
 * or `message: item, item, item and N more (…)` when it lists items — every
 * item when `allDetails` (JSON output), else the first few and how to see
 * the rest.
 */
export function formatWarning(w: Warning, allDetails = false): string {
  const message = w.details && w.details.length > 0 ? `${w.message}: ${listDetails(w.details, allDetails)}` : w.message;
  const where = w.locations.map((l) => (l.line > 0 ? `${l.file}:${l.line}` : l.file)).join(', ');
  const times = w.count === 1 ? '' : `${w.count} times`;
  const parts = [times, where ? `${w.count === 1 ? 'at' : 'first at'} ${where}` : ''].filter(Boolean);
  return parts.length ? `${message} (${parts.join('; ')})` : message;
}

function listDetails(details: readonly string[], all: boolean): string {
  if (all || details.length <= WARNING_DETAILS_SHOWN) return details.join(', ');
  const rest = details.length - WARNING_DETAILS_SHOWN;
  return `${details.slice(0, WARNING_DETAILS_SHOWN).join(', ')} and ${rest} more (--format json lists every one)`;
}
