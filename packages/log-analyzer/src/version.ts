// The package version, for --version, build_info and /api/status.
// Both src/ and dist/ sit one level below the package root, so the same relative path works.

import { readFileSync } from 'node:fs';

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
