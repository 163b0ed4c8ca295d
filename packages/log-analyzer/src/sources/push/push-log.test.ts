import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecords, encodeHead, encodeRecord, PushLog, type PushLogIo, unwritten } from './push-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'push-log-'));
  dirs.push(d);
  return join(d, 'log');
};
const body = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('push log records', () => {
  const a = encodeRecord({ seq: 1, at: 1000, tenant: null, body: body('{"a":1}') });
  const b = encodeRecord({ seq: 2, at: 2000, tenant: 'acme', body: body('[]') });
  const table: { name: string; given: Buffer; want: number[] }[] = [
    { name: 'whole records', given: Buffer.concat([a, b]), want: [1, 2] },
    { name: 'a torn last record', given: Buffer.concat([a, b.subarray(0, b.length - 1)]), want: [1] },
    { name: 'a torn header', given: Buffer.concat([a, b.subarray(0, 6)]), want: [1] },
    {
      name: 'a corrupt record ends the segment',
      given: Buffer.concat([a, Buffer.from(b).fill(0x41, 30, 31), a]),
      want: [1],
    },
    { name: 'nothing', given: Buffer.alloc(0), want: [] },
  ];
  for (const { name, given, want } of table) {
    it(name, () => expect(decodeRecords(given).records.map((r) => r.seq)).toEqual(want));
  }

  const kinds: { name: string; given: Buffer; want: { records: number[]; bad: 'tail' | 'middle' | null } }[] = [
    { name: 'whole: nothing bad', given: Buffer.concat([a, b]), want: { records: [1, 2], bad: null } },
    {
      name: 'torn last record: a tail',
      given: Buffer.concat([a, b.subarray(0, 20)]),
      want: { records: [1], bad: 'tail' },
    },
    {
      name: 'a few bytes of a header: a tail',
      given: Buffer.concat([a, b.subarray(0, 3)]),
      want: { records: [1], bad: 'tail' },
    },
    {
      name: 'a corrupt last record: a tail',
      given: Buffer.concat([a, Buffer.from(b).fill(0x41, 30, 31)]),
      want: { records: [1], bad: 'tail' },
    },
    {
      name: 'zeros after the records: a tail',
      given: Buffer.concat([a, Buffer.alloc(64)]),
      want: { records: [1], bad: 'tail' },
    },
    {
      name: 'a corrupt record with data after it: damage in the middle',
      given: Buffer.concat([a, Buffer.from(b).fill(0x41, 30, 31), a]),
      want: { records: [1], bad: 'middle' },
    },
    {
      name: 'a garbage length with a whole record after it: damage, not a tail',
      given: Buffer.concat([a, Buffer.from('garbage!'), b]),
      want: { records: [1], bad: 'middle' },
    },
  ];
  for (const { name, given, want } of kinds) {
    it(`decodes ${name}`, () => {
      const decoded = decodeRecords(given);
      expect({ records: decoded.records.map((r) => r.seq), bad: decoded.bad?.kind ?? null }).toEqual(want);
    });
  }

  const buffers = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('f')];
  const rests: { name: string; given: number; want: string[] }[] = [
    { name: 'nothing written', given: 0, want: ['abc', 'de', 'f'] },
    { name: 'inside the first', given: 2, want: ['c', 'de', 'f'] },
    { name: 'exactly the first', given: 3, want: ['de', 'f'] },
    { name: 'into the second', given: 4, want: ['e', 'f'] },
    { name: 'everything', given: 6, want: [] },
  ];
  for (const { name, given, want } of rests) {
    it(`after a short write: ${name}`, () => expect(unwritten(buffers, given).map(String)).toEqual(want));
  }

  it('round-trips time, tenant and body', () => {
    const [r] = decodeRecords(b).records;
    expect({ ...r, body: text(r?.body ?? new Uint8Array()) }).toEqual({ seq: 2, at: 2000, tenant: 'acme', body: '[]' });
  });
});

describe('PushLog', () => {
  it('replays what the checkpoint does not include, in order, and drops what it does', async () => {
    const dir = scratch();
    const first = PushLog.open(dir, 0);
    expect(first.replay).toEqual([]);
    expect(await first.log.append(body('one'), null, 1)).toBe(1);
    first.log.rotate(); // a checkpoint that includes record 1
    const appends = [first.log.append(body('two'), 't', 2), first.log.append(body('three'), null, 3)];
    expect(await Promise.all(appends)).toEqual([2, 3]);
    first.log.release(1);
    first.log.close(); // a crash: nothing more is written

    const second = PushLog.open(dir, 1);
    expect(second.replay.map((r) => [r.seq, r.tenant, text(r.body)])).toEqual([
      [2, 't', 'two'],
      [3, null, 'three'],
    ]);
    // Numbers carry on; once a checkpoint has record 3, only the open segment is left.
    expect(await second.log.append(body('four'), null, 4)).toBe(4);
    second.log.rotate();
    second.log.release(4);
    expect(readdirSync(dir)).toHaveLength(1);
    second.log.close();
    expect(PushLog.open(dir, 4).replay).toEqual([]);
  });

  it('a torn tail after a crash is not replayed', async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0);
    await log.append(body('kept'), null, 1);
    await log.append(body('torn'), null, 2);
    log.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment as string);
    truncateSync(path, encodeRecord({ seq: 1, at: 1, tenant: null, body: body('kept') }).length + 5);
    expect(PushLog.open(dir, 0).replay.map((r) => text(r.body))).toEqual(['kept']);
    writeFileSync(path, 'garbage');
    expect(PushLog.open(dir, 0).replay).toEqual([]);
  });
});

describe('PushLog across restarts', () => {
  it('an empty segment left by a stop never takes the next one with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'push-log-'));
    try {
      const first = PushLog.open(join(dir, 'log'), 0);
      await first.log.append(body('one'), null, 1);
      first.log.rotate(); // a checkpoint with record 1: the new, empty segment is where 2 would go
      first.log.release(1);
      first.log.close();
      // Restart: the next record goes to a segment of the same first number as the empty one.
      const second = PushLog.open(join(dir, 'log'), 1);
      expect(await second.log.append(body('two'), null, 2)).toBe(2);
      second.log.rotate();
      second.log.release(1); // the checkpoint still has only record 1
      second.log.close();
      expect(PushLog.open(join(dir, 'log'), 1).replay.map((r) => text(r.body))).toEqual(['two']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The file operations over real files, with writes cut short at `maxBytes` and errors on demand
 * (a write that fails after writing half of what it was given, as a full disk or `ulimit -f` does).
 */
function faultyIo(plan: { maxBytes?: number; failWrite?: (call: number) => boolean; failDirSync?: boolean }) {
  let writes = 0;
  const io: PushLogIo = {
    create: (path) => openSync(path, 'a'),
    async writev(fd, given) {
      const all = Buffer.concat(given);
      if (plan.failWrite?.(++writes)) {
        writeSync(fd, all.subarray(0, all.length >> 1));
        throw Object.assign(new Error('EFBIG: file too large'), { code: 'EFBIG' });
      }
      return writeSync(fd, all.subarray(0, Math.min(all.length, plan.maxBytes ?? all.length)));
    },
    fdatasync: async () => {},
    ftruncate: async (fd, size) => ftruncateSync(fd, size),
    close: closeSync,
    syncDirectory: async () => {
      if (plan.failDirSync) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    },
  };
  return io;
}

describe('PushLog when writes fail', () => {
  it('a short write goes on with the rest: every record is whole on disk', async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0, faultyIo({ maxBytes: 7 }));
    const seqs = await Promise.all(['one', 'two', 'three'].map((t, i) => log.append(body(t), 't', i)));
    log.close();
    expect(seqs).toEqual([1, 2, 3]);
    const reopened = PushLog.open(dir, 0);
    expect(reopened.replay.map((r) => text(r.body))).toEqual(['one', 'two', 'three']);
    expect(reopened.damaged).toEqual([]);
  });

  it('a failed write answers an error, is cut back, and the next record goes to a new segment', async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0, faultyIo({ failWrite: (call) => call === 2 }));
    expect(await log.append(body('acked'), null, 1)).toBe(1);
    await expect(log.append(body('refused'), null, 2)).rejects.toThrow(/EFBIG/);
    expect(await log.append(body('after'), null, 3)).toBe(3);
    log.close();
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    // The abandoned segment holds exactly the acknowledged record: no torn tail in it.
    const abandoned = decodeRecords(readFileSync(join(dir, files[0] as string)));
    expect({ seqs: abandoned.records.map((r) => r.seq), bad: abandoned.bad }).toEqual({ seqs: [1], bad: null });
    const reopened = PushLog.open(dir, 0);
    expect(reopened.replay.map((r) => text(r.body))).toEqual(['acked', 'after']);
    expect(reopened.damaged).toEqual([]);
  });

  it('records queued behind a failed write are refused too, never written after it', async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0, faultyIo({ failWrite: (call) => call === 1 }));
    const results = await Promise.allSettled([log.append(body('a'), null, 1), log.append(body('b'), null, 2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await log.append(body('c'), null, 3)).toBe(3);
    log.close();
    expect(PushLog.open(dir, 0).replay.map((r) => text(r.body))).toEqual(['c']);
  });

  it("a new segment's directory fsync failing refuses its records", async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0, faultyIo({ failDirSync: true }));
    await expect(log.append(body('a'), null, 1)).rejects.toThrow(/EIO/);
    log.close();
  });

  it('damage inside a segment: what is before it and the later segments are replayed, the damage reported', async () => {
    const dir = scratch();
    const { log } = PushLog.open(dir, 0);
    await log.append(body('one'), null, 1);
    await log.append(body('two'), null, 2);
    await log.append(body('three'), null, 3);
    log.rotate();
    await log.append(body('four'), null, 4);
    log.close();
    const [first] = readdirSync(dir).sort();
    const path = join(dir, first as string);
    const bytes = readFileSync(path);
    const second = encodeRecord({ seq: 1, at: 1, tenant: null, body: body('one') }).length + 27;
    bytes[second] = (bytes[second] as number) ^ 0xff; // inside record 2's body
    writeFileSync(path, bytes);
    const reopened = PushLog.open(dir, 0);
    expect(reopened.replay.map((r) => text(r.body))).toEqual(['one', 'four']);
    expect(reopened.damaged).toEqual([expect.stringContaining(`${first} at byte`)]);
  });

  it('a damaged segment with no whole record stays as it is: new records never go into it', async () => {
    const dir = scratch();
    const first = PushLog.open(dir, 0);
    await first.log.append(body('one'), null, 1);
    first.log.close();
    const [segment] = readdirSync(dir);
    const path = join(dir, segment as string);
    const damaged = Buffer.concat([Buffer.from('garbage!'), readFileSync(path)]);
    writeFileSync(path, damaged);
    const second = PushLog.open(dir, 0);
    expect(second.damaged).toHaveLength(1);
    await second.log.append(body('two'), null, 2);
    second.log.close();
    expect(readFileSync(path)).toEqual(damaged);
    expect(PushLog.open(dir, 0).replay.map((r) => text(r.body))).toEqual(['two']);
  });
});

describe('encodeHead', () => {
  const cases = [
    { name: 'no tenant', given: { seq: 1, at: 5, tenant: null, body: body('{"a":1}') } },
    { name: 'a tenant', given: { seq: 42, at: 1.5, tenant: 'tenant-é', body: body('[1,2,3]') } },
    { name: 'an empty body', given: { seq: 7, at: 0, tenant: '', body: new Uint8Array(0) } },
  ];
  it.each(cases)('$name: the head then the body as it is are the record encodeRecord writes', ({ given }) => {
    const apart = Buffer.concat([encodeHead(given), given.body]);
    expect(apart).toEqual(encodeRecord(given));
    expect(decodeRecords(apart)).toEqual({ records: [{ ...given, body: Buffer.from(given.body) }], bad: null });
  });
});
