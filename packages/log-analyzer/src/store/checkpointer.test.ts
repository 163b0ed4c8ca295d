import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCheckpoint } from './checkpoint.js';
import { type Checkpointed, Checkpointer } from './checkpointer.js';
import { Store } from './store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function checkpointPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
  dirs.push(dir);
  return join(dir, 'checkpoint.json');
}

interface Position {
  read: number;
}

/** A source whose position and positionVersion a test moves by hand. */
class FakeSource implements Checkpointed<Position> {
  readonly name = 'fake';
  positionVersion = 0;
  read = 0;
  readonly told: [Position, Position | null][] = [];
  constructor(readonly restored: Position | null = null) {}
  position(): Position {
    return { read: this.read };
  }
  durable(newest: Position, oldestKept: Position | null): void {
    this.told.push([newest, oldestKept]);
  }
}

const SPEC = { name: 'a_total', help: 'A.', kind: 'counter', labelNames: ['x'] } as const;

function setUp(options: { resumed?: boolean; restored?: Position | null } = {}) {
  const store = new Store();
  const source = new FakeSource(options.restored ?? null);
  const path = checkpointPath();
  let writes = 0;
  const checkpointer = new Checkpointer({
    store,
    path,
    sources: [source],
    resumed: options.resumed ?? false,
    onWritten: () => {
      writes++;
    },
    onError: (error) => {
      throw error;
    },
  });
  return { store, source, path, checkpointer, writes: () => writes };
}

type Moved = ReturnType<typeof setUp>;

describe('Checkpointer', () => {
  it.each([
    { name: 'nothing moved', given: () => {}, want: 0 },
    { name: 'a value changed', given: ({ store }: Moved) => store.family(SPEC).inc(['1'], 1), want: 1 },
    { name: 'a family added', given: ({ store }: Moved) => store.family({ ...SPEC, name: 'b_total' }), want: 1 },
    { name: 'a family deleted', given: ({ store }: Moved) => store.delete('a_total'), want: 1 },
    {
      name: 'a position moved without the store',
      given: ({ source }: Moved) => {
        source.read++;
        source.positionVersion++;
      },
      want: 1,
    },
    {
      name: 'both moved',
      given: ({ store, source }: Moved) => {
        store.family(SPEC).inc(['1'], 1);
        source.positionVersion++;
      },
      want: 1,
    },
  ])('writes only when the store or a position moved: $name', async ({ given, want }) => {
    const moved = setUp();
    moved.store.family(SPEC).inc(['1'], 1);
    await moved.checkpointer.checkpoint();
    expect(moved.writes()).toBe(1);
    // One more with nothing new: skipped, but published afresh.
    const { generation } = moved.checkpointer.published;
    await moved.checkpointer.checkpoint();
    expect(moved.writes()).toBe(1);
    expect(moved.checkpointer.published.generation).toBe(generation);

    given(moved);
    await moved.checkpointer.checkpoint();
    expect(moved.writes()).toBe(1 + want);
    expect(moved.checkpointer.published.generation).toBe(generation + want);
  });

  it('saves each position under its source name and tells the source what is durable', async () => {
    const { source, path, checkpointer } = setUp();
    source.read = 5;
    await checkpointer.checkpoint();
    expect(parseCheckpoint(readFileSync(path, 'utf8')).sources).toEqual({ fake: { read: 5 } });
    // A first start: the oldest generation kept is the one just written.
    expect(source.told).toEqual([[{ read: 5 }, { read: 5 }]]);
    source.read = 9;
    source.positionVersion++;
    await checkpointer.checkpoint();
    expect(source.told.at(-1)).toEqual([{ read: 9 }, { read: 5 }]);
  });

  it.each([
    {
      name: 'resumed: the checkpoint found at start is kept',
      given: { resumed: true, restored: { read: 3 } },
      want: { read: 3 },
    },
    {
      name: 'resumed, that checkpoint held no position of the source',
      given: { resumed: true, restored: null },
      want: null,
    },
    {
      name: 'a first start: the checkpoint just written',
      given: { resumed: false, restored: null },
      want: { read: 4 },
    },
  ])('the first write tells the oldest generation kept: $name', async ({ given, want }) => {
    const { source, checkpointer } = setUp(given);
    source.read = 4;
    source.positionVersion++;
    await checkpointer.checkpoint();
    expect(source.told).toEqual([[{ read: 4 }, want]]);
  });
});
