// A file's identity beyond its inode: a hash of its first bytes. It tells a truncated-and-regrown
// file (same inode, new content) from one that only grew, and a reused inode from the file we knew.

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Enough to cover a log line with its timestamp, small enough to read on every check. */
export const FINGERPRINT_BYTES = 256;

export interface Fingerprint {
  /** How many leading bytes were hashed (fewer than FINGERPRINT_BYTES while the file is that small). */
  length: number;
  sha256: string;
}

export async function fingerprintOf(handle: FileHandle, length: number): Promise<Fingerprint> {
  const want = Math.min(length, FINGERPRINT_BYTES);
  const buffer = Buffer.alloc(want);
  const { bytesRead } = await handle.read(buffer, 0, want, 0);
  return { length: bytesRead, sha256: createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex') };
}

/** True when the file still starts with the bytes the fingerprint was taken from. */
export async function stillStartsWith(handle: FileHandle, fingerprint: Fingerprint): Promise<boolean> {
  if (fingerprint.length === 0) return true;
  const now = await fingerprintOf(handle, fingerprint.length);
  return now.length === fingerprint.length && now.sha256 === fingerprint.sha256;
}
