import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecords, encodeRecord, PushLog } from './push-log.js';

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
    it(name, () => expect(decodeRecords(given).map((r) => r.seq)).toEqual(want));
  }

  it('round-trips time, tenant and body', () => {
    const [r] = decodeRecords(b);
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
