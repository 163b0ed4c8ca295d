// The push source's write-ahead log: every push body is appended (with its tenant and time)
// and fsynced before it is applied and answered, many pushes sharing one fsync. The checkpoint
// saves the sequence number of the last record applied; after a crash, the records past it are
// applied again, in order. Segments all of whose records a durable checkpoint includes are deleted,
// so the log holds about one checkpoint interval of pushes. Owns the log directory.
//
// A record on disk: u32 length of the rest | u32 CRC-32 of the rest | f64 seq | f64 time (ms) |
// u16 tenant length | tenant (UTF-8) | body. A torn or corrupt record ends its segment (it was never
// acknowledged: acknowledgements wait for the fsync).

import { closeSync, fdatasync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writev } from 'node:fs';
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

/** Pure: one record's bytes. */
export function encodeRecord(record: LogRecord): Buffer {
  const tenant = Buffer.from(record.tenant ?? '');
  const out = Buffer.allocUnsafe(HEAD + tenant.length + record.body.length);
  out.writeUInt32LE(out.length - 4, 0);
  out.writeDoubleLE(record.seq, 8);
  out.writeDoubleLE(record.at, 16);
  out.writeUInt16LE(record.tenant === null ? 0xffff : tenant.length, 24);
  tenant.copy(out, HEAD);
  out.set(record.body, HEAD + tenant.length);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/** Pure: the whole records of a segment's bytes, up to the first torn or corrupt one. */
export function decodeRecords(bytes: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  let at = 0;
  while (at + HEAD <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + 4 + length;
    if (length < HEAD - 4 || end > bytes.length) break;
    if (crc32(bytes.subarray(at + 8, end)) !== bytes.readUInt32LE(at + 4)) break;
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
  return records;
}

const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);

interface Segment {
  first: number;
  last: number;
  fd: number | null;
  path: string;
}

export class PushLog {
  private readonly segments: Segment[] = [];
  private seq = 0;
  private queue: { segment: Segment; frame: Buffer; done: (error?: Error) => void }[] = [];
  private flushing = false;

  private constructor(private readonly dir: string) {}

  /**
   * Opens the log in `dir` (created if missing) and returns it with the records past `applied`
   * (the checkpoint's last applied sequence number), in order, to be applied again.
   */
  static open(dir: string, applied: number): { log: PushLog; replay: LogRecord[] } {
    mkdirSync(dir, { recursive: true });
    const log = new PushLog(dir);
    const replay: LogRecord[] = [];
    let last = applied;
    const files = readdirSync(dir)
      .filter((f) => /^\d{16}\.log$/.test(f))
      .sort();
    for (const file of files) {
      const path = join(dir, file);
      const records = decodeRecords(readFileSync(path));
      if (records.length === 0) {
        // Nothing in it (a segment started just before a stop, or torn at its first record): it
        // must go now, or the next segment could take its name and be deleted with it.
        unlinkSync(path);
        continue;
      }
      for (const r of records) {
        if (r.seq > applied) replay.push(r);
        last = Math.max(last, r.seq);
      }
      log.segments.push({ first: Number(file.slice(0, 16)), last: records.at(-1)?.seq ?? 0, fd: null, path });
    }
    log.seq = last;
    log.rotate();
    return { log, replay };
  }

  /** Starts a new segment for the next records (at each checkpoint: old ones can then go whole). */
  rotate(): void {
    const current = this.segments.at(-1);
    if (current && current.fd !== null && current.last === 0) return; // still empty: keep it
    const first = this.seq + 1;
    const path = join(this.dir, `${String(first).padStart(16, '0')}.log`);
    this.segments.push({ first, last: 0, fd: openSync(path, 'a'), path });
  }

  /** Appends a record; resolves with its sequence number once it is durable (fsynced). */
  append(body: Uint8Array, tenant: string | null, at: number): Promise<number> {
    const segment = this.segments.at(-1) as Segment;
    const seq = ++this.seq;
    segment.last = seq;
    const frame = encodeRecord({ seq, at, tenant, body });
    return new Promise((resolve, reject) => {
      this.queue.push({ segment, frame, done: (error) => (error ? reject(error) : resolve(seq)) });
      void this.flush();
    });
  }

  /** Deletes the segments whose records are all at or before `applied` (a durable checkpoint has them). */
  release(applied: number): void {
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment;
      if (oldest.last > applied || this.queue.some((q) => q.segment === oldest)) return;
      if (oldest.fd !== null) closeSync(oldest.fd);
      try {
        unlinkSync(oldest.path);
      } catch {}
      this.segments.shift();
    }
  }

  /** Group commit: everything queued meanwhile goes out in one writev and one fdatasync per segment. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const segment = (this.queue[0] as (typeof this.queue)[number]).segment;
        const batch: typeof this.queue = [];
        while (this.queue.length > 0 && this.queue[0]?.segment === segment) batch.push(this.queue.shift() as never);
        try {
          if (segment.fd === null) throw new Error('push log segment closed');
          await writevAsync(
            segment.fd,
            batch.map((q) => q.frame),
          );
          await fdatasyncAsync(segment.fd);
          for (const q of batch) q.done();
        } catch (error) {
          for (const q of batch) q.done(error as Error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  close(): void {
    for (const s of this.segments) if (s.fd !== null) closeSync(s.fd);
    for (const s of this.segments) s.fd = null;
  }
}
