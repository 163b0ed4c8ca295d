import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './golden.js';
import { lines, MAIN, spawnServe, tempDir } from './helpers.js';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_ANALYZER_WORKERS: '1' },
  });

describe('log-analyzer CLI', () => {
  it('scan prints exactly what the golden file says', () => {
    const res = run('scan', join(FIXTURES, 'common.log'), '--format', 'common');
    expect(res.status).toBe(0);
    expect(res.stdout.replaceAll(`${FIXTURES}/`, '')).toBe(readFileSync(join(FIXTURES, 'common.prom'), 'utf8'));
  });

  it('scan of a missing file: one line on stderr, nothing on stdout, exit 2', () => {
    const res = run('scan', join(FIXTURES, 'common.log'), '/no/such/file.log');
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe('log-analyzer: cannot read /no/such/file.log: no such file\n');
  });

  it('scan of a directory is refused the same way', () => {
    const res = run('scan', FIXTURES);
    expect(res.status).toBe(2);
    expect(res.stderr).toBe(`log-analyzer: cannot read ${FIXTURES}: not a regular file\n`);
  });

  it.each([
    { args: ['scan', 'x.log', '--workers', '0'], want: /--workers.*expected a whole number from 1 to 256/ },
    { args: ['scan', 'x.log', '--format', '%h %Z %>s'], want: /unknown format directive %Z/ },
    { args: ['serve', '--from', 'middle'], want: /--from.*middle.*Allowed choices are end, beginning/ },
    { args: ['serve', '--bogus'], want: /unknown option '--bogus'/ },
    { args: ['serve', '--redis-url', 'localhost:6379'], want: /--redis-url.*expected a redis:\/\/ or rediss:\/\/ URL/ },
    { args: ['serve', '--redis-url', 'redis://h:1/x'], want: /--redis-url.*must be a database number/ },
    { args: ['serve', '--redis-workers', '0'], want: /--redis-workers.*from 1 to 64/ },
    { args: ['serve', '--redis-consumer', 'a:b'], want: /--redis-consumer.*letters, digits/ },
    { args: ['serve', '--redis-max-message-bytes', 'lots'], want: /--redis-max-message-bytes.*expected a size/ },
    { args: ['serve', '--push-prefix', '1x'], want: /^log-analyzer: --push-prefix: "1x" cannot start a metric name/ },
    { args: ['serve', '--push-max-series-bytes', '0'], want: /--push-max-series-bytes.*from 1 to 1048576/ },
    { args: ['serve', '--statsd-port', '0'], want: /--statsd-port.*from 1 to 65535/ },
  ])('bad flags give a message and a non-zero exit: $args', ({ args, want }) => {
    const res = run(...args);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(want);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('settings come from LOG_ANALYZER_* variables too', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'scan', 'x.log'], {
      encoding: 'utf8',
      env: { ...process.env, LOG_ANALYZER_MAX_LINE_BYTES: 'lots' },
    });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/--max-line-bytes/);
  });

  it("the queue senders' settings are read too (Redis__MetricQueueWorkers)", () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--port', '0'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, Redis__ConnectionString: 'localhost:6379', Redis__MetricQueueWorkers: 'many' },
    });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/--redis-workers.*expected a whole number/);
  });

  it('serve says so when a --watch directory does not exist yet, and follows it once it does', async () => {
    const { dir, cleanup } = tempDir();
    const logs = join(dir, 'not', 'yet');
    const served = spawnServe(['--watch', join(logs, '*.log'), '--no-positions', '--poll-interval', '50']);
    try {
      await expect.poll(() => served.stderr(), { timeout: 10_000 }).toContain(`waiting for ${logs} to appear`);
      mkdirSync(logs, { recursive: true });
      writeFileSync(join(logs, 'a.log'), lines(3));
      await expect.poll(() => served.value('log_lines_total'), { timeout: 10_000 }).toBe(3);
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
      cleanup();
    }
  });

  it('serve counts, answers over HTTP and exits 0 on SIGTERM', async () => {
    const { dir, cleanup } = tempDir();
    const served = spawnServe([
      '--watch',
      join(dir, '*.log'),
      '--from',
      'beginning',
      '--positions',
      join(dir, 'state', 'positions.json'),
    ]);
    try {
      const file = join(dir, 'a.log');
      const content = lines(4);
      writeFileSync(file, content);
      await expect.poll(() => served.value('log_lines_total'), { timeout: 10_000 }).toBe(4);
      const res = await fetch(await served.url);
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      // Checkpointed on the way out: the next start resumes after these four lines, with their count.
      const saved = JSON.parse(readFileSync(join(dir, 'state', 'positions.json'), 'utf8'));
      expect(saved.sources.file.paths).toEqual([
        expect.objectContaining({ path: file, files: [expect.objectContaining({ offset: content.length })] }),
      ]);
      expect(saved.store.families[0]).toMatchObject({
        name: 'log_lines_total',
        series: [{ labels: [file], value: 4 }],
      });
    } finally {
      served.child.kill('SIGKILL');
      cleanup();
    }
  });

  it.each([
    { path: '/proc/nope/pos.json', reason: /cannot write checkpoint \/proc\/nope\/pos.json: E/ },
    { path: '/dev/null/pos.json', reason: /cannot write checkpoint \/dev\/null\/pos.json: ENOTDIR/ },
  ])('an unwritable checkpoint $path: one line and exit 2, at once', ({ path, reason }) => {
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', MAIN, '--watch', '/tmp/*.none', '--port', '0', '--positions', path],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, LOG_ANALYZER_WORKERS: '1' } },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(reason);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a file the analyzer may not read (as a non-root user) is reported once, retried, and counted once readable', async () => {
    const { dir, cleanup } = tempDir();
    chmodSync(dir, 0o777);
    const locked = join(dir, 'locked.log');
    const open = join(dir, 'open.log');
    writeFileSync(locked, lines(5));
    writeFileSync(open, lines(2));
    chmodSync(locked, 0o000);
    chmodSync(open, 0o644);
    // CI runs as root, where no permission bit stops a read: run the analyzer as nobody.
    const served = spawnServe(
      ['--watch', join(dir, '*.log'), '--from', 'beginning', '--no-positions', '--poll-interval', '50'],
      ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    );
    try {
      await expect.poll(() => served.value('log_lines_total', `file="${open}"`), { timeout: 15_000 }).toBe(2);
      await expect
        .poll(() => served.value('log_analyzer_errors_total', 'stage="read",error="EACCES"'), { timeout: 10_000 })
        .toBeGreaterThanOrEqual(2); // tried again on later checks
      expect(served.stderr().match(/EACCES/g)).toHaveLength(1); // said once
      chmodSync(locked, 0o644);
      await expect.poll(() => served.value('log_lines_total', `file="${locked}"`), { timeout: 10_000 }).toBe(5);
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
      cleanup();
    }
  });
});

describe('file names that are not UTF-8', () => {
  it('scan reads one named on the command line (its bytes reach Node replaced)', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.log')]), lines(4));
      // Through sh, so the argument carries the raw byte 0xE9.
      const res = spawnSync(
        'sh',
        ['-c', `exec "$0" --import tsx "$1" scan "$(printf '${dir}/caf\\351.log')"`, process.execPath, MAIN],
        {
          encoding: 'utf8',
        },
      );
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(res.stdout).toContain(`log_lines_total{file="${dir}/caf\\\\xe9.log"} 4`);
    } finally {
      cleanup();
    }
  });
});

describe('the config file', () => {
  const cli = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, ...env },
    });
  const line = (out: string, key: string) => out.split('\n').find((l) => l.startsWith(`${key} =`)) ?? '';

  it('defaults < file < environment < flags, and config print says where each value came from', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'config.toml');
      writeFileSync(
        file,
        '[server]\nhost = "10.0.0.1"\nport = 1000\n[metrics]\nprometheus_endpoint = "/a"\n[files]\nmax_files = 5\n',
      );
      const res = cli(['config', 'print', '--config', file, '--port', '3000'], {
        EXPORTER_PORT: '2000',
        APP__METRICS__PROMETHEUS_ENDPOINT: '/b',
        LOG_ANALYZER_MAX_FILES: '6',
      });
      expect(res.status).toBe(0);
      expect(line(res.stdout, 'max_connections')).toMatch(/= 256\s+# default$/);
      expect(line(res.stdout, 'host')).toMatch(new RegExp(`= "10.0.0.1"\\s+# ${file}:2$`));
      expect(line(res.stdout, 'prometheus_endpoint')).toMatch(/= "\/b"\s+# APP__METRICS__PROMETHEUS_ENDPOINT$/);
      expect(line(res.stdout, 'max_files')).toMatch(/= 6\s+# environment$/);
      expect(line(res.stdout, 'port')).toMatch(/= 3000\s+# flag$/);
    } finally {
      cleanup();
    }
  });

  it('every key round-trips through config print: what it prints is a config that prints the same', () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = cli(['config', 'print']);
      expect(first.status).toBe(0);
      const file = join(dir, 'printed.toml');
      writeFileSync(file, first.stdout);
      expect(cli(['config', 'check', file]).stdout).toBe(`${file}: ok\n`);
      const second = cli(['config', 'print', '--config', file]);
      const values = (out: string) => out.split('\n').map((l) => l.replace(/\s+#.*$/, ''));
      expect(values(second.stdout)).toEqual(values(first.stdout));
    } finally {
      cleanup();
    }
  });

  it.each([
    ['[server]\nprot = 8080\n', /printed\.toml:2: server\.prot: unknown key \(did you mean server\.port\?\)/],
    ['[server]\nport = 99999\n', /printed\.toml:2: server\.port: expected a whole number from 0 to 65535/],
    ['[checkpoint]\ninterval = "soon"\n', /printed\.toml:2: checkpoint\.interval: expected a duration/],
    ['[push]\nack = "later"\n', /printed\.toml:2: push\.ack: Allowed choices are durable, merged/],
    ['[server\n', /printed\.toml:1: /],
    ['[metrics]\nauth = true\n', /--metrics-auth needs at least one API key/],
  ])('config check of %j: the key, the line and why; exit 2', (text, want) => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'printed.toml');
      writeFileSync(file, text);
      const res = cli(['config', 'check', file]);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(want);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    } finally {
      cleanup();
    }
  });

  it('config print never shows a secret: API keys as *** with their count, passwords in URLs as ***', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'c.toml');
      writeFileSync(
        file,
        '[push]\napi_keys = ["supersecret-1", "supersecret-2:tenant-a"]\n[redis]\nurl = "redis://:hunter2pass@redis:6379/2"\n' +
          '[scrape]\ntargets = [{ name = "api", url = "http://me:pw-1234567@api:8000/metrics", type = "prometheus" }]\n',
      );
      const res = cli(['config', 'print', '--config', file, '--api-key', 'flag-secret-3']);
      expect(res.status).toBe(0);
      expect(res.stdout).not.toMatch(/supersecret|hunter2pass|pw-1234567|flag-secret/);
      expect(res.stdout).toMatch(/^# api_keys = \["\*\*\*"\]\s+# 1 redacted, flag$/m);
      expect(line(res.stdout, 'url')).toMatch(/= "redis:\/\/:\*\*\*@redis:6379\/2"/);
      expect(line(res.stdout, 'targets')).toContain('http://me:***@api:8000/metrics');
      const fromFile = cli(['config', 'print', '--config', file]).stdout;
      expect(fromFile).toMatch(/^# api_keys = \["\*\*\*","\*\*\*:tenant-a"\]\s+# 2 redacted, /m);
      // What it prints is still a valid config (the keys left out).
      writeFileSync(join(dir, 'printed.toml'), fromFile);
      expect(cli(['config', 'check', join(dir, 'printed.toml')]).status).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('METRICS_CONFIG names the file when --config does not', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'c.toml');
      writeFileSync(file, '[server]\nport = 1234\n');
      expect(line(cli(['config', 'print'], { METRICS_CONFIG: file }).stdout, 'port')).toMatch(/= 1234\s+# /);
    } finally {
      cleanup();
    }
  });
});

describe('a first hour', () => {
  it('scan of a file that mostly does not parse says with which format, and which preset reads it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'timed.log');
      // combined_duration lines: one field more than combined has.
      writeFileSync(file, lines(30).replace(/\n/g, ' 1234\n'));
      const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'scan', file], { encoding: 'utf8' });
      expect(res.status).toBe(0);
      expect(res.stderr).toBe(
        'log-analyzer: 30 of 30 lines did not parse as combined; try --format combined_duration\n',
      );
      const right = spawnSync(
        process.execPath,
        ['--import', 'tsx', MAIN, 'scan', '--format', 'combined_duration', file],
        {
          encoding: 'utf8',
        },
      );
      expect(right.stderr).toBe('');
    } finally {
      cleanup();
    }
  });

  it('--help lists the serve options (serve is the default command)', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', MAIN, '--help'], { encoding: 'utf8' });
    expect(res.stdout).toMatch(/--watch <path\.\.\.>/);
    expect(res.stdout).toMatch(/--redis-url <url>/);
  });

  it('the start line has a URL a person can open, bound to every interface or not', async () => {
    const { dir, cleanup } = tempDir();
    const served = spawnServe(['--host', '0.0.0.0', '--no-positions', '--watch', join(dir, '*.log')]);
    try {
      expect(await served.url).toMatch(/^http:\/\/localhost:\d+\/metrics$/);
      expect((await fetch(await served.url)).status).toBe(200);
    } finally {
      served.child.kill('SIGKILL');
      await served.exited;
      cleanup();
    }
  });
});
