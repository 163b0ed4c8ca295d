// Regenerates test/fixtures/*.prom from the code. Review the diff by hand against the parsing
// rules before committing: a golden file is only as good as that review.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, fixtureNames, scanFixture } from '../test/golden.js';

for (const name of fixtureNames()) {
  writeFileSync(join(FIXTURES, `${name}.prom`), await scanFixture(name));
  console.log(`wrote ${name}.prom`);
}
