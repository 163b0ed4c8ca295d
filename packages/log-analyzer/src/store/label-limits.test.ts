import { describe, expect, it } from 'vitest';
import { AppFamilies } from './app-families.js';
import { Store } from './store.js';

const rule = { name: 'hits_total', help: 'h', type: 'counter' as const, labels: ['user', 'kind'], buckets: [] };
const hit = (user: string, kind = 'a', count = 1) => ({ rule: 0, labels: [user, kind], count });
const options = { messages: false, rules: [rule], maxLabelValues: 2 };

function series(store: Store, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of store.get(name)?.series.values() ?? []) out[s.labels.join(',')] = 'value' in s ? s.value : s.count;
  return out;
}

describe('bounded labels', () => {
  it('keeps the first N values of each label in read order, folds the rest into other and counts the folds', () => {
    const store = new Store();
    const app = new AppFamilies(store, options);
    app.merge('f', { ...empty(), rules: [hit('u1'), hit('u2', 'b'), hit('u3', 'c', 5), hit('u1', 'c')] });
    // Each label has its own limit: c is the third kind, u3 the third user.
    expect(series(store, 'hits_total')).toEqual({ 'u1,a': 1, 'u2,b': 1, 'other,other': 5, 'u1,other': 1 });
    expect(series(store, 'log_analyzer_label_values_folded_total')).toEqual({
      'hits_total,user': 5,
      'hits_total,kind': 6,
    });
  });

  it('after a restart from the checkpoint, the same values are kept and the same fold', () => {
    const first = new Store();
    new AppFamilies(first, options).merge('f', { ...empty(), rules: [hit('u1'), hit('u2'), hit('u3')] });
    const restarted = new Store();
    restarted.restore(first.snapshot());
    const app = new AppFamilies(restarted, options);
    // u9 arrives first after the restart: it still folds (u1 and u2 hold the places), u2 is still kept.
    app.merge('f', { ...empty(), rules: [hit('u9'), hit('u2')] });
    expect(series(restarted, 'hits_total')).toEqual({ 'u1,a': 1, 'u2,a': 2, 'other,a': 2 });
  });

  it('a value literally "other" goes with the folded ones and takes no place', () => {
    const store = new Store();
    new AppFamilies(store, options).merge('f', { ...empty(), rules: [hit('other'), hit('u1'), hit('u2'), hit('u3')] });
    expect(series(store, 'hits_total')).toEqual({ 'other,a': 2, 'u1,a': 1, 'u2,a': 1 });
  });
});

function empty() {
  return { lines: 0, parseFailures: 0, tooLong: 0, requests: [], durations: [] };
}
