// The push source's write-ahead log: every push body is appended (with its tenant and time)
// and fsynced before it is applied and answered, many pushes sharing one fsync. The checkpoint
// saves the sequence number of the last record applied; after a crash, the records past it are
// applied again, in order. Segments all of whose records a durable checkpoint includes are deleted,
// so the log holds about one checkpoint interval of pushes. Owns the log directory.
//
// A record on disk: u32 length of the rest | u32 CRC-32 of the rest | f64 seq | f64 time (ms) |
// u16 tenant length | tenant (UTF-8) | body. Acknowledgements wait for the fsync (and, for a new
// segment, its directory's). A short write goes on with the rest; any error fails the group, cuts
// the segment back to its last acknowledged record and closes it: the next record starts a new
// one. So a torn or corrupt record is only ever a segment's tail (a crash mid-write, never
// acknowledged); one with data after it means the file was damaged later, which replay says loudly.

import {
  closeSync,
  fdatasync,
  ftruncate,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writev,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';

export interface LogRecord {
  seq: number;
  at: number;
  tenant: string | null;
  body: Uint8Array;
}

const HEAD = 4 + 4 + 8 + 8 + 2;

/**
 * Pure: one record's bytes up to its body (the body follows them as is: written from where it
 * is, never copied; the CRC covers it).
 */
export function encodeHead(record: LogRecord): Buffer {
  const tenant = Buffer.from(record.tenant ?? '');
  const out = Buffer.allocUnsafe(HEAD + tenant.length);
  out.writeUInt32LE(out.length + record.body.length - 4, 0);
  out.writeDoubleLE(record.seq, 8);
  out.writeDoubleLE(record.at, 16);
  out.writeUInt16LE(record.tenant === null ? 0xffff : tenant.length, 24);
  tenant.copy(out, HEAD);
  out.writeUInt32LE(crc32(record.body, crc32(out.subarray(8))), 4);
  return out;
}

/** Pure: one record's bytes. */
export function encodeRecord(record: LogRecord): Buffer {
  return Buffer.concat([encodeHead(record), record.body]);
}

/** What a segment's bytes hold: its whole records and, when a record is bad, where and whether only a tail. */
export interface DecodedSegment {
  records: LogRecord[];
  /**
   * null: every byte is in a whole record. `tail`: no whole record after the bad one (a write a
   * crash cut short, never acknowledged, or zeros). `middle`: a whole record after a bad one, which
   * no write of ours leaves (a failed write abandons its segment): the segment was damaged later,
   * and the records from the damage on are not read.
   */
  bad: { at: number; kind: 'tail' | 'middle' } | null;
}

/** Pure: whether a whole record (its length in bounds, its CRC right) starts at `at`. */
function wholeAt(bytes: Buffer, at: number): boolean {
  if (at + HEAD > bytes.length) return false;
  const length = bytes.readUInt32LE(at);
  const end = at + 4 + length;
  // The cheap checks first: a scan for the next record (decodeRecords) tries every offset.
  return length >= HEAD - 4 && end <= bytes.length && crc32(bytes.subarray(at + 8, end)) === bytes.readUInt32LE(at + 4);
}

/** Pure: the whole records of a segment's bytes, up to the first torn or corrupt one, and what that one is. */
export function decodeRecords(bytes: Buffer): DecodedSegment {
  const records: LogRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (!wholeAt(bytes, at)) {
      // A torn write leaves part of one record; a whole record after the bad one means damage.
      let tail = true;
      for (let next = at + 1; tail && next + HEAD <= bytes.length; next++) tail = !wholeAt(bytes, next);
      return { records, bad: { at, kind: tail ? 'tail' : 'middle' } };
    }
    const end = at + 4 + bytes.readUInt32LE(at);
    const tenantLength = bytes.readUInt16LE(at + 24);
    const tenantBytes = tenantLength === 0xffff ? 0 : tenantLength;
    records.push({
      seq: bytes.readDoubleLE(at + 8),
      at: bytes.readDoubleLE(at + 16),
      tenant: tenantLength === 0xffff ? null : bytes.toString('utf8', at + HEAD, at + HEAD + tenantBytes),
      body: bytes.subarray(at + HEAD + tenantBytes, end),
    });
    at = end;
  }
  return { records, bad: null };
}

/** Pure: what is left of `buffers` once the first `n` bytes are written (a short write goes on from there). */
export function unwritten(buffers: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = n;
  for (const b of buffers) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** The file operations the log uses: node:fs by default, a fake in tests (short writes, errors). */
export interface PushLogIo {
  /** Creates a new segment file for appending; returns its descriptor. */
  create(path: string): number;
  /** Resolves with the bytes written, which may be fewer than given. */
  writev(fd: number, buffers: Uint8Array[]): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  ftruncate(fd: number, size: number): Promise<void>;
  close(fd: number): void;
  /** Makes a new file's directory entry durable. */
  syncDirectory(dir: string): Promise<void>;
}

const writevAsync = promisify(writev);
const NODE_IO: PushLogIo = {
  create: (path) => openSync(path, 'a'),
  writev: async (fd, buffers) => (await writevAsync(fd, buffers)).bytesWritten,
  fdatasync: promisify(fdatasync),
  ftruncate: promisify(ftruncate),
  close: closeSync,
  async syncDirectory(dir) {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

const DONE = Promise.resolve();

interface Segment {
  first: number;
  last: number;
  /** null: closed (an old segment, or one abandoned after an error). */
  fd: number | null;
  path: string;
  /** Bytes of whole, durable records: a failed write is cut back to here. */
  size: number;
  /** The directory entry's fsync: no record in it is acknowledged before. */
  created: Promise<void>;
}

export class PushLog {
  private readonly segments: Segment[] = [];
  private seq = 0;
  /** A record's frame: its head, then its body as it came. */
  private queue: { segment: Segment; frame: [Buffer, Uint8Array]; done: (error?: Error) => void }[] = [];
  private flushing = false;

  private constructor(
    private readonly dir: string,
    private readonly io: PushLogIo,
  ) {}

  /**
   * Opens the log in `dir` (created if missing) and returns it with the records past `applied`
   * (the checkpoint's last applied sequence number), in order, to be applied again, and the
   * segments found damaged (a bad record with data after it: the records before it are replayed,
   * the rest of that segment cannot be; the later segments are).
   */
  static open(
    dir: string,
    applied: number,
    io: PushLogIo = NODE_IO,
  ): { log: PushLog; replay: LogRecord[]; damaged: string[] } {
    mkdirSync(dir, { recursive: true });
    const log = new PushLog(dir, io);
    const replay: LogRecord[] = [];
    const damaged: string[] = [];
    let last = applied;
    const files = readdirSync(dir)
      .filter((f) => /^\d{16}\.log$/.test(f))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      const { records, bad } = decodeRecords(readFileSync(path));
      // New segments are named past every file kept here: none is ever appended to again.
      if (bad?.kind === 'middle') last = Math.max(last, Number(file.slice(0, 16)));
      if (bad?.kind === 'middle') damaged.push(`${path} at byte ${bad.at}`);
      if (records.length === 0) {
        // Nothing in it (a segment started just before a stop, or torn at its first record): it
        // must go now, or the next segment could take its name and be deleted with it. A damaged
        // one stays for a post-mortem (its name is below every later record's).
        if (bad?.kind !== 'middle') unlinkSync(path);
        continue;
      }
      for (const r of records) {
        if (r.seq > applied) replay.push(r);
        last = Math.max(last, r.seq);
      }
      const first = Number(file.slice(0, 16));
      log.segments.push({ first, last: records.at(-1)?.seq ?? 0, fd: null, path, size: 0, created: DONE });
    }
    log.seq = last;
    log.rotate();
    return { log, replay, damaged };
  }

  /**
   * Starts a new segment for the next records (at each checkpoint: old ones can then go whole).
   * Never throws (it runs in the checkpoint's synchronous section): a segment that cannot be
   * created is tried again by the next append, which fails if it still cannot.
   */
  rotate(): void {
    const current = this.segments.at(-1);
    if (current && current.fd !== null && current.last === 0) return; // still empty: keep it
    try {
      this.startSegment();
    } catch {}
  }

  private startSegment(): Segment {
    const first = this.seq + 1;
    const path = join(this.dir, `${String(first).padStart(16, '0')}.log`);
    const fd = this.io.create(path);
    const created = this.io.syncDirectory(this.dir);
    created.catch(() => {}); // awaited by the first write into it
    const segment: Segment = { first, last: 0, fd, path, size: 0, created };
    this.segments.push(segment);
    return segment;
  }

  /** Appends a record; resolves with its sequence number once it is durable (fsynced). */
  append(body: Uint8Array, tenant: string | null, at: number): Promise<number> {
    let segment = this.segments.at(-1);
    if (!segment || segment.fd === null) {
      // Never after a torn tail: the segment a write failed in is closed; a new one takes the rest.
      try {
        segment = this.startSegment();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const target = segment;
    const seq = ++this.seq;
    target.last = seq;
    const frame: [Buffer, Uint8Array] = [encodeHead({ seq, at, tenant, body }), body];
    return new Promise((resolve, reject) => {
      this.queue.push({ segment: target, frame, done: (error) => (error ? reject(error) : resolve(seq)) });
      void this.flush();
    });
  }

  /** Deletes the segments whose records are all at or before `applied` (a durable checkpoint has them). */
  release(applied: number): void {
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      if (oldest.last > applied || this.queue.some((q) => q.segment === oldest)) return;
      if (oldest.fd !== null) this.io.close(oldest.fd);
      try {
        unlinkSync(oldest.path);
      } catch {}
      this.segments.shift();
    }
  }

  /** Group commit: everything queued meanwhile goes out in as few writes as it takes, and one fdatasync per segment. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const segment = (this.queue[0] as (typeof this.queue)[number]).segment;
        const batch: typeof this.queue = [];
        while (this.queue.length > 0 && this.queue[0]?.segment === segment) batch.push(this.queue.shift() as never);
        try {
          await this.write(
            segment,
            batch.flatMap((q) => q.frame),
          );
          for (const q of batch) q.done();
        } catch (error) {
          for (const q of batch) q.done(error as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Writes the frames whole (a short write goes on with the rest) and syncs; any error abandons the segment. */
  private async write(segment: Segment, frames: Uint8Array[]): Promise<void> {
    const { fd } = segment;
    if (fd === null) throw new Error('push log segment closed after an earlier error');
    let written = 0;
    try {
      for (let rest = frames; rest.length > 0; ) {
        const n = await this.io.writev(fd, rest);
        if (n <= 0) throw new Error('push log write made no progress');
        written += n;
        rest = unwritten(rest, n);
      }
      await this.io.fdatasync(fd);
      await segment.created;
      segment.size += written;
    } catch (error) {
      await this.abandon(segment, error as Error);
      throw error;
    }
  }

  /** After a failed write: the segment is cut back to its whole records and closed for good. */
  private async abandon(segment: Segment, error: Error): Promise<void> {
    const { fd } = segment;
    if (fd === null) return;
    segment.fd = null;
    try {
      await this.io.ftruncate(fd, segment.size);
      await this.io.fdatasync(fd);
    } catch (cut) {
      // Unacknowledged records may then stay whole in it and be applied at the next start: say so.
      error.message += `; the segment could not be cut back to its acknowledged records (${(cut as Error).message}), so the next start may apply some of them`;
    }
    try {
      this.io.close(fd);
    } catch {}
  }

  close(): void {
    for (const s of this.segments) if (s.fd !== null) this.io.close(s.fd);
    for (const s of this.segments) s.fd = null;
  }
}
