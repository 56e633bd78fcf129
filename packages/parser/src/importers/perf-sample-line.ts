/**
 * The sample line of `perf script` output — the line that starts a record —
 * read into offsets (perf-script.ts has the grammar).
 *
 * How a sample line is read (never by columns: widths change between
 * versions, and comm may hold spaces and digits — `FS Broker 5906  7564/7598`):
 * split on blanks and anchor on the first `<digits>.<digits>:` token, the
 * time. Backwards from it: an optional `[cpu]`, then `pid/tid` or `tid`, and
 * everything before is comm. Forwards: an optional period (digits), then the
 * event: the next token ending in `:` (one token; `task-clock:ppp:` keeps its
 * modifiers). Without a time, the event is the first token ending in `:`
 * after at least a comm and a tid. Never the line's last `x:`: payloads
 * follow the event.
 *
 *
 * Two scanners read it: a fast one for the usual shape, which may decline a
 * line, and the general one, token by token; what the fast one accepts, the
 * general one reads the same (packages/parser/test/perf-scanners.test.ts).
 */
import { NO_TIME } from '../trace/sink.js';

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

/** The start of the blank-delimited token that ends at `end` (exclusive). */
function tokenStartBefore(text: string, end: number): number {
  // A short loop: lastIndexOf('\t') would scan to the line's start when there is no TAB.
  let s = end;
  while (s > 0 && !isBlank(text.charCodeAt(s - 1))) s--;
  return s;
}

/**
 * The usual sample line, read from its first `:`: when that colon ends the
 * time token (`… <secs>.<frac>: …`), the fields around it are found with
 * native searches (indexOf, lastIndexOf) and short scans instead of
 * tokenizing the whole line — JS character loops cost several ns per
 * character, and sample lines are a third of a callchain file. Returns false
 * when the line is not of that shape (the general scanner then decides).
 */
function scanSampleHeadFast(text: string, h: SampleHead): boolean {
  const n = text.length;
  const colon = text.indexOf(':');
  if (colon < 3 || (colon + 1 < n && !isBlank(text.charCodeAt(colon + 1)))) return false;
  // The time, read backwards: fraction digits, '.', seconds digits.
  let j = colon - 1;
  let frac = 0;
  let scale = 1;
  let fracDigits = 0;
  for (let c = text.charCodeAt(j); c >= 48 && c <= 57; c = text.charCodeAt(--j)) {
    frac += (c - 48) * scale;
    scale *= 10;
    fracDigits++;
  }
  if (fracDigits === 0 || j < 1 || text.charCodeAt(j) !== 46 /* . */) return false;
  let t = j - 1;
  let secs = 0;
  scale = 1;
  for (let c = text.charCodeAt(t); c >= 48 && c <= 57; c = text.charCodeAt(--t)) {
    secs += (c - 48) * scale;
    scale *= 10;
  }
  if (t === j - 1 || (t >= 0 && !isBlank(text.charCodeAt(t)))) return false;
  if (fracDigits > 9) return false; // rare: the general scanner truncates it
  h.timeNs = secs * 1e9 + (fracDigits <= 6 ? frac * 1000 : frac * 10 ** (9 - fracDigits));
  h.pid = -1;
  h.tid = -1;
  h.period = NaN;
  // Backwards from the time: [cpu] tid, then comm.
  let end = t + 1;
  while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 93 /* ] */) {
    const open = text.lastIndexOf('[', end - 1);
    if (open >= 0 && digitsValue(text, open + 1, end - 1) >= 0 && (open === 0 || isBlank(text.charCodeAt(open - 1)))) {
      end = open;
      while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
    }
  }
  if (end > 0) {
    const s = tokenStartBefore(text, end);
    if (readTidAt(text, s, end, h)) {
      end = s;
      while (end > 0 && isBlank(text.charCodeAt(end - 1))) end--;
    }
  }
  let commStart = 0;
  while (commStart < end && isBlank(text.charCodeAt(commStart))) commStart++;
  h.commStart = commStart;
  h.commEnd = end;
  // Forwards: [period] event; the event ends at the first ':' followed by a blank or the end.
  let i = colon + 1;
  while (i < n && isBlank(text.charCodeAt(i))) i++;
  let eventStart = i;
  let c = text.charCodeAt(i);
  if (c >= 48 && c <= 57) {
    let period = 0;
    for (; c >= 48 && c <= 57; c = text.charCodeAt(++i)) period = period * 10 + (c - 48);
    if (i < n && isBlank(c)) {
      h.period = period;
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      eventStart = i;
    } else i = eventStart; // an event name that starts with a digit
  }
  let e = text.indexOf(':', eventStart);
  while (e >= 0 && e + 1 < n && !isBlank(text.charCodeAt(e + 1))) e = text.indexOf(':', e + 1);
  if (e <= eventStart) return false;
  // The event is one token (a TAB inside it is left to the general scanner's tokens: not seen in real files).
  const blank = text.indexOf(' ', eventStart);
  if (blank >= 0 && blank < e) return false;
  h.eventStart = eventStart;
  h.eventEnd = e;
  h.payloadStart = e + 1;
  return true;
}

/** Scans a sample line into `h`; false when the line is not one. */
export function scanSampleHead(text: string, h: SampleHead): boolean {
  return scanSampleHeadFast(text, h) || scanSampleHeadTokens(text, h);
}

/**
 * The general scanner of a sample line (the grammar at the top of the file,
 * token by token); {@link scanSampleHeadFast} must agree with it on every
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
 * (packages/parser/test/perf-scanners.test.ts): `fast` may decline a line,
 * but what it accepts, `tokens` must read the same.
 */
export const SAMPLE_HEAD_SCANNERS = { fast: scanSampleHeadFast, tokens: scanSampleHeadTokens } as const;
