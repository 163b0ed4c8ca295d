// Chunk → ChunkSummary: splits bytes into lines and folds each parsed line into counts.
// Runs inside the parse workers; pure, so tests and `scan` golden files exercise it directly.

import { DURATION_BUCKETS } from '../../metrics/catalog.js';
import { METHODS } from '../../metrics/methods.js';
import type { ChunkSummary, DurationCount, RequestCount } from '../../store/chunk-summary.js';
import { emptyParsedLine, type LineParser, lineParser, type ParsedLine } from './line-parser.js';
import type { FormatPlan } from './log-format.js';
import { routeOfBytes } from './request-route.js';
import type { RouteTemplate } from './route.js';

const NEWLINE = 0x0a;
const CR = 0x0d;
const STATUSES = 600; // status codes are 100..599; index directly by code
const BUCKETS = DURATION_BUCKETS.length + 1;
const FAILED_SAMPLE = 5;

/**
 * Reusable accumulator: flat typed arrays indexed by method × status, so the per-line
 * cost is two array writes, and only the cells a chunk touched are read back.
 */
export class ChunkSummarizer {
  private readonly counts = new Float64Array(METHODS.length * STATUSES);
  private readonly bytes = new Float64Array(METHODS.length * STATUSES);
  private readonly touched: number[] = [];
  private readonly durationBuckets = new Float64Array(METHODS.length * BUCKETS);
  private readonly durationSums = new Float64Array(METHODS.length);
  private readonly durationCounts = new Float64Array(METHODS.length);
  private readonly upstream = new Histograms();
  private readonly line = emptyParsedLine();
  private readonly parse: LineParser;

  /** --route-label: requests by method, status and route (the parser made withPath), else null. */
  private readonly routed: Map<string, RequestCount> | null;

  /**
   * A plan (Apache, nginx), or a parser of the same contract (JSON: json-format.ts). `routes`:
   * count requests by route too (--route-label; a parser that finds the path), with these templates.
   */
  constructor(
    plan: FormatPlan | LineParser,
    private readonly maxLineBytes: number,
    private readonly routes: readonly RouteTemplate[] | null = null,
  ) {
    this.parse = typeof plan === 'function' ? plan : lineParser(plan, routes !== null);
    this.routed = routes ? new Map() : null;
  }

  /** Every `\n`-terminated line in buf counts; so does a final unterminated one (end of a file). */
  summarize(chunk: Uint8Array): ChunkSummary {
    let lines = 0;
    let parseFailures = 0;
    let tooLong = 0;
    const failedSample: Uint8Array[] = [];
    const { parse, maxLineBytes, line, counts, bytes, touched, routed } = this;
    // A Buffer view (no copy): its indexOf is a native memchr, several times faster per line.
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const length = buf.length;
    let start = 0;
    while (start < length) {
      let nl = buf.indexOf(NEWLINE, start);
      if (nl < 0) nl = length;
      let end = nl;
      if (end > start && buf[end - 1] === CR) end--;
      lines++;
      if (end - start > maxLineBytes) {
        tooLong++;
      } else if (parse(buf, start, end, line)) {
        if (routed) this.countRoute(routed, buf, line);
        else {
          const cell = line.method * STATUSES + line.status;
          if (counts[cell] === 0) touched.push(cell);
          counts[cell] = (counts[cell] as number) + 1;
          bytes[cell] = (bytes[cell] as number) + line.bytes;
        }
        if (!Number.isNaN(line.seconds)) this.observe(line.method, line.seconds);
        if (!Number.isNaN(line.upstream)) this.upstream.observe(line.method, line.upstream);
      } else {
        parseFailures++;
        // A few failed lines go back with the counts: what the not-parsing warning suggests a format from.
        if (failedSample.length < FAILED_SAMPLE)
          failedSample.push(new Uint8Array(buf.subarray(start, Math.min(end, start + 4096)))); // a copy: the chunk goes back
      }
      start = nl + 1;
    }
    const summary: ChunkSummary = {
      lines,
      parseFailures,
      tooLong,
      requests: this.drainRequests(),
      durations: this.drainDurations(),
    };
    const upstream = this.upstream.drain();
    if (upstream.length > 0) summary.upstream = upstream;
    if (failedSample.length > 0) summary.failedSample = failedSample;
    return summary;
  }

  /** One request by route: the route computed here, in the worker (the store only bounds its values). */
  private countRoute(routed: Map<string, RequestCount>, buf: Uint8Array, line: ParsedLine): void {
    const route = routeOfBytes(buf, line.pathStart, line.pathEnd, this.routes ?? []);
    const key = `${line.method * STATUSES + line.status}\u0000${route}`;
    const r = routed.get(key);
    if (r) {
      r.count++;
      r.bytes += line.bytes;
    } else routed.set(key, { method: line.method, status: line.status, count: 1, bytes: line.bytes, route });
  }

  private observe(method: number, seconds: number): void {
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket++;
    const cell = method * BUCKETS + bucket;
    this.durationBuckets[cell] = (this.durationBuckets[cell] as number) + 1;
    this.durationSums[method] = (this.durationSums[method] as number) + seconds;
    this.durationCounts[method] = (this.durationCounts[method] as number) + 1;
  }

  private drainRequests(): RequestCount[] {
    if (this.routed) {
      const out = [...this.routed.values()];
      this.routed.clear();
      return out;
    }
    const out: RequestCount[] = [];
    for (const cell of this.touched) {
      out.push({
        method: Math.floor(cell / STATUSES),
        status: cell % STATUSES,
        count: this.counts[cell] as number,
        bytes: this.bytes[cell] as number,
      });
      this.counts[cell] = 0;
      this.bytes[cell] = 0;
    }
    this.touched.length = 0;
    return out;
  }

  private drainDurations(): DurationCount[] {
    const out: DurationCount[] = [];
    for (let method = 0; method < METHODS.length; method++) {
      const count = this.durationCounts[method] as number;
      if (count === 0) continue;
      const first = method * BUCKETS;
      out.push({
        method,
        count,
        sum: this.durationSums[method] as number,
        buckets: Array.from(this.durationBuckets.subarray(first, first + BUCKETS)),
      });
      this.durationBuckets.fill(0, first, first + BUCKETS);
      this.durationSums[method] = 0;
      this.durationCounts[method] = 0;
    }
    return out;
  }
}

/** Per-method duration histograms (the upstream time's), drained per chunk. */
class Histograms {
  private readonly buckets = new Float64Array(METHODS.length * BUCKETS);
  private readonly sums = new Float64Array(METHODS.length);
  private readonly counts = new Float64Array(METHODS.length);

  observe(method: number, seconds: number): void {
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket++;
    const cell = method * BUCKETS + bucket;
    this.buckets[cell] = (this.buckets[cell] as number) + 1;
    this.sums[method] = (this.sums[method] as number) + seconds;
    this.counts[method] = (this.counts[method] as number) + 1;
  }

  drain(): DurationCount[] {
    const out: DurationCount[] = [];
    for (let method = 0; method < METHODS.length; method++) {
      const count = this.counts[method] as number;
      if (count === 0) continue;
      const first = method * BUCKETS;
      out.push({
        method,
        count,
        sum: this.sums[method] as number,
        buckets: Array.from(this.buckets.subarray(first, first + BUCKETS)),
      });
      this.buckets.fill(0, first, first + BUCKETS);
      this.sums[method] = 0;
      this.counts[method] = 0;
    }
    return out;
  }
}
