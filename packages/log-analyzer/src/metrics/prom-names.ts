// Prometheus' rules for names, shared by every decoder (JSON push, remote-write, StatsD, the
// checkpoint's load, scraped text): the patterns, the lengths no sane sender needs, and the
// bounded memo of names already found valid. Pure.

/**
 * Lengths no sane sender needs, and that keep /metrics and the checkpoint small: without them one
 * request with a 900 KB name, a 900 KB help and 30 label names of 30 KB grew /metrics by 1.5 MB.
 * Names and label names are ASCII (their patterns), so characters are bytes.
 */
export const MAX_NAME_BYTES = 256;
export const MAX_HELP_BYTES = 1024;
export const MAX_LABEL_NAME_BYTES = 128;

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** UTF-8 bytes of `text` above `max` (a UTF-16 unit is at most 3 bytes: most texts need no count). */
export const longerThan = (text: string, max: number) => text.length > max / 3 && Buffer.byteLength(text) > max;

/** Adds a name found valid to a memo of them, emptied at 10,000 (senders repeat the same few). */
export function remember(set: Set<string>, name: string): void {
  if (set.size >= 10_000) set.clear();
  set.add(name);
}
