import { describe, expect, it } from 'vitest';
import { checkpointBody, parseCheckpoint, serializeCheckpoint } from './checkpoint.js';
import { Store } from './store.js';

function filled(): Store {
  const store = new Store();
  const lines = store.family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] });
  const hist = store.family({
    name: 'd_seconds',
    help: 'D.',
    kind: 'histogram',
    labelNames: ['file'],
    bounds: [0.1, 1],
  });
  lines.inc(['a.log'], 3);
  lines.inc(['b.log'], 2);
  lines.inc(['a.log'], 4);
  hist.observe(['a.log'], [1, 2, 3], 7.5, 6);
  return store;
}

describe('Store', () => {
  it('sums by labels, for counters and histogram counts', () => {
    const store = filled();
    expect(store.sum('log_lines_total')).toBe(9);
    expect(store.sum('log_lines_total', { file: 'a.log' })).toBe(7);
    expect(store.sum('d_seconds', { file: 'a.log' })).toBe(6);
    expect(store.sum('nope')).toBe(0);
    expect(store.sumBy('log_lines_total', 'file')).toEqual(
      new Map([
        ['a.log', 7],
        ['b.log', 2],
      ]),
    );
    expect(store.sumBy('d_seconds', 'file')).toEqual(new Map([['a.log', 6]]));
    expect(store.sumBy('log_lines_total', 'nope')).toEqual(new Map());
  });

  it('a snapshot is a copy: later increments do not change it', () => {
    const store = filled();
    const snapshot = store.snapshot();
    store
      .family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] })
      .inc(['a.log'], 100);
    expect(snapshot.families[0]?.series[0]).toEqual({ labels: ['a.log'], value: 7 });
  });

  it('a checkpoint round-trips every value, and restoring it carries the counters on', () => {
    const store = filled();
    const text = serializeCheckpoint(checkpointBody(store.snapshot(), { file: { paths: [] } }), 1234);
    const back = parseCheckpoint(text);
    expect(back.writtenAt).toBe(1234);
    const restored = new Store();
    restored.restore(back.store);
    expect(restored.snapshot()).toEqual(store.snapshot());
    restored
      .family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] })
      .inc(['a.log'], 1);
    expect(restored.sum('log_lines_total', { file: 'a.log' })).toBe(8);
  });

  it('drops the series of a forgotten label value, in every family', () => {
    const store = filled();
    expect(store.dropSeries('file', 'a.log')).toBe(2);
    expect(store.sum('log_lines_total')).toBe(2);
    expect(store.seriesCount).toBe(1);
  });

  it.each([
    { name: 'not JSON', text: '{"format":' },
    { name: 'another format', text: '{"format":"x","version":2}' },
    { name: 'a future version', text: '{"format":"log-analyzer-checkpoint","version":3}' },
    {
      name: 'a series without a value',
      text: '{"format":"log-analyzer-checkpoint","version":2,"writtenAt":1,"sources":{},"store":{"families":[{"name":"a","help":"","kind":"counter","labelNames":[],"series":[{"labels":[]}]}]}}',
    },
  ])('refuses a checkpoint that is $name', ({ text }) => {
    expect(() => parseCheckpoint(text)).toThrow();
  });

  it('reads a version 1 positions file as positions with no counts', () => {
    const v1 =
      '{"version":1,"files":[{"path":"a.log","dev":1,"ino":2,"offset":3,"fingerprint":{"length":0,"sha256":""}}]}';
    const back = parseCheckpoint(v1, 99);
    expect(back).toEqual({ writtenAt: 99, store: { families: [] }, sources: { file: { files: expect.any(Array) } } });
  });

  it('a snapshot reuses the copy of a family that did not change, and the checkpoint its JSON', () => {
    const store = filled();
    const first = store.snapshot();
    store.family({ name: 'log_lines_total', help: 'Lines.', kind: 'counter', labelNames: ['file'] }).inc(['a.log'], 1);
    const second = store.snapshot();
    expect(second.families[0]).not.toBe(first.families[0]);
    expect(second.families[1]).toBe(first.families[1]);
    expect(second.families[0]?.series[0]).toEqual({ labels: ['a.log'], value: 8 });
    // Built from per-family pieces, the body is exactly JSON.stringify of the whole.
    const body = checkpointBody(second, { file: { x: 1 } });
    expect(body).toBe(
      JSON.stringify({ format: 'log-analyzer-checkpoint', version: 2, store: second, sources: { file: { x: 1 } } }),
    );
    expect(checkpointBody(second, { file: { x: 1 } })).toBe(body);
  });
});

describe('Store chunks', () => {
  it('copies again only the chunks whose series changed; JSON and text stay exactly those of the whole', async () => {
    const { storeFamilies, render } = await import('../export/exposition.js');
    const store = new Store();
    const spec = { name: 'c_total', help: 'C.', kind: 'counter', labelNames: ['i'] } as const;
    const family = store.family(spec);
    for (let i = 0; i < 1000; i++) family.inc([String(i)], i);
    const first = store.snapshot();
    family.inc(['600'], 1);
    store.dropSeries('i', '3');
    const second = store.snapshot();
    const [a, b] = [first.families[0]?.series ?? [], second.families[0]?.series ?? []];
    expect(b).toHaveLength(999);
    // Series of untouched chunks are the very same copies; the changed one is new.
    expect(b[899]).toBe(a[900]);
    expect(b.find((s) => s.labels[0] === '600')).toEqual({ labels: ['600'], value: 601 });
    expect(b.find((s) => s.labels[0] === '600')).not.toBe(a[600]);
    expect(b.some((s) => s.labels[0] === '3')).toBe(false);
    const whole = { families: second.families.map((f) => ({ ...f })) }; // copies unknown to the caches
    expect(checkpointBody(second, {})).toBe(checkpointBody(whole, {}));
    expect(render(storeFamilies(second), false)).toBe(render(storeFamilies(whole), false));
    // And after a restore from that JSON, the same again.
    const restored = new Store();
    restored.restore(parseCheckpoint(serializeCheckpoint(checkpointBody(second, {}), 1)).store);
    expect(restored.snapshot()).toEqual(second);
  });

  it('has a version that moves with every change, family added or deleted, and never goes back', () => {
    const store = new Store();
    const seen = [store.version];
    const step = (change: () => void) => {
      change();
      expect(store.version).toBeGreaterThan(seen.at(-1) as number);
      seen.push(store.version);
    };
    const spec = { name: 'a_total', help: 'A.', kind: 'counter', labelNames: ['x'] } as const;
    step(() => store.family(spec));
    step(() => store.family(spec).inc(['1'], 1));
    step(() => store.family(spec).inc(['1'], 0)); // a series touched counts as a change
    step(() => store.dropSeries('x', '1'));
    step(() => store.family(spec).inc(['2'], 5));
    step(() => store.delete('a_total')); // the family's changes stay counted
    step(() => store.family(spec)); // added again, empty
    const before = store.version;
    store.family(spec); // the same family: no change
    store.delete('missing');
    expect(store.version).toBe(before);
  });
});
