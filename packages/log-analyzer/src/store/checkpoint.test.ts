import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointBody, parseCheckpoint, previousOf, serializeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { asideName, type Generation, type LoadPlan, loadCheckpoint, planLoad } from './checkpoint-load.js';
import { Store, type StoreSnapshot } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'checkpoint-'));
  dirs.push(d);
  return d;
};

const counter = (value: number): StoreSnapshot => ({
  families: [{ name: 'x_total', help: 'x', kind: 'counter', labelNames: [], series: [{ labels: [], value }] }],
});
const text = (value: number, at = 1000) =>
  serializeCheckpoint(checkpointBody(counter(value), { push: { applied: value } }), at);

describe('planLoad: which generation a start carries on from', () => {
  const missing: Generation = { state: 'missing' };
  const usable: Generation = { state: 'usable' };
  const corrupt: Generation = { state: 'unusable', reason: 'Unexpected end of JSON input' };
  const unreadable: Generation = { state: 'unusable', reason: 'cannot be read: EIO' };
  const pick = (p: LoadPlan) => ({ load: p.load, aside: p.aside, refused: p.refuse !== null, said: p.say !== null });
  const table: {
    name: string;
    given: { current: Generation; previous: Generation; startFresh: boolean };
    want: ReturnType<typeof pick>;
  }[] = [
    {
      name: 'the newest is usable',
      given: { current: usable, previous: usable, startFresh: false },
      want: { load: 'current', aside: [], refused: false, said: false },
    },
    {
      name: 'a first start',
      given: { current: missing, previous: missing, startFresh: false },
      want: { load: null, aside: [], refused: false, said: false },
    },
    {
      name: 'the newest is corrupt: the previous generation, the corrupt one aside',
      given: { current: corrupt, previous: usable, startFresh: false },
      want: { load: 'previous', aside: ['current'], refused: false, said: true },
    },
    {
      name: 'the newest cannot be read: the previous generation, never a fresh start',
      given: { current: unreadable, previous: usable, startFresh: false },
      want: { load: 'previous', aside: ['current'], refused: false, said: true },
    },
    {
      name: 'the newest is missing (a stop between the renames): the previous generation',
      given: { current: missing, previous: usable, startFresh: false },
      want: { load: 'previous', aside: [], refused: false, said: true },
    },
    {
      name: 'both corrupt: refused, nothing moved',
      given: { current: corrupt, previous: corrupt, startFresh: false },
      want: { load: null, aside: [], refused: true, said: false },
    },
    {
      name: 'the newest unreadable and no previous one: refused',
      given: { current: unreadable, previous: missing, startFresh: false },
      want: { load: null, aside: [], refused: true, said: false },
    },
    {
      name: 'only a corrupt previous generation: refused',
      given: { current: missing, previous: corrupt, startFresh: false },
      want: { load: null, aside: [], refused: true, said: false },
    },
    {
      name: 'both corrupt with --start-fresh: both aside, fresh',
      given: { current: corrupt, previous: corrupt, startFresh: true },
      want: { load: null, aside: ['current', 'previous'], refused: false, said: true },
    },
    {
      name: 'the newest usable, the previous corrupt: the previous aside (the next write would replace it)',
      given: { current: usable, previous: corrupt, startFresh: false },
      want: { load: 'current', aside: ['previous'], refused: false, said: true },
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(pick(planLoad('cp.json', given.current, given.previous, given.startFresh))).toEqual(want));
  }

  it('the refusal is one line naming both files, why, and what to do', () => {
    const plan = planLoad('/s/cp.json', corrupt, unreadable, false);
    expect(plan.refuse).toBe(
      'no usable checkpoint: /s/cp.json is unusable (Unexpected end of JSON input) and /s/cp.json.prev is unusable ' +
        '(cannot be read: EIO); refusing to start from zero (every counter and read position would be lost). ' +
        'Fix or move the files, or start once with --start-fresh to keep them aside and start fresh',
    );
  });
});

describe('asideName', () => {
  const now = new Date('2026-12-03T09:00:00.000Z');
  const table: { name: string; given: string[]; want: string }[] = [
    { name: 'the first', given: [], want: 'cp.json.corrupt-2026-12-03T09-00-00.000Z' },
    {
      name: 'never over an earlier one',
      given: ['cp.json.corrupt-2026-12-03T09-00-00.000Z', 'cp.json.corrupt-2026-12-03T09-00-00.000Z-1'],
      want: 'cp.json.corrupt-2026-12-03T09-00-00.000Z-2',
    },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(asideName('cp.json', now, (n) => given.includes(n))).toBe(want));
  }
});

describe('parseCheckpoint refuses a structure /metrics could not expose', () => {
  // A valid checkpoint of every kind; each row is it with one edit, as the reviewer made them.
  const valid = (): StoreSnapshot => ({
    families: [
      {
        name: 'log_lines_total',
        help: 'Lines.',
        kind: 'counter',
        labelNames: ['file'],
        series: [
          { labels: ['/a.log'], value: 7 },
          { labels: ['/b.log'], value: 3 },
        ],
      },
      { name: 'big_total', help: 'Big.', kind: 'counter', labelNames: [], series: [{ labels: [], value: 1 }] },
      {
        name: 'lat_seconds',
        help: 'Latency.',
        kind: 'histogram',
        labelNames: ['route'],
        bounds: [0.5, 1, 10],
        series: [{ labels: ['/x'], buckets: [1, 0, 2, 1], sum: 14, count: 4 }],
      },
      {
        name: 'ss',
        help: 'Summary.',
        kind: 'summary',
        labelNames: [],
        targets: [
          { quantile: 0.5, epsilon: 0.05 },
          { quantile: 0.9, epsilon: 0.01 },
        ],
        series: [{ labels: [], sum: 3.4, count: 2, quantiles: [1.7, 1.7] }],
      },
      {
        name: 'orders_total',
        help: 'Orders.',
        kind: 'counter',
        labelNames: [],
        pushed: true,
        series: [{ labels: ['shop', '1'], names: ['tenant_id', 'order'], value: 2 }],
      },
    ],
  });
  type Target = { quantile: number; epsilon: number };
  type SavedSeries = { labels: string[]; names: string[]; value: number; buckets: number[]; count: number };
  /** A saved family as the rows edit it (JSON: any field may be made wrong). */
  interface Saved {
    name: string;
    labelNames: string[];
    bounds: number[];
    targets: [Target, Target];
    series: [SavedSeries, SavedSeries];
  }
  type Edit = (families: Saved[]) => void;
  const family = (families: Saved[], name: string) => families.find((f) => f.name === name) as Saved;
  const table: { name: string; given: Edit; want: RegExp }[] = [
    {
      name: 'a family name outside the grammar',
      given: (fs) => {
        family(fs, 'big_total').name = '1bad name';
      },
      want: /family "1bad name": not a Prometheus metric name/,
    },
    {
      name: 'histogram bounds not ascending',
      given: (fs) => {
        family(fs, 'lat_seconds').bounds = [10, 1, 0.5];
      },
      want: /family lat_seconds: bucket bounds \[10,1,0.5\]/,
    },
    {
      name: 'a summary target with quantile 2',
      given: (fs) => {
        family(fs, 'ss').targets[1].quantile = 2;
      },
      want: /family ss: targets /,
    },
    {
      name: 'fewer summary targets than the series has quantiles',
      given: (fs) => {
        family(fs, 'ss').targets.pop();
      },
      want: /family ss, series \[\]: quantiles: not 1/,
    },
    {
      name: 'a family twice',
      given: (fs) => {
        fs.push(family(fs, 'big_total'));
      },
      want: /family big_total: twice/,
    },
    {
      name: 'a negative counter',
      given: (fs) => {
        family(fs, 'log_lines_total').series[0].value = -5;
      },
      want: /family log_lines_total, series \["\/a.log"\]: value -5/,
    },
    {
      name: 'more label values than the family has label names',
      given: (fs) => {
        family(fs, 'log_lines_total').series[1].labels.push('extra');
      },
      want: /family log_lines_total, series \["\/b.log","extra"\]: 2 label values for 1 label names/,
    },
    {
      name: "fewer label values than the series' own names",
      given: (fs) => {
        family(fs, 'orders_total').series[0].labels.pop();
      },
      want: /family orders_total, series \["shop"\]: 1 label values for 2 label names/,
    },
    {
      name: 'a series twice',
      given: (fs) => {
        family(fs, 'log_lines_total').series[1].labels = ['/a.log'];
      },
      want: /family log_lines_total, series \["\/a.log"\]: twice/,
    },
    {
      name: 'a label name outside the grammar',
      given: (fs) => {
        family(fs, 'lat_seconds').labelNames = ['ro-ute'];
      },
      want: /family lat_seconds: label name "ro-ute"/,
    },
    {
      name: "a series' own label name that the exposition adds (le)",
      given: (fs) => {
        family(fs, 'orders_total').series[0].names = ['tenant_id', 'le'];
      },
      want: /family orders_total, series .*: label name "le"/,
    },
    {
      name: 'a label name twice',
      given: (fs) => {
        family(fs, 'orders_total').series[0].names = ['order', 'order'];
      },
      want: /family orders_total, series .*: label names \["order","order"\] repeat one/,
    },
    {
      name: 'a label name holding a comma, after a list of the same text was found good',
      given: (fs) => {
        fs.push({ ...family(fs, 'orders_total'), name: 'more_total' });
        family(fs, 'orders_total').series[0].names = ['tenant_id,order'];
        family(fs, 'orders_total').series[0].labels = ['shop'];
      },
      want: /family orders_total, series \["shop"\]: label name "tenant_id,order"/,
    },
    {
      name: 'bucket counts not one more than the bounds',
      given: (fs) => {
        family(fs, 'lat_seconds').series[0].buckets.pop();
      },
      want: /family lat_seconds, series \["\/x"\]: bucket counts: not 4/,
    },
    {
      name: 'a negative histogram count',
      given: (fs) => {
        family(fs, 'lat_seconds').series[0].count = -1;
      },
      want: /family lat_seconds, series \["\/x"\]: count -1/,
    },
    {
      name: 'a negative summary count',
      given: (fs) => {
        family(fs, 'ss').series[0].count = -2;
      },
      want: /family ss, series \[\]: count -2/,
    },
    {
      name: 'a summary epsilon of 0',
      given: (fs) => {
        family(fs, 'ss').targets[0].epsilon = 0;
      },
      want: /family ss: targets /,
    },
  ];
  const edited = (edit: Edit) => {
    const doc = JSON.parse(serializeCheckpoint(checkpointBody(valid(), {}), 1000));
    edit(doc.store.families);
    return JSON.stringify(doc);
  };

  it('the checkpoint unedited loads whole', () => {
    expect(parseCheckpoint(edited(() => {})).store).toEqual(valid());
  });
  for (const { name, given, want } of table) {
    it(name, () => expect(() => parseCheckpoint(edited(given))).toThrow(want));
  }

  it('such a newest generation is unusable: the start falls back to the previous one, saying why', async () => {
    const path = join(scratch(), 'cp.json');
    writeFileSync(previousOf(path), text(1));
    writeFileSync(
      path,
      edited((fs) => fs.push(family(fs, 'big_total'))),
    );
    const said: string[] = [];
    const loaded = await loadCheckpoint(path, { startFresh: false, say: (m) => said.push(m) });
    expect(loaded.from).toBe(previousOf(path));
    expect(said).toEqual([expect.stringMatching(/unusable \(cannot be restored: family big_total: twice;/)]);
  });
});

describe('checkpointBody reads back what it makes', () => {
  // JSON.stringify writes NaN and Infinity as null, which the start refuses: never written.
  it('refuses a non-finite counter', () => {
    expect(() => text(Number.POSITIVE_INFINITY)).toThrow(
      'checkpoint not written: it would not read back: family x_total, series []: value null',
    );
  });

  it("refuses a histogram whose sum overflowed, in the store's chunks, and only the changed chunk is read again", () => {
    const store = new Store();
    const h = store.family({ name: 'h', help: 'H.', kind: 'histogram', labelNames: ['k'], bounds: [1] });
    h.observe(['a'], [1, 0], 1.7e308, 1);
    expect(() => checkpointBody(store.snapshot(), {})).not.toThrow();
    h.observe(['a'], [1, 0], 1.7e308, 1);
    expect(() => checkpointBody(store.snapshot(), {})).toThrow(/family h, series \["a"\]: count 2, sum null/);
  });
});

describe('writeCheckpoint', () => {
  it('keeps the previous generation, and refuses a content that would not read back', async () => {
    const path = join(scratch(), 'cp.json');
    await writeCheckpoint(path, text(1));
    await writeCheckpoint(path, text(2));
    expect(parseCheckpoint(readFileSync(path, 'utf8')).sources).toEqual({ push: { applied: 2 } });
    expect(parseCheckpoint(readFileSync(previousOf(path), 'utf8')).sources).toEqual({ push: { applied: 1 } });
    expect(readdirSync(join(path, '..')).sort()).toEqual(['cp.json', 'cp.json.prev']);
  });

  it('removes a stale temp file, never writes through a symlink, and removes its temp file after a failure', async () => {
    const dir = scratch();
    const path = join(dir, 'cp.json');
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    symlinkSync(target, `${path}.tmp`); // left by anyone: removed, not followed
    await writeCheckpoint(path, text(1));
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    // The rename fails (a directory where the previous generation goes): the temp file goes too.
    mkdirSync(join(previousOf(path), 'x'), { recursive: true });
    await expect(writeCheckpoint(path, text(2))).rejects.toThrow();
    expect(existsSync(`${path}.tmp`)).toBe(false);
  });
});

describe('loadCheckpoint', () => {
  const say = (said: string[]) => (m: string) => said.push(m);

  it('falls back to the previous generation when the newest is corrupt, keeping the corrupt one aside', async () => {
    const dir = scratch();
    const path = join(dir, 'cp.json');
    writeFileSync(previousOf(path), text(1));
    writeFileSync(path, text(2).replace('"value":2', '"value":null'));
    const said: string[] = [];
    const loaded = await loadCheckpoint(path, { startFresh: false, say: say(said) });
    expect(loaded.from).toBe(previousOf(path));
    expect(loaded.checkpoint?.sources).toEqual({ push: { applied: 1 } });
    expect(said).toEqual([
      expect.stringMatching(/unusable \(cannot be restored: family x_total.*value null.*cp\.json\.prev/),
    ]);
    expect(readdirSync(dir).filter((f) => f.startsWith('cp.json.corrupt-'))).toHaveLength(1);
  });

  it('a checkpoint that cannot be read is never a first start', async () => {
    const path = join(scratch(), 'cp.json');
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    const reader = {
      read: async (p: string) => {
        if (p === path) throw eio;
        throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      },
    };
    await expect(loadCheckpoint(path, { startFresh: false, say: () => {}, reader })).rejects.toThrow(
      /no usable checkpoint: .*cp\.json is unusable \(cannot be read: EIO\)/,
    );
  });

  it('--start-fresh twice: every corrupt file is kept, none over another', async () => {
    const dir = scratch();
    const path = join(dir, 'cp.json');
    for (let i = 0; i < 2; i++) {
      writeFileSync(path, `garbage ${i}`);
      const loaded = await loadCheckpoint(path, { startFresh: true, say: () => {} });
      expect(loaded).toEqual({ checkpoint: null, from: null });
    }
    const kept = readdirSync(dir).filter((f) => f.startsWith('cp.json.corrupt-'));
    expect(kept.map((f) => readFileSync(join(dir, f), 'utf8')).sort()).toEqual(['garbage 0', 'garbage 1']);
  });
});
