// The history file (`<checkpoint>.history`): every kept track's points and rollups, so that a
// restart (or kill -9) keeps the charts, trends and forecasts. Pure: the bytes from a History and
// the tracks from the bytes (history-saver.ts reads and writes them).
//
// Format: one line of JSON, then the tracks' slots as raw float32 (the host's byte order, named in
// the header), each track `points + 5 × rollups` floats in the order of `tracks`:
//   {"format":"log-analyzer-history","version":1,"writtenAt":<ms>,"endian":"LE","stepMs":…,
//    "windowMs":…,"rollupMs":…,"rollupWindowMs":…,"points":360,"rollups":288,"crc32":<of the slots>,
//    "tracks":[[name,type,labels,lastStep,lastRollup,changedAt,lastValue|null],…]}\n<slots>
// Slots are aligned to the clock (index = step mod points), so the sizes must match the running
// settings; NaN slots are gaps and stay gaps.
// Size bound: at most history.max_series tracks (the History's own cap) of (points + 5 × rollups)
// × 4 bytes plus at most MAX_TRACK_META bytes of header each (a track whose labels take more is
// not saved): maxFileBytes(). A larger file is refused before it is read.

import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import type { History, HistoryOptions, SavedTrack } from './history.js';

export const HISTORY_FORMAT = 'log-analyzer-history';
export const HISTORY_VERSION = 1;
/** The most header bytes one track may take (its name, type, labels, steps). */
export const MAX_TRACK_META = 4096;
const HEADER_BASE = 4096;
const KINDS = new Set(['counter', 'gauge', 'histogram', 'summary']);

export function slotsOf(options: HistoryOptions): { points: number; rollups: number } {
  return {
    points: Math.round(options.windowMs / options.stepMs),
    rollups: Math.round(options.rollupWindowMs / options.rollupMs),
  };
}

/** The largest history file these settings can write. */
export function maxFileBytes(options: HistoryOptions): number {
  const { points, rollups } = slotsOf(options);
  return HEADER_BASE + options.maxSeries * ((points + 5 * rollups) * 4 + MAX_TRACK_META + 1);
}

/**
 * The file's two parts for every kept track of `history` (least recently changed first, as kept):
 * the header line and the slots, written one after the other. The slots are copied once, straight
 * from each track's arrays into one unfilled buffer (this runs on the event loop: 10,000 series
 * are ~70 MB).
 */
export function serializeHistory(
  history: History,
  writtenAt: number,
): { header: Buffer; body: Buffer; bytes: number; tracks: number } {
  const o = history.options;
  const { points, rollups } = slotsOf(o);
  const per = points + 5 * rollups;
  const metas: string[] = [];
  const kept = [];
  for (const t of history.all()) {
    if (t.points.length !== points) continue; // released past the cap: nothing to keep
    const meta = JSON.stringify([
      t.name,
      t.type,
      t.labels,
      t.lastStep,
      t.lastRollup,
      t.changedAt,
      Number.isFinite(t.lastValue) ? t.lastValue : null,
    ]);
    if (meta.length > MAX_TRACK_META) continue;
    metas.push(meta);
    kept.push(t);
  }
  const body = Buffer.allocUnsafe(kept.length * per * 4);
  let at = 0;
  for (const t of kept) {
    for (const slots of [t.points, t.rollups]) {
      at += Buffer.from(slots.buffer, slots.byteOffset, slots.byteLength).copy(body, at);
    }
  }
  const head = JSON.stringify({
    format: HISTORY_FORMAT,
    version: HISTORY_VERSION,
    writtenAt,
    endian: endianness(),
    stepMs: o.stepMs,
    windowMs: o.windowMs,
    rollupMs: o.rollupMs,
    rollupWindowMs: o.rollupWindowMs,
    points,
    rollups,
    crc32: crc32(body),
    tracks: 0,
  });
  // The tracks' JSON is spliced in as made (not parsed and made again).
  const header = Buffer.from(`${head.slice(0, -'0}'.length)}[${metas.join(',')}]}\n`);
  return { header, body, bytes: header.length + body.length, tracks: kept.length };
}

const isInt = (v: unknown) => Number.isSafeInteger(v);

function trackProblem(meta: unknown): string | null {
  if (!Array.isArray(meta) || meta.length !== 7) return 'a track is not [name, type, labels, …]';
  const [name, type, labels, lastStep, lastRollup, changedAt, lastValue] = meta;
  if (typeof name !== 'string' || !KINDS.has(type)) return 'a track has a bad name or type';
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return `track ${name}: bad labels`;
  if (!Object.values(labels).every((v) => typeof v === 'string')) return `track ${name}: bad labels`;
  if (!isInt(lastStep) || !isInt(lastRollup) || !isInt(changedAt)) return `track ${name}: bad steps`;
  if (lastValue !== null && !Number.isFinite(lastValue)) return `track ${name}: bad last value`;
  return null;
}

/**
 * Pure: the tracks of a history file, or why it is refused (not one, another version or byte
 * order, other history settings, damaged, older than the rollup window).
 */
export function parseHistory(
  bytes: Buffer,
  options: HistoryOptions,
  now: number,
): { tracks: SavedTrack[]; writtenAt: number } | { refused: string } {
  const end = bytes.indexOf(10);
  if (end < 0) return { refused: 'no header line (not a history file, or cut short)' };
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(0, end).toString('utf8'));
  } catch {
    return { refused: 'its header is not JSON (not a history file, or damaged)' };
  }
  if (typeof header !== 'object' || header === null || header.format !== HISTORY_FORMAT)
    return { refused: 'not a log-analyzer history file' };
  if (header.version !== HISTORY_VERSION)
    return { refused: `version ${JSON.stringify(header.version)}, this release reads version ${HISTORY_VERSION}` };
  if (header.endian !== endianness()) return { refused: `written on a ${String(header.endian)} host` };
  for (const key of ['stepMs', 'windowMs', 'rollupMs', 'rollupWindowMs'] as const) {
    if (header[key] !== options[key])
      return { refused: `written with history ${key} ${String(header[key])}, now ${options[key]}` };
  }
  const { points, rollups } = slotsOf(options);
  const tracks = header.tracks;
  const writtenAt = header.writtenAt;
  if (!isInt(writtenAt)) return { refused: 'bad writtenAt' };
  if ((writtenAt as number) < now - options.rollupWindowMs)
    return { refused: `written ${new Date(writtenAt as number).toISOString()}, older than the rollup window` };
  if (!Array.isArray(tracks)) return { refused: 'no track list' };
  const per = points + 5 * rollups;
  const body = bytes.subarray(end + 1);
  if (body.length !== tracks.length * per * 4)
    return { refused: `${body.length} bytes of slots where ${tracks.length} tracks take ${tracks.length * per * 4}` };
  if (crc32(body) !== header.crc32) return { refused: 'checksum mismatch (damaged)' };
  // One aligned copy of the slots; each track gets views into it.
  const slots = new Float32Array(tracks.length * per);
  new Uint8Array(slots.buffer).set(body);
  const out: SavedTrack[] = [];
  for (const [i, meta] of tracks.entries()) {
    const problem = trackProblem(meta);
    if (problem) return { refused: problem };
    const [name, type, labels, lastStep, lastRollup, changedAt, lastValue] = meta;
    out.push({
      name,
      type,
      labels,
      lastStep,
      lastRollup,
      changedAt,
      lastValue: lastValue ?? Number.NaN,
      points: slots.subarray(i * per, i * per + points),
      rollups: slots.subarray(i * per + points, (i + 1) * per),
    });
  }
  return { tracks: out, writtenAt: writtenAt as number };
}
