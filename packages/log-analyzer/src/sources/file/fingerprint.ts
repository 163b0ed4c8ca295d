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

export function fingerprintBytes(bytes: Uint8Array): Fingerprint {
  return { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Fingerprint of the `length` bytes at `position` (fewer if the file is shorter). */
export async function fingerprintAt(handle: FileHandle, position: number, length: number): Promise<Fingerprint> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, position);
  return fingerprintBytes(buffer.subarray(0, bytesRead));
}

/** Fingerprint of the file's first bytes (at most FINGERPRINT_BYTES, at most `size`). */
export function fingerprintOf(handle: FileHandle, size: number): Promise<Fingerprint> {
  return fingerprintAt(handle, 0, Math.min(size, FINGERPRINT_BYTES));
}

/** True when the `length` bytes before `offset` have that fingerprint (an empty one always matches). */
export async function endsWithAt(handle: FileHandle, offset: number, tail: Fingerprint): Promise<boolean> {
  if (tail.length === 0) return true;
  if (offset < tail.length) return false;
  const now = await fingerprintAt(handle, offset - tail.length, tail.length);
  return now.length === tail.length && now.sha256 === tail.sha256;
}

/** True when the file still starts with the bytes the fingerprint was taken from. */
export async function stillStartsWith(handle: FileHandle, fingerprint: Fingerprint): Promise<boolean> {
  if (fingerprint.length === 0) return true;
  const now = await fingerprintOf(handle, fingerprint.length);
  return now.length === fingerprint.length && now.sha256 === fingerprint.sha256;
}
