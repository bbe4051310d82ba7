#!/usr/bin/env node
import { statSync } from 'node:fs';

// `npm run build` also bundles the command line (scripts/bundle-cli.mjs), which starts faster; a
// bundle older than the compiled sources (tsc has run since) is stale and left alone.
const modified = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const entry = modified('../dist/bundle/cli.js') >= modified('../dist/src/cli.js') ? '../dist/bundle/cli.js' : '../dist/src/cli.js';
const { main } = await import(entry);

process.exitCode = await main(process.argv.slice(2));
// A command returns once its work is done and what it opened is closed or given up on; a
// connection still retrying (Redis gone at shutdown) must not keep the process alive after it.
setTimeout(() => process.exit(), 500).unref();
