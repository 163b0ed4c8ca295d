// The live page: GET /ui (HTML, script and styles from ../../ui, uPlot from its npm package, no
// CDN: it works offline), GET /ui/events (Server-Sent Events: a `snapshot` of the last frames
// first, then a `frame` every second), GET /ui/series (the names the series browser offers).
// A tenant's key (read-auth.ts) sees its own series' names and frames without the files' traffic.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { History } from '../history/history.js';
import type { Frame, LiveFeed } from './live-feed.js';
import type { ReadEnv } from './read-auth.js';

const require = createRequire(import.meta.url);
const UI = new URL('../../ui/', import.meta.url);

function assets(): Record<string, { body: string; type: string }> {
  const file = (name: string) => readFileSync(new URL(name, UI), 'utf8');
  return {
    '/ui': { body: file('index.html'), type: 'text/html; charset=utf-8' },
    '/ui/app.js': { body: file('app.js'), type: 'text/javascript; charset=utf-8' },
    '/ui/app.css': { body: file('app.css'), type: 'text/css; charset=utf-8' },
    '/ui/uplot.js': {
      body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      type: 'text/javascript; charset=utf-8',
    },
    '/ui/uplot.css': {
      body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      type: 'text/css; charset=utf-8',
    },
  };
}

/** A frame as a tenant's key sees it: the time alone (the traffic is the log files', not a tenant's). Pure. */
export function tenantFrame(f: Frame): Frame {
  return {
    t: f.t,
    linesPerSecond: {},
    requestsPerSecond: {},
    errorRatio: null,
    latency: null,
    topStatus: [],
    lagBytes: {},
    queueDepth: null,
    hasLatency: f.hasLatency,
  };
}

export function uiRoutes(feed: LiveFeed, history: History): Hono<ReadEnv> {
  const app = new Hono<ReadEnv>();
  const files = assets();
  for (const [path, { body, type }] of Object.entries(files)) {
    app.get(path, (c) => c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache' }));
  }
  app.get('/ui/', (c) => c.redirect('/ui'));
  app.get('/ui/series', (c) => {
    const tenant = c.get('readTenant');
    const names = new Set<string>();
    for (const track of history.all()) if (!tenant || track.labels.tenant_id === tenant) names.add(track.name);
    return c.json({ names: [...names].sort() });
  });
  app.get('/ui/events', (c) =>
    streamSSE(c, async (stream) => {
      const seen = c.get('readTenant') ? tenantFrame : (f: Frame) => f;
      await stream.writeSSE({ event: 'snapshot', data: JSON.stringify(feed.snapshot().map(seen)) });
      const queue: string[] = [];
      let wake: (() => void) | null = null;
      const unsubscribe = feed.subscribe((f) => {
        // A client that does not read keeps at most a minute of frames.
        if (queue.length < 60) queue.push(JSON.stringify(seen(f)));
        wake?.();
      });
      stream.onAbort(() => {
        unsubscribe();
        wake?.();
      });
      while (!stream.aborted) {
        const data = queue.shift();
        if (data !== undefined) {
          await stream.writeSSE({ event: 'frame', data });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
      unsubscribe();
    }),
  );
  return app;
}
