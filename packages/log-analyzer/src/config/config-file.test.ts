import { describe, expect, it } from 'vitest';
import { ConfigError, didYouMean, lineOf, readConfig, readEnvironment, SETTINGS } from './config-file.js';

const read = (text: string) => readConfig(text, 'config.toml');
const errorOf = (text: string) => {
  try {
    read(text);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return null;
};

describe('readConfig', () => {
  it("maps each key to its option, with the file and line it came from; numbers as their flag's text", () => {
    const values = read(
      '[server]\nhost = "0.0.0.0"\nport = 8080\n\n[files]\nwatch = ["/var/log/*.log"]\npoll = true\n',
    );
    expect(Object.fromEntries(values)).toEqual({
      host: { value: '0.0.0.0', key: 'server.host', from: 'config.toml:2' },
      port: { value: '8080', key: 'server.port', from: 'config.toml:3' },
      watch: { value: ['/var/log/*.log'], key: 'files.watch', from: 'config.toml:6' },
      poll: { value: true, key: 'files.poll', from: 'config.toml:7' },
    });
  });

  it('scrape targets become their flag text, TYPE:NAME=URL', () => {
    const values = read(
      '[scrape]\ninterval_secs = 15\ntargets = [\n  { name = "api", url = "http://api:8000/metrics", type = "prometheus" },\n  { name = "web", url = "http://web:3000/health", type = "health" },\n]\n[system]\nenabled = true\ncollect_cpu = true\ncollect_ram = true\ncollect_disk = false\n',
    );
    expect(values.get('scrapeTarget')?.value).toEqual([
      'prometheus:api=http://api:8000/metrics',
      'health:web=http://web:3000/health',
    ]);
    expect(values.get('scrapeInterval')?.value).toBe('15');
    expect(values.get('systemDisk')?.value).toBe(false);
  });

  it('[[files]] entries become --files values, a [files.fields] mapping folded into the format text', () => {
    const values = read(
      '[server]\nport = 8080\n\n[[files]]\nwatch = ["/var/log/nginx/*.log"]\nformat = "nginx_main"\n\n[[files]]\nwatch = ["/srv/app.json"]\nformat = "json"\n[files.fields]\nstatus = "http.code"\nduration = "took:ms"\n',
    );
    expect(values.get('files')).toEqual({
      value: [
        JSON.stringify({ watch: ['/var/log/nginx/*.log'], format: 'nginx_main' }),
        JSON.stringify({ watch: ['/srv/app.json'], format: 'json status=http.code duration=took:ms' }),
      ],
      key: 'files',
      from: 'config.toml:4',
    });
    expect(values.get('port')?.value).toBe('8080');
  });

  it('[[files]] labels travel with their entry', () => {
    const values = read(
      '[[files]]\nwatch = ["/var/log/nginx/*.log"]\nformat = "nginx_main"\nlabels = { service = "web", env = "prod" }\n\n[[files]]\nwatch = ["/srv/app.log"]\nformat = "app"\n[files.labels]\nservice = "api"\n',
    );
    expect(values.get('files')?.value).toEqual([
      JSON.stringify({
        watch: ['/var/log/nginx/*.log'],
        format: 'nginx_main',
        labels: { service: 'web', env: 'prod' },
      }),
      JSON.stringify({ watch: ['/srv/app.log'], format: 'app', labels: { service: 'api' } }),
    ]);
  });

  it.each([
    {
      name: 'an unknown key',
      given: '[[files]]\nwatch = ["a"]\nformat = "json"\n\n[[files]]\nwatch = ["b"]\nformt = "x"\n',
      want: 'config.toml:5: files[1]: unknown key formt',
    },
    {
      name: 'no watch',
      given: '[[files]]\nformat = "json"\n',
      want: 'config.toml:1: files[0]: expected a list of paths or globs',
    },
    {
      name: 'a label name Prometheus refuses',
      given:
        '[[files]]\nwatch = ["a"]\nformat = "json"\n\n[[files]]\nwatch = ["b"]\nformat = "json"\nlabels = { "9x" = "web" }\n',
      want: 'config.toml:5: files[1]: labels.9x: not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)',
    },
    {
      name: 'a label the log families have already',
      given: '[[files]]\nwatch = ["a"]\nformat = "json"\nlabels = { status = "x" }\n',
      want: 'config.toml:1: files[0]: labels.status: taken by the log families or Prometheus (file, reason, method, status, le, level, route, quantile, job, instance)',
    },
    {
      name: 'a reserved __ label',
      given: '[[files]]\nwatch = ["a"]\nformat = "json"\nlabels = { __name__ = "x" }\n',
      want: 'config.toml:1: files[0]: labels.__name__: not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)',
    },
    {
      name: 'a value too long',
      given: `[[files]]\nwatch = ["a"]\nformat = "json"\nlabels = { service = "${'x'.repeat(257)}" }\n`,
      want: 'config.toml:1: files[0]: labels.service: longer than 256 bytes',
    },
    {
      name: 'an empty value',
      given: '[[files]]\nwatch = ["a"]\nformat = "json"\nlabels = { service = "" }\n',
      want: 'config.toml:1: files[0]: labels.service: expected a value (an empty value is no label)',
    },
    {
      name: 'a value that is not a string',
      given: '[[files]]\nwatch = ["a"]\nformat = "json"\nlabels = { port = 80 }\n',
      want: 'config.toml:1: files[0]: expected a string',
    },
  ])('a [[files]] entry with $name is refused naming it', ({ given, want }) => {
    expect(errorOf(given)).toBe(want);
  });

  it('takes the keys the issue names, with exactly those names', () => {
    const values = read(
      '[server]\nhost = "0.0.0.0"\nport = 8080\n[metrics]\nprometheus_endpoint = "/metrics"\nmetrics_prefix = ""\nmetrics_namespace = ""\n',
    );
    expect([...values.keys()].sort()).toEqual(['host', 'metricsPath', 'port', 'pushNamespace', 'pushPrefix']);
  });

  it.each([
    ['[server]\nprot = 1\n', 'config.toml:2: server.prot: unknown key (did you mean server.port?)'],
    ['[sever]\nport = 1\n', 'config.toml:1: sever: unknown key (did you mean server?)'],
    ['[server]\nport = "x"\n', 'config.toml:2: server.port: expected a number'],
    ['[files]\nwatch = "a.log"\n', 'config.toml:2: files.watch: expected a list of strings'],
    ['[files]\npoll = "yes"\n', 'config.toml:2: files.poll: expected true or false'],
    ['[server]\n\n\nport = \n', /^config\.toml:4: /],
    [
      '[scrape]\ninterval_secs = 15\ntargets = [\n  { name = "api", url = "http://api:8000/metrics", type = "prometheus" },\n  { name = "web", url = "not a url", type = "health" },\n]\n',
      'config.toml:5: scrape.targets[1].url: expected a URL',
    ],
    [
      '[[scrape.targets]]\nname = "a"\nurl = "http://a/"\ntype = "prometheus"\n[[scrape.targets]]\nname = "b"\nurl = "http://b/"\ntype = "scraped"\n',
      'config.toml:8: scrape.targets[1].type: expected prometheus, health or custom',
    ],
  ])('%j → %s', (text, want) => {
    const message = errorOf(text);
    if (typeof want === 'string') expect(message).toBe(want);
    else expect(message).toMatch(want);
  });
});

it('lineOf finds a key in its section, else the section, else line 1', () => {
  const text = '# top\n[a]\nx = 1\n[b]\nx = 2\ny = 3\n';
  expect(lineOf(text, ['b', 'x'])).toBe(5);
  expect(lineOf(text, ['a', 'x'])).toBe(3);
  expect(lineOf(text, ['b', 'zz'])).toBe(4);
  expect(lineOf(text, ['c'])).toBe(1);
  // An array of tables: its first [[section.key]] header (a bad [[alerts.webhooks]] value is said there).
  expect(lineOf('[alerts]\nrules = []\n\n[[alerts.webhooks]]\nname = "a"\n', ['alerts', 'webhooks'])).toBe(4);
});

it('didYouMean: near keys only', () => {
  expect(didYouMean('server.prot')).toBe('server.port');
  expect(didYouMean('redis.dead_maxx')).toBe('redis.dead_max');
  expect(didYouMean('completely.different')).toBeNull();
});

describe('readEnvironment', () => {
  it('APP__SECTION__KEY for every key, EXPORTER_PORT for the port, lists comma-separated', () => {
    const values = readEnvironment({
      APP__SERVER__HOST: '127.0.0.1',
      APP__METRICS__PROMETHEUS_ENDPOINT: '/m',
      APP__METRICS__METRICS_PREFIX: 'p_',
      APP__FILES__WATCH: 'a.log, b.log',
      APP__FILES__POLL: 'true',
      EXPORTER_PORT: '9000',
    });
    expect(Object.fromEntries([...values].map(([k, v]) => [k, [v.value, v.from]]))).toEqual({
      host: ['127.0.0.1', 'APP__SERVER__HOST'],
      metricsPath: ['/m', 'APP__METRICS__PROMETHEUS_ENDPOINT'],
      pushPrefix: ['p_', 'APP__METRICS__METRICS_PREFIX'],
      watch: [['a.log', 'b.log'], 'APP__FILES__WATCH'],
      poll: [true, 'APP__FILES__POLL'],
      port: ['9000', 'EXPORTER_PORT'],
    });
  });

  it('APP__SERVER__PORT wins over EXPORTER_PORT', () => {
    expect(readEnvironment({ APP__SERVER__PORT: '1', EXPORTER_PORT: '2' }).get('port')?.value).toBe('1');
  });

  it('every key has a distinct option', () => {
    expect(new Set(SETTINGS.map((s) => s.option)).size).toBe(SETTINGS.length);
  });
});
