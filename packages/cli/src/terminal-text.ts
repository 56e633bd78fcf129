/**
 * Text that is safe on a terminal. Names come from the inputs (function,
 * file, thread and module names; excerpts of malformed lines), and a name
 * holding ESC, NUL or another control character would otherwise reach the
 * terminal raw: ESC starts escape sequences that move the cursor, recolour
 * or retitle the window, or hide the rest of a line. Control characters
 * (C0, DEL and C1: U+0080–U+009F, which some terminals read as ESC
 * sequences too) are written as visible escapes instead: `\x1b`, `\x00`,
 * `\t`, `\n`, `\r`; so are the bidirectional overrides (`\u202e`). JSON output is not escaped this way: JSON's own
 * escaping keeps every character exactly ({@link jsonText}).
 */
import type { Sink } from './io.js';

/**
 * Every control character, line breaks included, and the bidirectional
 * formatting characters (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069):
 * a name holding U+202E (right-to-left override) shows the rest of its line
 * reversed — the columns after it, and what it seems to be called.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Every control character but the line feed (text made of lines). */
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`);
}

/** DEL and C1, which `JSON.stringify` leaves raw (JSON allows them), and terminals may act on. */
const JSON_RAW_CONTROL = /[\u007f-\u009f]/g;

/**
 * `value` as JSON text in which no control character is raw: what
 * `JSON.stringify` writes, with DEL and C1 written as `\u00XX` escapes too
 * (they occur only inside strings, so the value read back is the same).
 */
export function jsonText(value: unknown, indent?: number): string {
  const json = JSON.stringify(value, null, indent);
  JSON_RAW_CONTROL.lastIndex = 0;
  return JSON_RAW_CONTROL.test(json) ? json.replace(JSON_RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
}

/** A name (one field of a line) with every control character escaped, line breaks included. */
export function escapeName(name: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(name) ? name.replace(CONTROL, visible) : name;
}

/** Text of one or more lines with every control character but the line feed escaped. */
export function escapeText(text: string): string {
  CONTROL_BUT_NEWLINE.lastIndex = 0;
  return CONTROL_BUT_NEWLINE.test(text) ? text.replace(CONTROL_BUT_NEWLINE, visible) : text;
}

/**
 * A sink whose text is escaped with {@link escapeText} (bytes pass as they
 * are): what stderr is inside the CLI, so no message can carry a control
 * sequence from an input. The progress line, which draws with its own
 * erase sequence, writes to {@link rawSink} instead.
 */
export class TerminalSafeSink implements Sink {
  constructor(readonly raw: Sink) {}

  get isTTY(): boolean | undefined {
    return this.raw.isTTY;
  }

  write(chunk: string | Uint8Array): unknown {
    return this.raw.write(typeof chunk === 'string' ? escapeText(chunk) : chunk);
  }
}

/** The sink under a {@link TerminalSafeSink}, or `sink` itself. */
export function rawSink(sink: Sink): Sink {
  return sink instanceof TerminalSafeSink ? sink.raw : sink;
}
