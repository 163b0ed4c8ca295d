import { compileFormat, PRESETS } from 'log-analyzer/format';
import { ChunkSummarizer } from 'log-analyzer/summarize-chunk';
import { describe, expect, it } from 'vitest';
import { compileAnyFormat } from '../../../log-analyzer/src/transforms/log/formats.js';
import { noiseFormat } from './format-line.js';
import { LineSource, type LineSourceOptions } from './line-source.js';

const NGINX_CUSTOM =
  '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_status $upstream_response_time "$http_user_agent"';

const options: LineSourceOptions = {
  format: 'combined',
  seed: 42,
  errorRate: 0.01,
  malformedRate: 0,
  startTimeMs: Date.UTC(2026, 0, 1),
  simulatedRate: 1000,
};

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

describe('LineSource', () => {
  it.each(Object.keys(PRESETS))('%s: every line parses, every malformed line is an error', (format) => {
    const source = new LineSource({ ...options, format, malformedRate: 0.05 });
    const summarizer = new ChunkSummarizer(compileFormat(format), 65536);
    const summary = summarizer.summarize(new Uint8Array(source.next(20_000, 0)));
    expect(summary.lines).toBe(20_000);
    expect(source.malformed).toBeGreaterThan(800);
    expect(summary.parseFailures + summary.tooLong).toBe(source.malformed);
    const requests = summary.requests.reduce((n, r) => n + r.count, 0);
    expect(requests).toBe(20_000 - source.malformed);
  });

  it.each([
    ['json_nginx', 'json_nginx'],
    [NGINX_CUSTOM, NGINX_CUSTOM],
  ])('%s: the analyzer reads every line with %s, and every malformed one is an error', (written, read) => {
    const source = new LineSource({ ...options, format: noiseFormat(written), malformedRate: 0.05 });
    const summary = new ChunkSummarizer(compileAnyFormat(read).parse, 65536).summarize(
      new Uint8Array(source.next(20_000, 0)),
    );
    expect(summary.lines).toBe(20_000);
    expect(summary.parseFailures + summary.tooLong).toBe(source.malformed);
    expect(summary.requests.reduce((n, r) => n + r.count, 0)).toBe(20_000 - source.malformed);
    // Upstream times are written (a retry's comma list on 5xx) and read back, one per request.
    expect((summary.upstream ?? []).reduce((n, d) => n + d.count, 0)).toBe(20_000 - source.malformed);
  });

  it('the same seed and start time give the same bytes; another seed does not', () => {
    const a = text(new LineSource(options).next(5000, 0));
    expect(text(new LineSource(options).next(5000, 0))).toBe(a);
    expect(text(new LineSource({ ...options, seed: 43 }).next(5000, 0))).not.toBe(a);
  });

  it('simulated time advances with the rate from the start time', () => {
    const lines = text(new LineSource({ ...options, simulatedRate: 2 }).next(5, 0))
      .trim()
      .split('\n');
    expect(lines.map((l) => /\[([^\]]+)\]/.exec(l)?.[1])).toEqual([
      '01/Jan/2026:00:00:00 +0000',
      '01/Jan/2026:00:00:00 +0000',
      '01/Jan/2026:00:00:01 +0000',
      '01/Jan/2026:00:00:01 +0000',
      '01/Jan/2026:00:00:02 +0000',
    ]);
  });

  it('the wall clock stamps lines when no start time is given', () => {
    const line = text(new LineSource({ ...options, startTimeMs: null }).next(1, Date.UTC(2030, 4, 6, 7, 8, 9)));
    expect(line).toContain('[06/May/2030:07:08:09 +0000]');
  });

  it('the error rate sets the share of 5xx', () => {
    const source = new LineSource({ ...options, errorRate: 0.2 });
    const summary = new ChunkSummarizer(compileFormat('combined'), 65536).summarize(
      new Uint8Array(source.next(20_000, 0)),
    );
    const fivexx = summary.requests.filter((r) => r.status >= 500).reduce((n, r) => n + r.count, 0);
    expect(fivexx / 20_000).toBeGreaterThan(0.17);
    expect(fivexx / 20_000).toBeLessThan(0.23);
  });

  it('durations (%D) are slower for 5xx', () => {
    const source = new LineSource({ ...options, format: 'combined_duration', errorRate: 0.3 });
    const lines = text(source.next(5000, 0)).trim().split('\n');
    const mean = (pick: (status: number) => boolean) => {
      const ds = lines.flatMap((l) => {
        const m = /" (\d{3}) \S+ "[^"]*" "(?:[^"\\]|\\.)*" (\d+)$/.exec(l);
        return m && pick(Number(m[1])) ? [Number(m[2])] : [];
      });
      return ds.reduce((a, b) => a + b, 0) / ds.length;
    };
    expect(mean((s) => s >= 500)).toBeGreaterThan(5 * mean((s) => s < 500));
  });
});
