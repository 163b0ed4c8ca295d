// GET /metrics/forecast/:name through the Hono app (no socket), the history's clock in the test's hands.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { HISTORY_DEFAULTS } from '../config/analyzer-config.js';
import { History } from '../history/history.js';
import { Store, type ValueSeries } from '../store/store.js';
import { forecastRoutes, parseForecastLabels } from './forecast-routes.js';
import type { ReadEnv } from './read-auth.js';

const S = HISTORY_DEFAULTS.stepMs;

/** A gauge `depth{q}` rising by 2 a step for `steps` steps, then the app at the last step. */
function rising(steps: number, gapFrom = -1, gapTo = -1) {
  const store = new Store();
  const history = new History(store, HISTORY_DEFAULTS);
  const family = store.family({ name: 'depth', help: 'd', kind: 'gauge', labelNames: ['q'] });
  const a: ValueSeries = { labels: ['a'], value: 0 };
  const b: ValueSeries = { labels: ['b'], value: 0 };
  family.add('a', a);
  family.add('b', b);
  for (let t = 0; t < steps; t++) {
    a.value = 10 + 2 * t;
    b.value = 1000;
    if (t < gapFrom || t >= gapTo) history.sample(t * S);
  }
  const now = (steps - 1) * S;
  return { app: forecastRoutes(history, () => now), now };
}

describe('GET /metrics/forecast/:name', () => {
  it('answers the model, the points it was fitted on and a forecast with a band per point', async () => {
    const { app, now } = rising(60);
    const res = await app.request('/metrics/forecast/depth?hours=1&horizon=0.01&labels=q%3Da');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.metric_name).toBe('depth');
    expect(body.series).toBe(1);
    expect(body.resolution_seconds).toBe(10);
    expect(body.model.method).toBe('holt');
    expect(body.model.alpha).toBeGreaterThan(0);
    expect(body.data_points).toHaveLength(60);
    // 0.01 h = 36 s: 4 steps of 10 s.
    expect(body.forecast).toHaveLength(4);
    const first = body.forecast[0];
    expect(first.timestamp).toBe(new Date(now + S).toISOString());
    expect(first.value).toBeCloseTo(10 + 2 * 60, 3);
    expect(first.lower).toBeLessThan(first.value);
    expect(first.upper).toBeGreaterThan(first.value);
  });

  it('by default the horizon is a quarter of the history there is', async () => {
    const { app } = rising(40);
    const body = await (await app.request('/metrics/forecast/depth?labels=q%3Da')).json();
    expect(body.forecast).toHaveLength(10);
    expect(body.horizon_hours).toBeCloseTo((10 * S) / 3_600_000, 9);
  });

  it('labels as JSON select the same series', async () => {
    const { app } = rising(20);
    const body = await (await app.request(`/metrics/forecast/depth?labels=${encodeURIComponent('{"q":"b"}')}`)).json();
    expect(body.series).toBe(1);
    expect(body.forecast[0].value).toBeCloseTo(1000, 6);
    expect(body.forecast[0].upper).toBeGreaterThan(1000);
  });

  it('a gap stays a gap: no data point in it, and the trend goes on through it', async () => {
    const { app, now } = rising(80, 30, 50);
    const body = await (await app.request('/metrics/forecast/depth?labels=q%3Da&horizon=0.002')).json();
    const times = body.data_points.map((p: { timestamp: string }) => (Date.parse(p.timestamp) - (now - 79 * S)) / S);
    expect(times).toHaveLength(60);
    expect(times.filter((t: number) => t >= 30 && t < 50)).toEqual([]);
    expect(body.forecast[0].value).toBeCloseTo(10 + 2 * 80, 2);
  });

  it("a tenant's key reads its own tenant's series only, whatever labels ask", async () => {
    const store = new Store();
    const history = new History(store, HISTORY_DEFAULTS);
    const family = store.family({ name: 'jobs', help: 'j', kind: 'gauge', labelNames: ['tenant_id'] });
    family.add('a', { labels: ['a'], value: 1 } as ValueSeries);
    family.add('b', { labels: ['b'], value: 2 } as ValueSeries);
    history.sample(0);
    const app = new Hono<ReadEnv>();
    app.use(async (c, next) => {
      c.set('readTenant', 'a');
      await next();
    });
    app.route(
      '/',
      forecastRoutes(history, () => 0),
    );
    const body = await (await app.request('/metrics/forecast/jobs?labels=tenant_id%3Db')).json();
    expect(body.series).toBe(1);
    expect(body.data_points.map((p: { value: number }) => p.value)).toEqual([1]);
  });

  it('no such series: no model, no points', async () => {
    const { app } = rising(5);
    const body = await (await app.request('/metrics/forecast/nothing')).json();
    expect(body).toMatchObject({ series: 0, data_points: [], forecast: [], model: { method: 'none' } });
  });

  const hostile = [
    { name: 'hours beyond a double', given: '?hours=1e309', want: 'hours' },
    { name: 'hours in exponent form', given: '?hours=1e0', want: 'hours' },
    { name: 'hours negative', given: '?hours=-1', want: 'hours' },
    { name: 'hours zero', given: '?hours=0', want: 'hours' },
    { name: 'hours past the rollups', given: '?hours=25', want: 'hours' },
    { name: 'hours not a number', given: '?hours=NaN', want: 'hours' },
    { name: 'horizon negative', given: '?horizon=-1', want: 'horizon' },
    { name: 'horizon past the history', given: '?hours=1&horizon=2', want: 'horizon' },
    { name: 'horizon Infinity', given: '?horizon=Infinity', want: 'horizon' },
    { name: 'labels not JSON', given: `?labels=${encodeURIComponent('{"q":')}`, want: 'labels is not valid JSON' },
    { name: 'labels a JSON array', given: `?labels=${encodeURIComponent('["q"]')}`, want: 'JSON object' },
    { name: 'labels with a number', given: `?labels=${encodeURIComponent('{"q":1}')}`, want: 'strings' },
    { name: 'labels huge', given: `?labels=${'a=b,'.repeat(5000)}`, want: 'at most 2048 characters' },
    { name: 'labels malformed', given: '?labels=oops', want: 'labels' },
  ];
  for (const { name, given, want } of hostile) {
    it(`400 with a reason: ${name}`, async () => {
      const { app } = rising(3);
      const res = await app.request(`/metrics/forecast/depth${given}`);
      expect(res.status).toBe(400);
      expect((await res.json()).error).toContain(want);
    });
  }

  it('the answer is bounded: 24 h of rollups and a 24 h horizon', async () => {
    const { app } = rising(3);
    const body = await (await app.request('/metrics/forecast/depth?hours=24&horizon=24&labels=q%3Da')).json();
    expect(body.resolution_seconds).toBe(300);
    expect(body.data_points.length).toBeLessThanOrEqual(288);
    expect(body.forecast.length).toBeLessThanOrEqual(288);
  });
});

describe('parseForecastLabels', () => {
  const cases = [
    { name: 'none', given: undefined, want: {} },
    { name: 'k=v form', given: 'a=1,b=2', want: { a: '1', b: '2' } },
    { name: 'JSON', given: '{"a":"1"}', want: { a: '1' } },
    {
      name: 'too many',
      given: JSON.stringify(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'v']))),
      want: 'labels may name at most 32 labels',
    },
  ];
  for (const { name, given, want } of cases) it(name, () => expect(parseForecastLabels(given)).toEqual(want));
});
