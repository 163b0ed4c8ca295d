// Application-log messages (for --format app): a level mix, three styles (plain text, pino-like
// JSON, logfmt) and multi-line stack traces, with a tally of what was written, so a test can
// compare the analyzer's log_messages_total with it exactly. Pure and seeded.
// The level of message i is fixed by smooth weighted round-robin (not drawn at random): any run
// of messages holds each level in its share to within one, whatever the seed.

import { createRandom, type Random } from './random.js';

export const APP_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type AppLevel = (typeof APP_LEVELS)[number];
export const APP_STYLES = ['text', 'json', 'logfmt', 'mixed'] as const;
export type AppStyle = (typeof APP_STYLES)[number];

export interface AppLinesOptions {
  seed: number;
  style: AppStyle;
  /** Weight per level (levels left out are never written). */
  weights: Partial<Record<AppLevel, number>>;
  /** Share of error and fatal messages that carry a stack trace (text and logfmt: extra lines). */
  traceRate: number;
  /** Simulated time: message i is stamped startTimeMs + i / simulatedRate seconds; null: the clock. */
  startTimeMs: number | null;
  simulatedRate: number;
}

export interface AppTally {
  messages: number;
  lines: number;
  traces: number;
  levels: Record<AppLevel, number>;
}

const PINO: Record<AppLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const TEXTS = ['request served', 'cache miss for key', 'retrying upstream call', 'checkout failed', 'job finished'];
const encoder = new TextEncoder();

/** "info=70,warn=20,error=10" → weights; throws on anything else. */
export function parseWeights(text: string): Partial<Record<AppLevel, number>> {
  const weights: Partial<Record<AppLevel, number>> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m || !(APP_LEVELS as readonly string[]).includes(m[1] as string)) {
      throw new Error(`--levels takes LEVEL=WEIGHT,… with levels ${APP_LEVELS.join(', ')}: not ${part.trim()}`);
    }
    weights[m[1] as AppLevel] = Number(m[2]);
  }
  if (!Object.values(weights).some((w) => (w as number) > 0)) throw new Error('--levels needs a weight above 0');
  return weights;
}

export class AppLines {
  readonly tally: AppTally = {
    messages: 0,
    lines: 0,
    traces: 0,
    levels: { trace: 0, debug: 0, info: 0, warn: 0, error: 0, fatal: 0 },
  };
  private readonly random: Random;
  private readonly entries: [AppLevel, number][];
  private readonly current: number[];
  private readonly total: number;
  /** Error and fatal messages so far: the trace share is exact over them. */
  private severe = 0;

  constructor(private readonly options: AppLinesOptions) {
    this.random = createRandom(options.seed);
    this.entries = APP_LEVELS.flatMap((l) =>
      (options.weights[l] ?? 0) > 0 ? [[l, options.weights[l] as number]] : [],
    );
    this.current = this.entries.map(() => 0);
    this.total = this.entries.reduce((n, [, w]) => n + w, 0);
  }

  /** The next `count` messages as bytes; `nowMs` stamps them unless time is simulated. */
  next(count: number, nowMs: number): Uint8Array {
    let text = '';
    for (let i = 0; i < count; i++) text += this.message(nowMs);
    return encoder.encode(text);
  }

  private message(nowMs: number): string {
    const { options, tally } = this;
    const index = tally.messages;
    const ms = options.startTimeMs === null ? nowMs : options.startTimeMs + (index * 1000) / options.simulatedRate;
    const level = this.pickLevel();
    const style = options.style === 'mixed' ? (['text', 'json', 'logfmt'] as const)[index % 3] : options.style;
    let trace = false;
    if (level === 'error' || level === 'fatal') {
      this.severe++;
      trace = Math.floor(this.severe * options.traceRate) > Math.floor((this.severe - 1) * options.traceRate);
    }
    const msg = `${TEXTS[this.random.int(TEXTS.length)]} ${index}`;
    const time = new Date(ms).toISOString();
    const frames = trace ? stackFrames(this.random) : [];
    let out: string;
    let lines = 1;
    if (style === 'json') {
      const err = trace
        ? `,"err":{"type":"Error","message":"boom","stack":${JSON.stringify(['Error: boom', ...frames.map((f) => `    ${f}`)].join('\n'))}}`
        : '';
      out = `{"level":${PINO[level]},"time":${Math.floor(ms)},"pid":4242,"hostname":"noise","msg":${JSON.stringify(msg)}${err}}\n`;
    } else {
      out =
        style === 'text'
          ? `${time} ${level.toUpperCase()} [worker-${index % 4}] com.example.Service - ${msg}\n`
          : `ts=${time} level=${level} msg="${msg}" caller=service.go:${100 + (index % 50)}\n`;
      if (trace) {
        const body = [
          `java.lang.IllegalStateException: ${msg}`,
          ...frames.map((f) => `\t${f}`),
          'Caused by: java.io.IOException: connection reset',
          `\t... ${frames.length} more`,
        ];
        out += `${body.join('\n')}\n`;
        lines += body.length;
      }
    }
    if (trace) tally.traces++;
    tally.messages++;
    tally.lines += lines;
    tally.levels[level]++;
    return out;
  }

  /** Smooth weighted round-robin (nginx's upstream balancing): exact shares, evenly spread. */
  private pickLevel(): AppLevel {
    let best = 0;
    for (let k = 0; k < this.entries.length; k++) {
      this.current[k] = (this.current[k] as number) + (this.entries[k] as [AppLevel, number])[1];
      if ((this.current[k] as number) > (this.current[best] as number)) best = k;
    }
    this.current[best] = (this.current[best] as number) - this.total;
    return (this.entries[best] as [AppLevel, number])[0];
  }
}

function stackFrames(random: Random): string[] {
  const n = 3 + random.int(6);
  return Array.from({ length: n }, (_, k) => `at com.example.Service.step${k}(Service.java:${10 + random.int(300)})`);
}
