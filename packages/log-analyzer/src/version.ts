// The package version and commit, for --version, build_info, /health and /api/status.
// Both src/ and dist/ sit one level below the package root, so the same relative path works.

import { readFileSync } from 'node:fs';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/**
 * The commit this build is from: $LOG_ANALYZER_COMMIT (set by image builds), else the repository's
 * HEAD when running from a checkout, else "unknown".
 */
export const COMMIT: string = process.env.LOG_ANALYZER_COMMIT || headCommit() || 'unknown';

function headCommit(): string | null {
  try {
    const git = new URL('../../../.git/', import.meta.url);
    const head = readFileSync(new URL('HEAD', git), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    return readFileSync(new URL(head.slice(5), git), 'utf8')
      .trim()
      .slice(0, 12);
  } catch {
    return null;
  }
}
