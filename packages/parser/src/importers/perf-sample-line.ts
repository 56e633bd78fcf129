/**
 * The sample line of `perf script` output — the line that starts a record —
 * read into offsets (perf-script.ts has the grammar).
 *
 * How a sample line is read (never by columns: widths change between
 * versions, and comm may hold spaces and digits — `FS Broker 5906  7564/7598`):
 * split on blanks and anchor on the first `<digits>.<digits>:` token, the
 * time. Backwards from it: an optional wall-clock `YYYY-MM-DD HH:MM:SS.frac`
 * (`-F +tod`), optional misc flags (`-F +misc`: `U`), an optional `[cpu]`,
 * then `pid/tid` or `tid`, and everything before is comm. Forwards: an optional period (digits), then the
 * event: the next token ending in `:` (one token; `task-clock:ppp:` keeps its
 * modifiers). Without a time, the event is the first token ending in `:`
 * after at least a comm and a tid. Never the line's last `x:`: payloads
 * follow the event.
 *
 *
 * Two scanners read it: a fast one for the usual shape, over the line's
 * undecoded bytes, which may decline a line, and the general one, token by
 * token over the decoded line; what the fast one accepts, the general one
 * reads the same (packages/parser/test/perf-scanners.test.ts).
 */
import { NO_TIME } from '../trace/sink.js';

/** A sample line whose first token is its event (`  probe_libc:malloc: (7f…) size=8`): `-F` without comm, tid and time. */
export const EVENT_FIRST = /^[ \t]*[^\s:]+:[^\s:]+:(?:[ \t]|$)/;

/** A sample line as scanned (offsets into the line). */
export interface SampleHead {
  commStart: number;
  commEnd: number;
  pid: number;
  tid: number;
  timeNs: number;
  period: number;
  eventStart: number;
  /** End of the event name (its `:` excluded). */
  eventEnd: number;
  payloadStart: number;
}

/** A sample head to scan into. */
export function newSampleHead(): SampleHead {
  return { commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: NO_TIME, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 };
}

const MAX_TOKENS = 64;
const tokenStart = new Int32Array(MAX_TOKENS + 2);
const tokenEnd = new Int32Array(MAX_TOKENS + 2);

/** A blank: space or TAB. */
export function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** An ASCII digit. */
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The decimal value of `text[start, end)` (digits only), or -1. */
function digitsValue(text: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Reads the token `k` as `pid/tid` or `tid` into `h`; false when it is neither. */
function readTid(text: string, k: number, h: SampleHead): boolean {
  return readTidAt(text, tokenStart[k], tokenEnd[k], h);
}

/** Reads `text[s, e)` as `pid/tid` or `tid` into `h` (one pass); false when it is neither. */
function readTidAt(text: string, s: number, e: number, h: SampleHead): boolean {
  if (e <= s || e - s > 31) return false;
  let v = 0;
  let pid = -1;
  let digits = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      digits++;
    } else if (c === 47 /* / */ && pid < 0 && digits > 0) {
      pid = v;
      v = 0;
      digits = 0;
    } else return false;
  }
  if (digits === 0) return false;
  if (pid >= 0) h.pid = pid;
  h.tid = v;
  return true;
}

function isCpuToken(text: string, k: number): boolean {
  const s = tokenStart[k];
  const e = tokenEnd[k];
  return e - s >= 3 && text.charCodeAt(s) === 91 /* [ */ && text.charCodeAt(e - 1) === 93 /* ] */ && digitsValue(text, s + 1, e - 1) >= 0;
}

function isDigitsToken(text: string, k: number): boolean {
  return digitsValue(text, tokenStart[k], tokenEnd[k]) >= 0;
}

/** `YYYY-MM-DD`: the date of `-F +tod` (perf script's wall-clock time of a record, printed before its time). */
function isTodDate(text: string, k: number): boolean {
  return /^\d{4}-\d\d-\d\d$/.test(text.slice(tokenStart[k], tokenEnd[k]));
}

/** `HH:MM:SS[.frac]`: the clock of `-F +tod`. */
function isTodClock(text: string, k: number): boolean {
  return /^\d\d:\d\d:\d\d(\.\d+)?$/.test(text.slice(tokenStart[k], tokenEnd[k]));
}

/**
 * `-F +misc`: the record's misc flags as perf prints them between cpu and
 * time, one letter each (`K` kernel, `U` user, `H` hypervisor, `G`/`g`
 * guest, `M` mmap data, `E` exec, `S`/`Sp` switch out).
 */
function isMiscToken(text: string, k: number): boolean {
  return /^[KUHGgMESp]{1,5}$/.test(text.slice(tokenStart[k], tokenEnd[k]));
}

const scratchHead: SampleHead = { commStart: 0, commEnd: 0, pid: -1, tid: -1, timeNs: NO_TIME, period: NaN, eventStart: 0, eventEnd: 0, payloadStart: 0 };

function isTidToken(text: string, k: number): boolean {
  return readTidAt(text, tokenStart[k], tokenEnd[k], scratchHead);
}

/**
 * Reads `secs.frac:` in `text[s, e)` (e includes the colon) into ns, or
 * returns -1 when the token is not a time. See the top of the file for the
 * fraction's digit count.
 */
function timeToken(text: string, s: number, e: number): number {
  const colon = e - 1;
  let dot = s;
  while (dot < colon && isDigit(text.charCodeAt(dot))) dot++;
  if (dot === s || dot >= colon - 1 || text.charCodeAt(dot) !== 46 /* . */) return -1;
  let secs = 0;
  for (let i = s; i < dot; i++) secs = secs * 10 + (text.charCodeAt(i) - 48);
  let frac = 0;
  let digits = 0;
  for (let i = dot + 1; i < colon; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    if (digits < 9) {
      frac = frac * 10 + d;
      digits++;
    }
  }
  let ns: number;
  if (digits <= 6) ns = frac * 1000; // µs (zero-padded by perf, not by old simpleperf)
  else ns = frac * 10 ** (9 - digits);
  return secs * 1e9 + ns;
}

/** Whether `bytes[s, e)` is 1 to 15 decimal digits (as {@link digitsValue} takes them). */
function digitsAt(bytes: Uint8Array, s: number, e: number): boolean {
  if (e <= s || e - s > 15) return false;
  for (let i = s; i < e; i++) if (!isDigit(bytes[i])) return false;
  return true;
}

/** {@link readTidAt} over bytes: `bytes[s, e)` as `pid/tid` or `tid` into `h`; false when it is neither. */
function tidAt(bytes: Uint8Array, s: number, e: number, h: SampleHead): boolean {
  if (e <= s || e - s > 31) return false;
  let slash = -1;
  for (let i = s; i < e; i++) {
    if (bytes[i] !== 47 /* / */) {
      if (!isDigit(bytes[i])) return false;
    } else if (slash >= 0) return false;
    else slash = i;
  }
  // Digits on both sides of the slash (or a tid alone).
  if (slash === s || slash === e - 1) return false;
  let v = 0;
  for (let i = slash >= 0 ? slash + 1 : s; i < e; i++) v = v * 10 + (bytes[i] - 48);
  if (slash >= 0) {
    let pid = 0;
    for (let i = s; i < slash; i++) pid = pid * 10 + (bytes[i] - 48);
    h.pid = pid;
  }
  h.tid = v;
  return true;
}

/**
 * The usual sample line, read from its undecoded bytes `bytes[start, end)`
 * (offsets in `h` are into `bytes`) from its first `:`: when that colon
 * ends the time token (`… <secs>.<frac>: …`), the fields around it are
 * found with short scans instead of tokenizing the whole line, and the line
 * is never decoded (sample lines are a tenth of a callchain file's bytes,
 * and a third of its lines without callchains). Every byte the grammar
 * looks for is ASCII, and no byte of a multi-byte UTF-8 character is, so
 * the fields are where the decoded text's would be. Returns false when the
 * line is not of that shape: the general scanner then decides, on the
 * decoded line.
 */
function scanSampleHeadBytes(bytes: Uint8Array, start: number, end: number, h: SampleHead): boolean {
  let colon = start;
  while (colon < end && bytes[colon] !== 58 /* : */) colon++;
  if (colon === end || colon - start < 3 || (colon + 1 < end && !isBlank(bytes[colon + 1]))) return false;
  // The time, read backwards: fraction digits, '.', seconds digits.
  let j = colon - 1;
  let frac = 0;
  let scale = 1;
  let fracDigits = 0;
  for (; j >= start && isDigit(bytes[j]); j--) {
    frac += (bytes[j] - 48) * scale;
    scale *= 10;
    fracDigits++;
  }
  if (fracDigits === 0 || j < start + 1 || bytes[j] !== 46 /* . */) return false;
  let t = j - 1;
  let secs = 0;
  scale = 1;
  for (; t >= start && isDigit(bytes[t]); t--) {
    secs += (bytes[t] - 48) * scale;
    scale *= 10;
  }
  if (t === j - 1 || (t >= start && !isBlank(bytes[t]))) return false;
  if (fracDigits > 9) return false; // rare: the general scanner truncates it
  h.timeNs = secs * 1e9 + (fracDigits <= 6 ? frac * 1000 : frac * 10 ** (9 - fracDigits));
  h.pid = -1;
  h.tid = -1;
  h.period = NaN;
  // Backwards from the time: [cpu] tid, then comm (any other field there is the general scanner's).
  let to = t + 1;
  while (to > start && isBlank(bytes[to - 1])) to--;
  if (to > start && bytes[to - 1] === 93 /* ] */) {
    let open = to - 2;
    while (open >= start && bytes[open] !== 91 /* [ */) open--;
    if (open >= start && digitsAt(bytes, open + 1, to - 1) && (open === start || isBlank(bytes[open - 1]))) {
      to = open;
      while (to > start && isBlank(bytes[to - 1])) to--;
    }
  }
  if (to > start) {
    let s = to;
    while (s > start && !isBlank(bytes[s - 1])) s--;
    // No tid right before the time (and cpu): another field (`-F +misc`) or no tid at all; the general scanner decides.
    if (!tidAt(bytes, s, to, h)) return false;
    to = s;
    while (to > start && isBlank(bytes[to - 1])) to--;
  }
  let commStart = start;
  while (commStart < to && isBlank(bytes[commStart])) commStart++;
  h.commStart = commStart;
  h.commEnd = to;
  // Forwards: [period] event; the event ends at the first ':' followed by a blank or the end.
  let i = colon + 1;
  while (i < end && isBlank(bytes[i])) i++;
  let eventStart = i;
  if (i < end && isDigit(bytes[i])) {
    let period = 0;
    for (; i < end && isDigit(bytes[i]); i++) period = period * 10 + (bytes[i] - 48);
    if (i < end && isBlank(bytes[i])) {
      h.period = period;
      while (i < end && isBlank(bytes[i])) i++;
      eventStart = i;
    } else i = eventStart; // an event name that starts with a digit
  }
  // The event is one token (a line with a blank inside it is left to the general scanner, which splits it there).
  let e = eventStart;
  for (; e < end; e++) {
    const c = bytes[e];
    if (isBlank(c)) return false;
    if (c === 58 && (e + 1 === end || isBlank(bytes[e + 1]))) break;
  }
  if (e === end || e === eventStart) return false;
  h.eventStart = eventStart;
  h.eventEnd = e;
  h.payloadStart = e + 1;
  return true;
}

/**
 * Scans the sample line `bytes[start, end)` (valid UTF-8) into `h`, with
 * offsets into `bytes`; false when it is not one. `text` gives the line
 * decoded, for the lines the byte scanner leaves to the general one.
 */
export function scanSampleLine(bytes: Uint8Array, start: number, end: number, h: SampleHead, text: (from: number, to: number) => string): boolean {
  if (scanSampleHeadBytes(bytes, start, end, h)) return true;
  const line = text(start, end);
  if (!scanSampleHeadTokens(line, h)) return false;
  if (line.length !== end - start) {
    // Not ASCII: the general scanner's offsets are UTF-16 units of the decoded line.
    const at = (index: number) => start + Buffer.byteLength(line.slice(0, index));
    h.commStart = at(h.commStart);
    h.commEnd = at(h.commEnd);
    h.eventStart = at(h.eventStart);
    h.eventEnd = at(h.eventEnd);
    h.payloadStart = at(h.payloadStart);
  } else {
    h.commStart += start;
    h.commEnd += start;
    h.eventStart += start;
    h.eventEnd += start;
    h.payloadStart += start;
  }
  return true;
}

/** Scans a sample line given as text into `h` (offsets into `text`); false when the line is not one. */
export function scanSampleHead(text: string, h: SampleHead): boolean {
  return scanSampleHeadTokens(text, h);
}

/**
 * The general scanner of a sample line (the grammar at the top of the file,
 * token by token); {@link scanSampleHeadBytes} must agree with it on every
 * line it accepts.
 */
function scanSampleHeadTokens(text: string, h: SampleHead): boolean {
  const n = text.length;
  let count = 0;
  let i = 0;
  let colonToken = -1;
  while (count < MAX_TOKENS) {
    while (i < n && isBlank(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const s = i;
    while (i < n && !isBlank(text.charCodeAt(i))) i++;
    tokenStart[count] = s;
    tokenEnd[count] = i;
    count++;
    if (i - s >= 2 && text.charCodeAt(i - 1) === 58 /* : */) {
      colonToken = count - 1;
      break;
    }
  }
  if (colonToken < 0) return false;
  h.pid = -1;
  h.tid = -1;
  h.period = NaN;
  let k: number;
  let event: number;
  const time = timeToken(text, tokenStart[colonToken], tokenEnd[colonToken]);
  if (time >= 0) {
    h.timeNs = time;
    k = colonToken - 1;
    // Forwards: [period] event.
    let next = colonToken + 1;
    for (let t = 0; t < 2; t++) {
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      if (i >= n) return false;
      const s = i;
      while (i < n && !isBlank(text.charCodeAt(i))) i++;
      tokenStart[next] = s;
      tokenEnd[next] = i;
      if (i - s >= 2 && text.charCodeAt(i - 1) === 58) break;
      if (t === 1 || !isDigitsToken(text, next)) return false;
      h.period = digitsValue(text, s, i);
      next++;
    }
    event = next;
  } else {
    h.timeNs = NO_TIME;
    event = colonToken;
    k = colonToken - 1;
    // [period] just before the event, when what precedes it is a tid or a cpu.
    if (k >= 1 && isDigitsToken(text, k) && (isTidToken(text, k - 1) || isCpuToken(text, k - 1))) {
      h.period = digitsValue(text, tokenStart[k], tokenEnd[k]);
      k--;
    }
  }
  // Backwards: [tod] (`-F +tod`: date and clock), [misc] (`-F +misc`), [cpu], then tid.
  if (time >= 0 && k >= 1 && isTodDate(text, k - 1) && isTodClock(text, k)) k -= 2;
  if (k >= 1 && isMiscToken(text, k) && (isCpuToken(text, k - 1) || isTidToken(text, k - 1))) k--;
  if (k >= 0 && isCpuToken(text, k)) k--;
  if (k >= 0 && readTid(text, k, h)) k--;
  else if (time < 0) return false;
  // Without a time, a comm and a tid are what make this a sample line.
  if (time < 0 && k < 0) return false;
  h.commStart = k >= 0 ? tokenStart[0] : 0;
  h.commEnd = k >= 0 ? tokenEnd[k] : 0;
  h.eventStart = tokenStart[event];
  h.eventEnd = tokenEnd[event] - 1;
  h.payloadStart = tokenEnd[event];
  return true;
}

/**
 * The two scanners of one line grammar, for the test that checks they agree
 * (packages/parser/test/perf-scanners.test.ts): `bytes` reads undecoded
 * bytes and may decline a line, but what it accepts, `tokens` must read the
 * same from the decoded line.
 */
export const SAMPLE_HEAD_SCANNERS = { bytes: scanSampleHeadBytes, tokens: scanSampleHeadTokens } as const;
