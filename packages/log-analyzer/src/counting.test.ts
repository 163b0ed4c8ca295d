import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileLabelNames, formatChooser } from './counting.js';
import { PRESETS } from './transforms/log/log-format.js';

describe('formatChooser', () => {
  const choose = formatChooser(
    [
      { watch: ['/var/log/nginx/*.log'], format: 'nginx_main' },
      { watch: ['/srv/**/*.json', resolve('relative/*.json')], format: 'json_caddy' },
      { watch: ['/var/log/nginx/access.log'], format: 'common' },
    ],
    () => 'fallback',
  );
  it.each([
    { name: 'the first entry whose pattern matches', given: '/var/log/nginx/access.log', want: PRESETS.nginx_main },
    { name: 'a glob across directories', given: '/srv/a/b/c.json', want: 'json_caddy' },
    { name: 'a relative name matches an absolute pattern', given: 'relative/x.json', want: 'json_caddy' },
    { name: 'no entry: the default', given: '/tmp/other.log', want: 'fallback' },
  ])('$name', ({ given, want }) => {
    expect(choose(given)).toBe(want);
  });
});

describe('fileLabelNames', () => {
  const labels = fileLabelNames([
    { watch: ['/var/log/nginx/*.log'], format: 'nginx_main', labels: { service: 'web', env: 'prod' } },
    { watch: ['/srv/*.json'], format: 'json_caddy', labels: { service: 'api' } },
    { watch: ['/srv/plain.log'], format: 'common' },
  ]);
  it('names every entry label once, sorted', () => {
    expect(labels.names).toEqual(['env', 'service']);
  });
  it.each([
    { name: 'an entry with both labels', given: '/var/log/nginx/a.log', want: ['prod', 'web'] },
    { name: 'an entry lacking one: empty', given: '/srv/x.json', want: ['', 'api'] },
    { name: 'an entry with none', given: '/srv/plain.log', want: ['', ''] },
    { name: 'no entry', given: '/tmp/other.log', want: ['', ''] },
  ])('$name', ({ given, want }) => {
    expect(labels.valuesOf(given)).toEqual(want);
  });
  it('no entry labels: no names, no values (the default path allocates nothing)', () => {
    const none = fileLabelNames([{ watch: ['/a'], format: 'common' }]);
    expect(none.names).toEqual([]);
    expect(none.valuesOf('/a')).toEqual([]);
  });
});
