// The store's series as exposition sample lines, written as bytes straight into one scratch
// buffer: no string per line, no joined document to encode again. A series' label text is
// escaped and encoded once (the store shares a series' label array across snapshots); a render
// then copies those bytes and the numbers. 100,000 pushed series are ~440,000 lines (~45 MB).

import type { FamilySnapshot, Series } from '../store/store.js';

/** Escapes a label value (exposition.ts owns the rule; passed in so this file imports no cycle). */
export type Escape = (value: string) => string;

/** A growable byte buffer, reused between chunks: its bytes are copied out per chunk. */
class Scratch {
  private buf = Buffer.allocUnsafe(1 << 20);
  at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    const { buf } = this;
    let at = this.at;
    // Label texts and names are tens of bytes: a loop beats a native call for those.
    if (b.length < 64) for (let i = 0; i < b.length; i++) buf[at++] = b[i] as number;
    else {
      buf.set(b, at);
      at += b.length;
    }
    this.at = at;
  }

  /** A number, its ' ' before and its newline after (the text of a number is ASCII). */
  value(v: number): void {
    const text = formatValue(v);
    this.room(text.length + 2);
    const { buf } = this;
    let at = this.at;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    buf[at++] = 0x0a;
    this.at = at;
  }

  take(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    this.buf.copy(out, 0, 0, this.at);
    this.at = 0;
    return out;
  }
}

export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

const scratch = new Scratch();
const bytesOf = (text: string) => Buffer.from(text);

/**
 * A series' escaped label text (`a="x",b="y"`, no braces) as bytes, by its label array and the
 * names it was made with (two log families share one label array, with the same names).
 */
const labelBytes = new WeakMap<readonly string[], { names: readonly string[]; bytes: Buffer }>();

function labelsOf(names: readonly string[], s: Series, escapeValue: Escape): Buffer {
  const cached = labelBytes.get(s.labels);
  if (cached && cached.names === names) return cached.bytes;
  const bytes = bytesOf(names.map((k, i) => `${k}="${escapeValue(s.labels[i] ?? '')}"`).join(','));
  labelBytes.set(s.labels, { names, bytes });
  return bytes;
}

/**
 * A family's fixed pieces of its lines: `name{` and `name ` (bare: no labels) for each sample
 * name, and each bucket's or quantile's `le="b"} ` / `quantile="q"} ` (with the comma before it
 * when the series has labels).
 */
interface Pieces {
  open: Buffer;
  bare: Buffer;
  close: Buffer;
  sumOpen: Buffer;
  sumBare: Buffer;
  countOpen: Buffer;
  countBare: Buffer;
  /** Buckets (`name_bucket{`) or quantiles (`name{`). */
  partOpen: Buffer;
  parts: Buffer[];
  partsAfterLabels: Buffer[];
}

function piecesOf(family: FamilySnapshot): Pieces {
  const { name } = family;
  const histogram = family.kind === 'histogram';
  const parts = histogram
    ? [...(family.bounds ?? []), '+Inf'].map((b) => `le="${b}"} `)
    : (family.targets ?? []).map((t) => `quantile="${t.quantile}"} `);
  return {
    open: bytesOf(`${name}{`),
    bare: bytesOf(`${name} `),
    close: bytesOf('} '),
    sumOpen: bytesOf(`${name}_sum{`),
    sumBare: bytesOf(`${name}_sum `),
    countOpen: bytesOf(`${name}_count{`),
    countBare: bytesOf(`${name}_count `),
    partOpen: bytesOf(histogram ? `${name}_bucket{` : `${name}{`),
    parts: parts.map(bytesOf),
    partsAfterLabels: parts.map((p) => bytesOf(`,${p}`)),
  };
}

/** One line: `open` + labels + `}` (or `bare` when there are none), the value. */
function line(open: Buffer, bare: Buffer, close: Buffer, labels: Buffer, value: number): void {
  if (labels.length === 0) scratch.bytes(bare);
  else {
    scratch.bytes(open);
    scratch.bytes(labels);
    scratch.bytes(close);
  }
  scratch.value(value);
}

/** A chunk of a family's series as sample lines, each ending in a newline. */
export function seriesLines(family: FamilySnapshot, series: readonly Series[], escapeValue: Escape): Buffer {
  const p = piecesOf(family);
  for (const s of series) {
    const labels = labelsOf(s.names ?? family.labelNames, s, escapeValue);
    if ('value' in s) {
      line(p.open, p.bare, p.close, labels, s.value);
      continue;
    }
    const parts = labels.length === 0 ? p.parts : p.partsAfterLabels;
    if ('buckets' in s) {
      let cumulative = 0;
      for (let i = 0; i < s.buckets.length; i++) {
        cumulative += s.buckets[i] as number;
        part(p.partOpen, labels, parts[i] as Buffer, cumulative);
      }
    } else {
      for (let i = 0; i < s.quantiles.length; i++) {
        part(p.partOpen, labels, parts[i] as Buffer, s.quantiles[i] ?? Number.NaN);
      }
    }
    line(p.sumOpen, p.sumBare, p.close, labels, s.sum);
    line(p.countOpen, p.countBare, p.close, labels, s.count);
  }
  return scratch.take();
}

/** A bucket's or quantile's line: `name_bucket{` + labels + `,le="b"} ` + value. */
function part(open: Buffer, labels: Buffer, suffix: Buffer, value: number): void {
  scratch.bytes(open);
  scratch.bytes(labels);
  scratch.bytes(suffix);
  scratch.value(value);
}
