// Application logs: which level a line's message has, and whether a line only continues the
// message before it (a stack trace). Pure, on bytes: nothing is decoded or allocated per line
// but the few short words looked up, so non-UTF-8, NUL and very long lines cannot break it.
// Examples, in the order they are tried:
//   {"level":30,"time":1700000000000,"msg":"listening"}              JSON (pino's numbers, or words)
//   W1203 15:04:05.123456   42 server.go:80] slow request            glog / klog
//   <3>Dec  3 17:00:00 host app[42]: disk full                        syslog severity
//   ts=2026-12-03T17:00:00Z level=warn msg="retrying"                 logfmt
//   2026/12/03 17:00:00 [error] 12#0: *5 open() failed                nginx error log
//   [Wed Oct 11 14:32:52.123 2000] [core:error] [pid 35708] ...      Apache error log
//   2026-12-03 17:00:00.123 ERROR [main] c.e.Checkout - failed       any text: an upper-case word

/** The fixed set of `level` label values; a line's level is an index into it. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'unknown'] as const;
export type Level = (typeof LEVELS)[number];
const [TRACE, DEBUG, INFO, WARN, ERROR, FATAL, UNKNOWN] = [0, 1, 2, 3, 4, 5, 6] as const;
export const UNKNOWN_LEVEL = UNKNOWN;

/** Level words, lower case, as loggers spell them (syslog, log4j/logback, JUL, Python, zap, zerolog, Serilog, GCP). */
const WORDS: Record<string, number> = {
  trace: TRACE,
  trc: TRACE,
  verbose: TRACE,
  finest: TRACE,
  finer: TRACE,
  debug: DEBUG,
  dbg: DEBUG,
  fine: DEBUG,
  info: INFO,
  inf: INFO,
  information: INFO,
  notice: INFO,
  warn: WARN,
  warning: WARN,
  wrn: WARN,
  error: ERROR,
  err: ERROR,
  eror: ERROR,
  severe: ERROR,
  dpanic: ERROR,
  fatal: FATAL,
  ftl: FATAL,
  critical: FATAL,
  crit: FATAL,
  panic: FATAL,
  pnc: FATAL,
  alert: FATAL,
  emerg: FATAL,
  emergency: FATAL,
};
const LONGEST_WORD = 11;
/** No level word is shorter (`err`, `inf`): shorter words (`Z` of a timestamp) are not looked up. */
const SHORTEST_WORD = 3;

/** Syslog severities 0..7 (emerg, alert, crit, err, warning, notice, info, debug). */
const SYSLOG = [FATAL, FATAL, FATAL, ERROR, WARN, INFO, INFO, DEBUG];
/** glog's first letter: Info, Warning, Error, Fatal. */
const GLOG: Record<number, number> = { 73: INFO, 87: WARN, 69: ERROR, 70: FATAL };

/** JSON keys that hold the level (top level only; `log.level` is ECS's flat spelling, `@l` Serilog's). */
const JSON_KEYS = new Set(['level', 'lvl', 'severity', 'loglevel', 'log.level', '@l']);
/** logfmt keys that hold the level. */
const LOGFMT_KEYS = new Set(['level', 'lvl', 'severity', 'loglevel']);

/** Plain text: only this many bytes at the start are searched for a level (it sits in the prefix). */
export const TEXT_PREFIX_BYTES = 256;

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Result of levelOf beyond the level: whether the line looked like JSON but was not whole. */
export interface LevelScan {
  truncated: boolean;
}

/** The level index of one line (start..end, without its newline). */
export function levelOf(buf: Uint8Array, start: number, end: number, scan: LevelScan): number {
  scan.truncated = false;
  const first = buf[start];
  if (first === 0x7b) return jsonLevel(buf, start, end, scan);
  if (first !== undefined && GLOG[first] !== undefined && isGlog(buf, start, end)) return GLOG[first] as number;
  if (first === 0x3c) {
    const severity = syslogSeverity(buf, start, end);
    if (severity >= 0) return SYSLOG[severity] as number;
  }
  return textLevel(buf, start, Math.min(end, start + TEXT_PREFIX_BYTES));
}

/** `W1203 15:04:05` : a glog letter, four digits (month, day), a space, two digits. */
function isGlog(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 8) return false;
  for (let i = 1; i <= 4; i++) if (!isDigit(buf[start + i])) return false;
  return buf[start + 5] === SPACE && isDigit(buf[start + 6]) && isDigit(buf[start + 7]);
}

/** `<PRI>` at the start: the severity (PRI mod 8), or -1. */
function syslogSeverity(buf: Uint8Array, start: number, end: number): number {
  let pri = 0;
  let i = start + 1;
  for (; i < end && i <= start + 3 && isDigit(buf[i]); i++) pri = pri * 10 + ((buf[i] as number) - 0x30);
  if (i === start + 1 || buf[i] !== 0x3e || pri > 191) return -1;
  return pri % 8;
}

/**
 * Text: the first level word among the first TEXT_PREFIX_BYTES bytes, where a level word is
 * an upper-case word (`ERROR`, `WRN`), any case inside brackets (`[error]`, `[core:error]`,
 * `<warn>`), any case as a tab-separated field (zap's console), or a logfmt value (`level=warn`).
 * A lower-case word in running text (`an error occurred`) is not a level.
 */
function textLevel(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (!isLetter(c)) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < end && isWordByte(buf[j] as number)) j++;
    const before = i > start ? (buf[i - 1] as number) : -1;
    const after = j < end ? (buf[j] as number) : -1;
    if (after === 0x3d && (before === SPACE || before === TAB || before === -1)) {
      // logfmt: key=value
      if (LOGFMT_KEYS.has(word(buf, i, j))) {
        const level = logfmtValue(buf, j + 1, end);
        if (level >= 0) return level;
      }
    } else if (j - i >= SHORTEST_WORD && j - i <= LONGEST_WORD) {
      const bracketed =
        (before === 0x5b || before === 0x3a || before === 0x3c || before === 0x28) &&
        (after === 0x5d || after === 0x3e || after === 0x29);
      const field = (before === TAB || before === -1) && (after === TAB || after === -1) && before + after !== -2;
      if (bracketed || field || isUpperWord(buf, i, j)) {
        const level = WORDS[word(buf, i, j)];
        if (level !== undefined) return level;
      }
    }
    i = j;
  }
  return UNKNOWN;
}

/** A logfmt value after `key=`: a bare or quoted word. */
function logfmtValue(buf: Uint8Array, from: number, end: number): number {
  let i = from;
  if (buf[i] === QUOTE) i++;
  let j = i;
  while (j < end && isLetter(buf[j] as number)) j++;
  if (j === i || j - i > LONGEST_WORD) return -1;
  return WORDS[word(buf, i, j)] ?? UNKNOWN;
}

/**
 * JSON: walks the top-level object to its closing brace (skipping nested values, honouring
 * escapes) and takes the first level key's value: a word, or a number on pino's scale (10 trace,
 * 20 debug, 30 info, 40 warn, 50 error, 60 fatal). A line that ends before the object does (a
 * truncated write) is `unknown` and `scan.truncated`: its level cannot be trusted.
 */
function jsonLevel(buf: Uint8Array, start: number, end: number, scan: LevelScan): number {
  let level = -1;
  let i = skipSpace(buf, start + 1, end);
  if (buf[i] === 0x7d) return finish(buf, i + 1, end, UNKNOWN, scan);
  for (;;) {
    if (buf[i] !== QUOTE) return broken(scan);
    const keyEnd = stringEnd(buf, i + 1, end);
    if (keyEnd < 0) return broken(scan);
    const isLevelKey = level < 0 && keyEnd - i - 1 <= 9 && JSON_KEYS.has(word(buf, i + 1, keyEnd));
    i = skipSpace(buf, keyEnd + 1, end);
    if (buf[i] !== 0x3a) return broken(scan);
    i = skipSpace(buf, i + 1, end);
    const valueStart = i;
    i = valueEnd(buf, i, end);
    if (i < 0) return broken(scan);
    if (isLevelKey) level = jsonValueLevel(buf, valueStart, i);
    i = skipSpace(buf, i, end);
    if (buf[i] === 0x2c) {
      i = skipSpace(buf, i + 1, end);
      continue;
    }
    if (buf[i] === 0x7d) return finish(buf, i + 1, end, level < 0 ? UNKNOWN : level, scan);
    return broken(scan);
  }
}

function finish(buf: Uint8Array, from: number, end: number, level: number, scan: LevelScan): number {
  return skipSpace(buf, from, end) === end ? level : broken(scan);
}

function broken(scan: LevelScan): number {
  scan.truncated = true;
  return UNKNOWN;
}

function jsonValueLevel(buf: Uint8Array, start: number, end: number): number {
  if (buf[start] === QUOTE) {
    const length = end - start - 2;
    return length > 0 && length <= LONGEST_WORD ? (WORDS[word(buf, start + 1, end - 1)] ?? UNKNOWN) : UNKNOWN;
  }
  let n = 0;
  for (let i = start; i < end; i++) {
    if (!isDigit(buf[i])) return UNKNOWN;
    n = n * 10 + ((buf[i] as number) - 0x30);
  }
  if (end === start) return UNKNOWN;
  return n < 20 ? TRACE : n < 30 ? DEBUG : n < 40 ? INFO : n < 50 ? WARN : n < 60 ? ERROR : FATAL;
}

/** Index just past a JSON value starting at `i`, or -1 if the line ends first. */
function valueEnd(buf: Uint8Array, i: number, end: number): number {
  const c = buf[i];
  if (c === QUOTE) {
    const close = stringEnd(buf, i + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    while (i < end) {
      const b = buf[i] as number;
      if (b === QUOTE) {
        const close = stringEnd(buf, i + 1, end);
        if (close < 0) return -1;
        i = close + 1;
        continue;
      }
      if (b === 0x7b || b === 0x5b) depth++;
      else if (b === 0x7d || b === 0x5d) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  const from = i;
  while (i < end) {
    const b = buf[i] as number;
    if (b === 0x2c || b === 0x7d || b === SPACE || b === TAB || b === 0x0d) break;
    i++;
  }
  return i === from || i === end ? -1 : i;
}

/** Index of the quote closing a JSON string whose first byte is at `i`, or -1. */
function stringEnd(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = buf[i] as number;
    if (b === QUOTE) return i;
    i += b === BACKSLASH ? 2 : 1;
  }
  return -1;
}

function skipSpace(buf: Uint8Array, i: number, end: number): number {
  while (i < end && (buf[i] === SPACE || buf[i] === TAB || buf[i] === 0x0d)) i++;
  return i;
}

/**
 * A line that only continues the message above it, and so never counts as a message: an
 * indented line (a stack frame), `at …`, `Caused by:`, `... 12 more`, Python's `Traceback (most
 * recent call last):`, or an exception's header (`java.lang.IllegalStateException: boom`,
 * `TypeError: x`, `Error: boom`). Blank lines are not messages either. Deciding this per line,
 * with no memory of the line above, is what makes a trace count once whichever chunk or file
 * generation its lines land in: a continuation at the start of a chunk, or of a file after a
 * rotation, is still never a message.
 */
export function isContinuation(buf: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return true;
  const first = buf[start] as number;
  if (first === SPACE || first === TAB) return true;
  if (first === 0x2e) return startsWith(buf, start, end, DOTS);
  if (first === 0x61) return startsWith(buf, start, end, AT);
  if (first === 0x43 && startsWith(buf, start, end, CAUSED_BY)) return true;
  if (first === 0x54 && startsWith(buf, start, end, TRACEBACK)) return true;
  return isExceptionHeader(buf, start, end);
}

const encoder = new TextEncoder();
const DOTS = encoder.encode('...');
const AT = encoder.encode('at ');
const CAUSED_BY = encoder.encode('Caused by:');
const TRACEBACK = encoder.encode('Traceback (most recent call last)');
const SUFFIXES = ['Exception', 'Error', 'Throwable'].map((s) => encoder.encode(s));

/** `[\w$.]*(Exception|Error|Throwable)` then `:` or the end of the line. */
function isExceptionHeader(buf: Uint8Array, start: number, end: number): boolean {
  if (!isLetter(buf[start] as number)) return false;
  let i = start;
  while (i < end && i - start < 200) {
    const b = buf[i] as number;
    if (!(isWordByte(b) || b === 0x2e || b === 0x24)) break;
    i++;
  }
  if (i < end && buf[i] !== 0x3a) return false;
  for (const suffix of SUFFIXES)
    if (i - start >= suffix.length && startsWith(buf, i - suffix.length, i, suffix)) return true;
  return false;
}

function startsWith(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[start + k] !== prefix[k]) return false;
  return true;
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

function isLetter(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
}

function isWordByte(b: number): boolean {
  return isLetter(b) || (b >= 0x30 && b <= 0x39) || b === 0x5f;
}

function isUpperWord(buf: Uint8Array, i: number, j: number): boolean {
  for (let k = i; k < j; k++) {
    const b = buf[k] as number;
    if (b < 0x41 || b > 0x5a) return false;
  }
  return true;
}

/** A short ASCII word, lower-cased (only ever called on a few bytes). */
function word(buf: Uint8Array, i: number, j: number): string {
  let s = '';
  for (let k = i; k < j; k++) {
    const b = buf[k] as number;
    s += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b);
  }
  return s;
}
