#!/usr/bin/env node
process.stderr.write('noise-maker: not built yet (see issue 4)\n');
process.exit(1);
