// The service's own log: pino, one line per event on stderr, as JSON (`time`, `level`, `msg`, then
// the event's fields) or as text (`log-analyzer: msg key=value…`, the lines it always wrote). Text
// is a few lines here rather than pino-pretty: no worker thread, no extra dependency, and a
// terminal sees exactly the messages it saw before. Never log a key, a password or a body.

import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger };

export type LogFormat = 'json' | 'text';

/** The format `auto` means: text for a person at a terminal, JSON for journald, containers and pipes. */
export function resolvedFormat(format: string, stderrIsTTY: boolean): LogFormat {
  if (format === 'json' || format === 'text') return format;
  return stderrIsTTY ? 'text' : 'json';
}

/** A field's value in a text line: bare when it is one plain word, else JSON-quoted (logfmt's way). */
function shown(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  return /^[^\s"=\\\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value);
}

/** Fields a text line leaves out: its message says them already (`SIGHUP: configuration reloaded: …`). */
const SAID_IN_TEXT = new Set(['event', 'trigger', 'result']);

/** One JSON line of pino's as the text line: `log-analyzer: msg key=value…`. Pure. */
export function textLine(json: string): string {
  const { time: _time, level: _level, msg, ...fields } = JSON.parse(json) as Record<string, unknown>;
  const rest = Object.entries(fields)
    .filter(([k, v]) => v !== undefined && !SAID_IN_TEXT.has(k))
    .map(([k, v]) => ` ${k}=${shown(v)}`)
    .join('');
  return `log-analyzer: ${msg ?? ''}${rest}\n`;
}

export interface LoggerOptions {
  format: LogFormat;
  level: LevelWithSilent;
  /** Where lines go (default: stderr, written synchronously so a line said before exit is not lost). */
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const stream: DestinationStream = {
    write: options.format === 'json' ? write : (line: string) => write(textLine(line)),
  };
  return pino(
    {
      level: options.level,
      // No pid or hostname: journald and container runtimes add their own.
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}
