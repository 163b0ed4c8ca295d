// Where the thread pools find their workers, and the thread boundary both pools keep.
//
// What crosses threads (piscina): INTO a worker, the bytes to work on, transferred (moved, never
// copied): a file chunk (parse pool: transforms/log/worker.ts, with the compiled format and the
// line limit), or a push body / NUL-joined queue messages (decode pool: transforms/push/
// decode-worker.ts, with the BatchContext, structured-cloned). OUT of a worker, the result,
// structured-cloned: a ChunkSummary (a few hundred bytes) or a DecodedBatch (typed arrays and one
// string per series) / the reason a body was refused; and the same bytes, moved back
// (moved-back.ts) so the main thread can reuse or write them.
// Who owns a buffer: whoever holds it now. The parse pool owns its chunk buffers and lends one to a
// reader per lease; once handed to run() it belongs to the worker until it comes back, and the
// caller must not touch it. A push body is moved only when it owns its whole ArrayBuffer (else the
// thread gets a copy and the caller keeps the original).
// How failures come back: a worker that throws ends its thread (parse) or rejects its task, and
// piscina rejects the run; the pool tells its onFailure (counted as log_analyzer_errors_total) and
// then: a chunk is read again from the file and retried, up to 3 attempts, after which its lines
// are counted as worker failures, never dropped; a copied push body is decoded inline, a moved one
// is answered 503 (nothing applied, a retry is safe); queue messages are decoded again from their
// processing list.

/** Under vitest/tsx this module is TypeScript and so are the workers; built, all are .js. */
const runningFromSource = import.meta.url.endsWith('.ts');

/** The URL of a worker module, given relative to this folder without its extension ('../log/worker'). */
export function workerUrl(path: string): string {
  return new URL(`${path}.${runningFromSource ? 'ts' : 'js'}`, import.meta.url).href;
}

/** The Node flags a worker needs to load TypeScript when running from source; built: none of its own (undefined). */
export const workerExecArgv: string[] | undefined = runningFromSource ? ['--import', 'tsx'] : undefined;
