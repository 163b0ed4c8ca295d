import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/temp-dirs.js';
import { FileSink } from './file-sink.js';

const enc = new TextEncoder();
const dir = useTempDirs('noise-sink-');
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join('');

describe('FileSink', () => {
  it('appends, and creates the directories it needs', () => {
    const path = join(dir(), 'a', 'b', 'access.log');
    const sink = new FileSink(path, null);
    sink.write(enc.encode(lines(0, 2)), 2);
    sink.close();
    new FileSink(path, null).write(enc.encode(lines(2, 1)), 1);
    expect(readFileSync(path, 'utf8')).toBe(lines(0, 3));
  });

  it('rename: like logrotate "create" — old generations shift, the oldest beyond keep is deleted', () => {
    const d = dir();
    const path = join(d, 'access.log');
    const sink = new FileSink(path, { everyLines: 3, everyBytes: null, mode: 'rename', keep: 2 });
    for (let i = 0; i < 10; i++) sink.write(enc.encode(lines(i, 1)), 1);
    sink.close();
    expect(readdirSync(d).sort()).toEqual(['access.log', 'access.log.1', 'access.log.2']);
    expect(readFileSync(`${path}.2`, 'utf8')).toBe(lines(3, 3));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(lines(6, 3));
    expect(readFileSync(path, 'utf8')).toBe(lines(9, 1));
    expect(sink.rotations).toBe(3);
  });

  it('rename gives the path a new inode; copytruncate keeps it', () => {
    for (const mode of ['rename', 'copytruncate'] as const) {
      const path = join(dir(), 'access.log');
      const sink = new FileSink(path, { everyLines: 2, everyBytes: null, mode, keep: 1 });
      sink.write(enc.encode(lines(0, 1)), 1);
      const before = statSync(path).ino;
      sink.write(enc.encode(lines(1, 1)), 1);
      sink.write(enc.encode(lines(2, 1)), 1);
      sink.close();
      expect(statSync(path).ino === before).toBe(mode === 'copytruncate');
      expect(readFileSync(`${path}.1`, 'utf8')).toBe(lines(0, 2));
      expect(readFileSync(path, 'utf8')).toBe(lines(2, 1));
    }
  });

  it('rotates by size once the file reaches it', () => {
    const path = join(dir(), 'access.log');
    const sink = new FileSink(path, { everyLines: null, everyBytes: 20, mode: 'copytruncate', keep: 3 });
    for (let i = 0; i < 6; i++) sink.write(enc.encode(lines(i, 1)), 1); // 7 bytes each
    sink.close();
    expect(readFileSync(`${path}.2`, 'utf8')).toBe(lines(0, 3));
    expect(readFileSync(`${path}.1`, 'utf8')).toBe(lines(3, 3));
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('keep 0 deletes instead of keeping', () => {
    const d = dir();
    const path = join(d, 'access.log');
    const sink = new FileSink(path, { everyLines: 1, everyBytes: null, mode: 'rename', keep: 0 });
    sink.write(enc.encode(lines(0, 1)), 1);
    sink.close();
    expect(readdirSync(d)).toEqual(['access.log']);
    expect(existsSync(`${path}.1`)).toBe(false);
  });
});
