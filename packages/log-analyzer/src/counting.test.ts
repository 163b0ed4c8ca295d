import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatChooser } from './counting.js';
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
