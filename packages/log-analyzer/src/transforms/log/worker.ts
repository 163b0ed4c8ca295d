// Piscina entry: the only code that runs on the parse threads.
// Crossing in: a ParseTask whose `bytes` buffer was transferred (moved, not copied) by the pool.
// Crossing out: the ChunkSummary (a few hundred bytes, cloned) and the same buffer, moved back
// so the pool can reuse it. A thread whose task threw ends itself (a fresh one takes its place).

import { writeSync } from 'node:fs';
import { RE2JS } from 're2js';
import type { ChunkSummary } from '../../store/chunk-summary.js';
import { movedBack } from '../pool/moved-back.js';
import { AppSummarizer } from './app-summarize.js';
import { compileAnyFormat } from './formats.js';
import { compileTemplates } from './route.js';
import type { Rule } from './rule-config.js';
import { ChunkSummarizer } from './summarize-chunk.js';
import { RuleRunner } from './user-rules.js';

export interface ParseTask {
  bytes: Uint8Array;
  /** The format's text (formats.ts): the file's own when it has one ([[files]]), else --format. */
  format: string;
  maxLineBytes: number;
  /** The `app` format: a user's continuation pattern (RE2 syntax), checked at load. */
  continuation?: string | null;
  /** The user rules that read this chunk's file, as JSON text of RuleSet (compiled here, once per text). */
  rules?: string | null;
  /** --route-label: requests are counted by route too, with these templates (null: not, the default). */
  routes?: string[] | null;
}

/** What `ParseTask.rules` holds: the rules, their ids (RuleCount.rule: their place in the whole list), the route templates. */
export interface RuleSet {
  rules: Rule[];
  ids: number[];
  routes: string[];
}

export interface ParseResult {
  summary: ChunkSummary;
  bytes: Uint8Array;
}

// One summarizer per (format, limit): a worker compiles each format once, not per chunk.
const summarizers = new Map<string, { summarize(chunk: Uint8Array): ChunkSummary }>();
// One runner per rule set's text: compiled once per thread.
const runners = new Map<string, RuleRunner>();

/**
 * Runs a task; if it throws, this thread ends itself at once (the pool then rejects the task and
 * starts a fresh thread), so the chunk is retried there, not on a thread left in a bad state.
 * At once: between tasks a piscina thread waits on Atomics, so a deferred exit would never run.
 */
export function endOnFailure<T, R>(task: (input: T) => R): (input: T) => R {
  return (input) => {
    try {
      return task(input);
    } catch (error) {
      // The pool only learns that the thread exited: the cause goes to stderr (fd 2 is shared).
      writeSync(2, `log-analyzer: parse thread failed (${(error as Error).message}); a fresh thread takes over\n`);
      process.exit(1);
    }
  };
}

export default endOnFailure(parseChunk);

function parseChunk(task: ParseTask): unknown {
  const key = `${task.maxLineBytes}\u0000${task.format}\u0000${task.continuation ?? ''}\u0000${task.routes ? JSON.stringify(task.routes) : ''}`;
  let summarizer = summarizers.get(key);
  if (!summarizer) {
    summarizer = summarizerFor(task);
    summarizers.set(key, summarizer);
  }
  const summary = summarizer.summarize(task.bytes);
  if (task.rules) {
    let runner = runners.get(task.rules);
    if (!runner) {
      const set = JSON.parse(task.rules) as RuleSet;
      runner = new RuleRunner(set.rules, set.ids, compileTemplates(set.routes));
      runners.set(task.rules, runner);
    }
    summary.rules = runner.run(task.bytes, task.maxLineBytes);
  }
  const result: ParseResult = { summary, bytes: task.bytes };
  return movedBack(result, [task.bytes.buffer as ArrayBuffer]);
}

/** The summarizer for a format's text: one case per kind of format (formats.ts). */
function summarizerFor(task: ParseTask): { summarize(chunk: Uint8Array): ChunkSummary } {
  const routes = task.routes ?? null;
  const compiled = compileAnyFormat(task.format, routes !== null);
  switch (compiled.kind) {
    case 'line':
    case 'json':
      return new ChunkSummarizer(compiled.parse, task.maxLineBytes, routes && compileTemplates(routes));
    case 'app': {
      const pattern = task.continuation ? RE2JS.compile(task.continuation) : null;
      return new AppSummarizer(task.maxLineBytes, pattern ? (line) => pattern.matcher(line).find() : null);
    }
  }
}
