// The history file: what a History writes reads back into a new one (a restart), a gap stays a
// gap, and every damaged or foreign file is refused with a reason.
import { describe, expect, it } from 'vitest';
import { HISTORY_DEFAULTS } from '../config/analyzer-config.js';
import { seriesAnswer, trendAnswer } from '../export/history-queries.js';
import { Store, type ValueSeries } from '../store/store.js';
import { History } from './history.js';
import { MAX_TRACK_META, maxFileBytes, parseHistory, serializeHistory } from './history-file.js';

const S = HISTORY_DEFAULTS.stepMs;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % S);

/** A store with a counter and a gauge, and a history over it. */
function analyzer() {
  const store = new Store();
  const history = new History(store, HISTORY_DEFAULTS);
  const hits = store.family({ name: 'hits_total', help: 'h', kind: 'counter', labelNames: ['path'] });
  const depth = store.family({ name: 'depth', help: 'd', kind: 'gauge', labelNames: ['q'] });
  const c: ValueSeries = { labels: ['/a'], value: 0 };
  const g: ValueSeries = { labels: ['q1'], value: 0 };
  hits.add('/a', c);
  depth.add('q1', g);
  return { store, history, c, g };
}

const pointsOf = (history: History, name: string, now: number) =>
  seriesAnswer(history, { name, limit: 10 }, now).series.flatMap((s) =>
    s.points.map((p) => [(Date.parse(p.timestamp) - T0) / S, p.value]),
  );

describe('history file', () => {
  it('a restart keeps the points from before and shows the time it was down as a gap', () => {
    const before = analyzer();
    for (let t = 0; t <= 5; t++) {
      before.c.value = 100 * t;
      before.g.value = t;
      before.history.sample(T0 + t * S);
    }
    const { header, body, tracks } = serializeHistory(before.history, T0 + 5 * S);
    const bytes = Buffer.concat([header, body]);
    expect(tracks).toBe(2);

    // Down for steps 6…9; the counts come back from the checkpoint (here: the same values).
    const after = analyzer();
    after.c.value = 500;
    after.g.value = 5;
    const parsed = parseHistory(bytes, HISTORY_DEFAULTS, T0 + 10 * S);
    if ('refused' in parsed) throw new Error(parsed.refused);
    after.history.restore(parsed.tracks);
    after.c.value = 600;
    after.g.value = 10;
    after.history.sample(T0 + 10 * S);
    after.c.value = 700;
    after.history.sample(T0 + 11 * S);

    expect(pointsOf(after.history, 'depth', T0 + 11 * S)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [10, 10],
      [11, 10],
    ]);
    // The counter's rate: none across the gap (the first reading after a start has no rate), then 10/s.
    expect(pointsOf(after.history, 'hits_total', T0 + 11 * S)).toEqual([
      [1, 10],
      [2, 10],
      [3, 10],
      [4, 10],
      [5, 10],
      [11, 10],
    ]);
    expect(after.history.size).toBe(2);
    // Trends fit their line through the points there are: none is invented in the gap.
    const trend = trendAnswer(after.history, 'depth', 1, {}, T0 + 11 * S);
    expect(trend.data_points.map((p) => (Date.parse(p.timestamp) - T0) / S)).toEqual([0, 1, 2, 3, 4, 5, 10, 11]);
  });

  const good = () => {
    const a = analyzer();
    a.g.value = 3;
    a.history.sample(T0);
    const { header, body } = serializeHistory(a.history, T0);
    return Buffer.concat([header, body]);
  };
  const edit = (mutate: (header: Record<string, unknown>) => void) => {
    const bytes = good();
    const end = bytes.indexOf(10);
    const header = JSON.parse(bytes.subarray(0, end).toString());
    mutate(header);
    return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), bytes.subarray(end + 1)]);
  };
  const refused = [
    { name: 'empty', given: () => Buffer.alloc(0), want: 'no header line' },
    { name: 'garbage', given: () => Buffer.from('not json\n\u0000\u0001'), want: 'not JSON' },
    {
      name: 'another file',
      given: () => Buffer.from('{"format":"log-analyzer-checkpoint"}\n'),
      want: 'not a log-analyzer history file',
    },
    {
      name: 'an old version',
      given: () =>
        edit((h) => {
          h.version = 0;
        }),
      want: 'version 0',
    },
    {
      name: 'other step',
      given: () =>
        edit((h) => {
          h.stepMs = 1000;
        }),
      want: 'stepMs 1000, now 10000',
    },
    {
      name: 'other byte order',
      given: () =>
        edit((h) => {
          h.endian = 'BE';
        }),
      want: 'BE host',
    },
    { name: 'cut short', given: () => good().subarray(0, good().length - 4), want: 'bytes of slots' },
    {
      name: 'a flipped byte',
      given: () => {
        const b = Buffer.from(good());
        b[b.length - 1] = (b[b.length - 1] as number) ^ 0xff;
        return b;
      },
      want: 'checksum',
    },
    {
      name: 'older than the rollup window',
      given: () =>
        edit((h) => {
          h.writtenAt = T0 - 2 * 86_400_000;
        }),
      want: 'older than the rollup window',
    },
    {
      name: 'a bad track',
      given: () =>
        edit((h) => {
          (h.tracks as unknown[][])[0] = ['x', 'nope', {}, 0, 0, 0, null];
        }),
      want: 'bad name or type',
    },
  ];
  for (const { name, given, want } of refused) {
    it(`refuses ${name}`, () => {
      const parsed = parseHistory(given(), HISTORY_DEFAULTS, T0);
      expect('refused' in parsed && parsed.refused).toContain(want);
    });
  }

  it('is bounded: max series × (slots + track header); a track whose labels are too long is not saved', () => {
    const a = analyzer();
    const family = a.store.family({ name: 'wide', help: 'w', kind: 'gauge', labelNames: ['l'] });
    family.add('x', { labels: ['x'.repeat(MAX_TRACK_META)], value: 1 });
    a.history.sample(T0);
    const { bytes, tracks } = serializeHistory(a.history, T0);
    expect(tracks).toBe(2);
    expect(a.history.size).toBe(3);
    const perTrack = (360 + 5 * 288) * 4;
    expect(bytes).toBeLessThan(2 * perTrack + 1024);
    expect(maxFileBytes(HISTORY_DEFAULTS)).toBe(4096 + 10_000 * (perTrack + MAX_TRACK_META + 1));
  });
});
