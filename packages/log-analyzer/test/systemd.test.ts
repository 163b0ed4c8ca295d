// Issue 27 item 5: the systemd units in deploy/systemd. `systemd-analyze verify` checks that a
// unit's command exists, so it runs on a copy whose install paths (/opt/…) are this checkout's
// built CLIs and whose node is this one; the shipped file must be exactly that template. Then
// what the unit does is run for real: its Environment= settings are accepted by the CLI, its
// ExecStartPost readiness check returns once the analyzer answers, and its ExecReload reloads.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { MAIN, spawnServe, tempDir, useProcesses, WAIT } from './helpers.js';

const ROOT = join(import.meta.dirname, '../../..');
const UNITS = [
  {
    name: 'log-analyzer.service',
    installed: '/opt/log-analyzer/bin/log-analyzer.js',
    here: join(ROOT, 'packages/log-analyzer/bin/log-analyzer.js'),
  },
  {
    name: 'noise-maker.service',
    installed: '/opt/noise-maker/bin/noise-maker.js',
    here: join(ROOT, 'packages/noise-maker/bin/noise-maker.js'),
  },
];
const shipped = (name: string) => readFileSync(join(ROOT, 'deploy/systemd', name), 'utf8');

/** A unit's values of one key (the [Service] section's lines `Key=value`). */
const values = (text: string, key: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));

/** systemd-analyze verify's account of a unit file: empty when it finds nothing to say. */
function verify(file: string): { status: number | null; said: string } {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  return { status: r.status, said: `${r.stdout}${r.stderr}`.trim() };
}

const { running, cleanups } = useProcesses();

describe.each(UNITS)('$name', ({ name, installed, here }) => {
  const text = shipped(name);
  /** The unit as installed from this checkout: its CLI here, and this node. */
  const local = () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, name);
    writeFileSync(file, text.replaceAll(installed, here).replaceAll('/usr/bin/node', process.execPath));
    return file;
  };

  it('is the template of the unit verified here: the install paths are the only difference', () => {
    expect(existsSync(here)).toBe(true);
    expect(text.split(installed).length - 1).toBe(1);
    expect(values(text, 'ExecStart')[0]?.startsWith(`/usr/bin/node ${installed}`)).toBe(true);
    expect(
      readFileSync(local(), 'utf8').replaceAll(here, installed).replaceAll(process.execPath, '/usr/bin/node'),
    ).toBe(text);
  });

  it('passes systemd-analyze verify with nothing to say', () => {
    expect(verify(local())).toEqual({ status: 0, said: '' });
  });

  it('would fail it with a misspelt key or a missing command (the check is real)', () => {
    const file = local();
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('NoNewPrivileges=yes', 'NoNewPrivilegs=yes'));
    expect(verify(file).said).toMatch(/Unknown key 'NoNewPrivilegs'/);
    writeFileSync(file, good.replaceAll(process.execPath, '/nonexistent/node'));
    expect(verify(file)).toMatchObject({ status: 1, said: expect.stringMatching(/is not executable/) });
  });

  it.each([
    ['DynamicUser', 'yes'],
    ['ProtectSystem', 'strict'],
    ['NoNewPrivileges', 'yes'],
    ['ProtectHome', 'yes'],
    ['Type', 'exec'],
  ])('sets %s=%s', (key, value) => {
    expect(values(text, key)).toEqual([value]);
  });
});

describe('log-analyzer.service', () => {
  const text = shipped('log-analyzer.service');
  /** Its Environment= settings, specifiers resolved as systemd would for a system service. */
  const environment = Object.fromEntries(
    values(text, 'Environment').map((e) => {
      const [k, ...v] = e.split('=');
      return [k as string, v.join('=').replace('%S', '/var/lib')];
    }),
  );

  it('keeps the checkpoint in its StateDirectory and reads the logs read-only', () => {
    expect(values(text, 'StateDirectory')).toEqual(['log-analyzer']);
    expect(environment.LOG_ANALYZER_POSITIONS).toBe('/var/lib/log-analyzer/positions.json');
    expect(values(text, 'ReadOnlyPaths')).toEqual(['-/var/log/apache2']);
    expect(environment.LOG_ANALYZER_WATCH?.startsWith('/var/log/apache2/')).toBe(true);
    expect(values(text, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('sets only settings the CLI takes', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'config', 'print'], {
      encoding: 'utf8',
      env: { ...process.env, ...environment },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/path = "\/var\/lib\/log-analyzer\/positions\.json" +# environment/);
  });

  it('is ready once /health answers (ExecStartPost), and reloads on ExecReload', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const post = values(text, 'ExecStartPost')[0] ?? '';
    const script = /^\/usr\/bin\/node -e "(.*)"$/.exec(post)?.[1];
    expect(script).toBeTruthy();
    const served = spawnServe(['--watch', join(dir, '*.log'), '--no-positions']);
    running.push(served);
    const port = new URL(await served.url).port;
    const ready = spawnSync(process.execPath, ['-e', script as string], {
      env: { ...process.env, LOG_ANALYZER_PORT: port },
      timeout: 20_000,
    });
    expect(ready.status).toBe(0);
    const pid = String(served.child.pid);
    execFileSync('/bin/kill', ['-HUP', pid]);
    await vi.waitFor(() => expect(served.stderr()).toMatch(/SIGHUP: configuration reloaded/), WAIT);
  });
});
