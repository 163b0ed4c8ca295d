// Replays test/crash.test.ts's scenario (noise-maker with rename rotation, the analyzer killed -9
// at random moments) and, on a shortfall, prints what each restart started from: the checkpoint
// on disk right after each kill (knownAt, paths, generations, finished) against every file beside
// the path (inode, size, mtime), so the generation nobody counted can be named.
// Usage (from packages/log-analyzer): node scripts/crash-repro.mjs [runs] [kills] [together]
// `together`: the writer is spawned with the first analyzer, as crash.test.ts did before (the
// default, as it does now: once the first analyzer listens and so has started).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const MAIN = join(HERE, '../src/main.ts');
const NOISE_MAKER = join(HERE, '../../noise-maker/src/cli.ts');
const LINES = 60_000;
const runs = Number(process.argv[2] ?? 1);
const maxKills = Number(process.argv[3] ?? 3);
const together = process.argv[4] === 'together';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function siblings(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.startsWith('access.log')) continue;
    try {
      const s = statSync(join(dir, name));
      out.push({ name, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, birth: s.birthtimeMs });
    } catch {}
  }
  return out;
}

function readCheckpoint(path) {
  if (!existsSync(path)) return null;
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    const lines = (doc.store?.families ?? [])
      .filter((f) => f.name === 'log_lines_total')
      .flatMap((f) => f.series)
      .reduce((sum, s) => sum + (Array.isArray(s) ? Number(s.at(-1)) : Number(s.value ?? 0)), 0);
    return { writtenAt: doc.writtenAt, file: doc.sources?.file, lines, raw: doc };
  } catch (e) {
    return { error: String(e) };
  }
}

function describe(cp) {
  if (!cp) return 'none';
  if (cp.error) return `unreadable: ${cp.error}`;
  const f = cp.file ?? {};
  const paths = (f.paths ?? [])
    .map(
      (p) =>
        `${p.path.split('/').at(-1)}[${p.files.map((g) => `${g.ino}@${g.offset}`).join(',')}${p.current ? ' cur' : ''}]`,
    )
    .join(' ');
  const finished = (f.finished ?? []).map((g) => `${g.ino}@${g.offset}(at ${g.at})`).join(' ');
  return `writtenAt=${cp.writtenAt} knownAt=${f.knownAt} (written-known=${cp.writtenAt - f.knownAt}) paths: ${paths} finished: ${finished}`;
}

async function value(url, name) {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').at(-1));
  return sum;
}

function serve(args) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--host', '127.0.0.1', ...args], {
    env: { ...process.env, LOG_ANALYZER_WORKERS: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /metrics on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`exited: ${stderr}`)));
  });
  url.catch(() => {});
  return { child, exited, url, stderr: () => stderr };
}

async function once(run) {
  const dir = mkdtempSync(join(tmpdir(), 'crash-repro-'));
  const file = join(dir, 'access.log');
  const state = join(dir, 'state', 'checkpoint.json');
  const args = [
    '--watch',
    file,
    '--from',
    'beginning',
    '--positions',
    state,
    '--checkpoint-interval',
    '100ms',
    '--poll-interval',
    '50',
    '--rotate-wait',
    '1000',
  ];
  let writer = null;
  let writerSpawned = 0;
  let writerDone = false;
  let written = Promise.resolve(null);
  const spawnWriter = () => {
    writerSpawned = Date.now();
    writer = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        NOISE_MAKER,
        '--rate',
        '10000',
        '--count',
        String(LINES),
        '--rotate-every',
        '8000',
        '--keep',
        '20',
        '--seed',
        '7',
        '--output',
        file,
        '--quiet',
      ],
      { stdio: 'ignore' },
    );
    written = new Promise((r) =>
      writer.on('exit', (code) => {
        writerDone = true;
        r(code);
      }),
    );
  };
  if (together) spawnWriter();
  const log = [];
  // Every distinct checkpoint written, as it appears on disk.
  const history = [];
  let seenText = '';
  const poller = setInterval(() => {
    try {
      const text = readFileSync(state, 'utf8');
      if (text === seenText) return;
      seenText = text;
      const doc = JSON.parse(text);
      history.push({
        seenAt: Date.now(),
        cp: {
          writtenAt: doc.writtenAt,
          file: doc.sources?.file,
          lines: (doc.store?.families ?? [])
            .filter((f) => f.name === 'log_lines_total')
            .flatMap((f) => f.series)
            .reduce((a, s) => a + s.value, 0),
        },
      });
    } catch {}
  }, 5);
  const spawns = [];
  let last = 0;
  let kills = 0;
  for (;;) {
    const spawnedAt = Date.now();
    const s = serve(args);
    const url = await s.url;
    spawns.push({ spawnedAt, listeningAt: Date.now() });
    if (!writer) {
      spawnWriter();
      while (!existsSync(file)) await sleep(10);
    }
    if (kills < maxKills && !writerDone) {
      const deadline = Date.now() + 300 + Math.random() * 700;
      while (Date.now() < deadline) {
        last = await value(url, 'log_lines_total').catch(() => last);
        await sleep(20);
      }
      const before = siblings(dir);
      s.child.kill('SIGKILL');
      await s.exited;
      const killedAt = Date.now();
      const after = siblings(dir);
      // What the next start reads: the checkpoint (or .prev) on disk now.
      const cp = readCheckpoint(state);
      const prev = readCheckpoint(`${state}.prev`);
      for (const [from, to] of [
        [state, `kill${kills}.json`],
        [`${state}.prev`, `kill${kills}.prev.json`],
      ])
        if (existsSync(from)) copyFileSync(from, join(dir, to));
      log.push({ kill: kills, killedAt, lastScraped: last, before, after, cp, prev });
      kills++;
      continue;
    }
    await written;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      last = await value(url, 'log_lines_total').catch(() => last);
      if (last === LINES) break;
      await sleep(100);
    }
    await sleep(1500);
    last = await value(url, 'log_lines_total').catch(() => last);
    const stderr = s.stderr();
    s.child.kill('SIGKILL');
    await s.exited;
    clearInterval(poller);
    const ok = last === LINES;
    console.log(`run ${run}: ${last} of ${LINES} after ${kills} kills ${ok ? 'ok' : 'SHORT'}`);
    if (!ok) {
      console.log(`  dir kept: ${dir}; writer spawned ${writerSpawned}`);
      for (const sp of spawns) console.log(`  analyzer spawned ${sp.spawnedAt}, listening ${sp.listeningAt}`);
      for (const h of history) console.log(`  cp seen ${h.seenAt}: ${describe(h.cp)} lines=${h.cp.lines}`);
      for (const k of log) {
        console.log(`-- kill ${k.kill} at ${k.killedAt} (last scrape ${k.lastScraped})`);
        console.log(`   checkpoint: ${describe(k.cp)} lines=${k.cp?.lines}`);
        console.log(`   prev      : ${describe(k.prev)} lines=${k.prev?.lines}`);
        console.log(
          `   files before kill: ${k.before.map((f) => `${f.name}=${f.ino}/${f.size}/${f.mtimeMs.toFixed(1)}`).join(' ')}`,
        );
        console.log(
          `   files after kill : ${k.after.map((f) => `${f.name}=${f.ino}/${f.size}/${f.mtimeMs.toFixed(1)}`).join(' ')}`,
        );
      }
      console.log(
        `-- final files: ${siblings(dir)
          .map((f) => `${f.name}=${f.ino}/${f.size}/${f.mtimeMs.toFixed(1)}/born ${f.birth.toFixed(1)}`)
          .join(' ')}`,
      );
      console.log(`-- final checkpoint: ${describe(readCheckpoint(state))}`);
      console.log(`-- last stderr: ${stderr.slice(-2000)}`);
    } else rmSync(dir, { recursive: true, force: true });
    return ok;
  }
}

let failed = 0;
for (let run = 1; run <= runs; run++) if (!(await once(run))) failed++;
console.log(`${failed} of ${runs} runs short`);
