// Chunk → ChunkSummary for the `app` format (application logs): messages counted by level.
// Runs inside the parse workers; pure. Every line counts in log_lines_total; a line that starts
// a message counts once in `levels`; a continuation line (app-levels.ts) never does, so a
// multi-line message counts once wherever the chunk boundaries or a rotation fall.

import type { ChunkSummary } from '../../store/chunk-summary.js';
import { emptySummary } from '../../store/chunk-summary.js';
import { isContinuation, LEVELS, type LevelScan, levelOf } from './app-levels.js';

const NEWLINE = 0x0a;
const CR = 0x0d;

/** Tells whether a line (decoded) continues a message: the --continuation pattern, compiled. */
export type ContinuationTest = (line: string) => boolean;

export class AppSummarizer {
  private readonly scan: LevelScan = { truncated: false };

  constructor(
    private readonly maxLineBytes: number,
    /** A user's continuation pattern, tried on lines the built-in rules take as new messages. */
    private readonly continuation: ContinuationTest | null = null,
  ) {}

  /** Every `\n`-terminated line in the chunk, and a final unterminated one (the end of a file). */
  summarize(chunk: Uint8Array): ChunkSummary {
    const levels = new Array<number>(LEVELS.length).fill(0);
    let lines = 0;
    let tooLong = 0;
    let parseFailures = 0;
    const { scan, continuation, maxLineBytes } = this;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buf.length) {
      let nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) nl = buf.length;
      let end = nl;
      if (end > start && buf[end - 1] === CR) end--;
      lines++;
      if (end - start > maxLineBytes) tooLong++;
      else if (!isContinuation(buf, start, end) && !continuation?.(buf.toString('utf8', start, end))) {
        const level = levelOf(buf, start, end, scan);
        levels[level] = (levels[level] as number) + 1;
        if (scan.truncated) parseFailures++;
      }
      start = nl + 1;
    }
    return { ...emptySummary(), lines, tooLong, parseFailures, levels };
  }
}
