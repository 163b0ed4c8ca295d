import { describe, expect, it } from 'vitest';
import { HISTORY_DEFAULTS } from '../config/analyzer-config.js';
import { History } from '../history/history.js';
import { Store } from '../store/store.js';
import { historyRoutes } from './history-routes.js';
import { frame, LiveFeed, storeTotals, type Totals } from './live-feed.js';
import { uiRoutes } from './ui-routes.js';

const totals = (at: number, lines: number, statuses: [string, number][], buckets: number[] | null): Totals => ({
  at,
  lines: new Map([['a.log', lines]]),
  statuses: new Map(statuses),
  latency: buckets ? { bounds: [0.1, 1], buckets } : null,
  lagBytes: new Map([['a.log', 12]]),
  queueDepth: null,
});

describe('frame', () => {
  const latencyCases = [
    { name: 'a format with a duration field', given: [0, 0, 0], want: true },
    { name: 'a format without one (no duration histogram)', given: null, want: false },
  ];
  for (const { name, given, want } of latencyCases) {
    it(`says whether there is a latency to show: ${name}`, () => {
      expect(frame(totals(0, 0, [], given), totals(1000, 0, [], given)).hasLatency).toBe(want);
    });
  }

  it('parse failures per file, as lines/s over the interval (files with none left out)', () => {
    const at = (t: number, failures: [string, number][]) => ({
      ...totals(t, 0, [], null),
      parseFailures: new Map(failures),
    });
    const f = frame(
      at(0, [
        ['a.log', 100],
        ['b.log', 7],
      ]),
      at(2000, [
        ['a.log', 700],
        ['b.log', 7],
        ['c.log', 4],
      ]),
    );
    expect(f.parseFailuresPerSecond).toEqual({ 'a.log': 300, 'c.log': 2 });
  });

  it('reads parse failures by file from log_errors_total{reason="parse_failure"}', () => {
    const store = new Store();
    const errors = store.family({
      name: 'log_errors_total',
      help: 'h',
      kind: 'counter',
      labelNames: ['file', 'reason'],
    });
    errors.inc(['a.log', 'parse_failure'], 5);
    errors.inc(['a.log', 'line_too_long'], 9);
    expect(storeTotals(store, new Map(), null, 0).parseFailures).toEqual(new Map([['a.log', 5]]));
  });

  it('rates over the time between two readings, classes, error ratio, latency of the interval, top codes', () => {
    const f = frame(
      totals(
        0,
        100,
        [
          ['200', 50],
          ['500', 10],
        ],
        [10, 0, 0],
      ),
      totals(
        2000,
        300,
        [
          ['200', 230],
          ['500', 30],
          ['404', 10],
        ],
        [110, 100, 0],
      ),
    );
    expect(f.linesPerSecond).toEqual({ 'a.log': 100 });
    expect(f.requestsPerSecond).toEqual({ '1xx': 0, '2xx': 90, '3xx': 0, '4xx': 5, '5xx': 10 });
    expect(f.errorRatio).toBeCloseTo(10 / 105, 9);
    // 200 observations in the interval: 100 ≤ 0.1 s, 100 in (0.1, 1]: the median is 0.1.
    expect(f.latency?.p50).toBeCloseTo(0.1, 9);
    expect(f.latency?.p99).toBeCloseTo(0.1 + 0.9 * (98 / 100), 9);
    expect(f.topStatus).toEqual([
      ['200', 230],
      ['500', 30],
      ['404', 10],
    ]);
    expect(f.lagBytes).toEqual({ 'a.log': 12 });
  });

  it('no requests: no error ratio and no latency', () => {
    const f = frame(totals(0, 0, [], [0, 0, 0]), totals(1000, 0, [], [0, 0, 0]));
    expect(f.errorRatio).toBeNull();
    expect(f.latency).toBeNull();
  });
});

describe('the live feed and its routes', () => {
  it('ticks only while someone listens; a new client gets the kept frames first', async () => {
    let n = 0;
    const feed = new LiveFeed(() => totals(n * 1000, n * 10, [], null), 2, 60_000);
    const got: number[] = [];
    const stop = feed.subscribe((f) => got.push(f.linesPerSecond['a.log'] as number));
    for (n = 1; n <= 3; n++) feed.tick();
    expect(got).toEqual([10, 10, 10]);
    expect(feed.snapshot()).toHaveLength(2); // keeps the last 2
    stop();
    expect(feed.clients).toBe(0);
    const app = uiRoutes(feed, new History(new Store(), HISTORY_DEFAULTS));
    const res = await app.request('/ui/events');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    expect(first).toMatch(/^event: snapshot\ndata: \[\{"t":/);
    await reader?.cancel();
    feed.stop();
  });

  it('serves the page and uPlot from the package, no CDN', async () => {
    const app = uiRoutes(new LiveFeed(() => totals(0, 0, [], null)), new History(new Store(), HISTORY_DEFAULTS));
    const page = await (await app.request('/ui')).text();
    expect(page).toContain('<script src="/ui/uplot.js">');
    expect(page).not.toMatch(/https?:\/\//);
    const uplot = await app.request('/ui/uplot.js');
    expect(uplot.status).toBe(200);
    expect((await uplot.text()).length).toBeGreaterThan(30_000);
  });

  it('history routes answer bad parameters with 400, naming them', async () => {
    const app = historyRoutes(new History(new Store(), HISTORY_DEFAULTS), () => 0);
    for (const [path, word] of [
      ['/metrics/series?limit=0', 'limit'],
      ['/metrics/series?limit=x', 'limit'],
      // 360 points a series (1 h of 10-s steps): 1,388 series fit in an answer, 1,389 do not.
      ['/metrics/series?limit=1389', 'from 1 to 1388'],
      ['/metrics/trends/x?hours=-1', 'hours'],
      ['/metrics/trends/x?hours=25', 'hours'],
      ['/metrics/trends/x?labels=oops', 'labels'],
    ] as const) {
      const res = await app.request(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(word);
    }
    expect((await app.request('/metrics/series?limit=1388')).status).toBe(200);
    const ok = (await (await app.request('/metrics/series')).json()) as { series: unknown[]; total: number };
    expect(ok).toMatchObject({ series: [], total: 0 });
  });
});
