#!/usr/bin/env node
// Installed entry point: the compiled CLI (built by `pnpm install` at the workspace root).
import '../dist/cli.js';
