#!/usr/bin/env node
import { main } from '../dist/src/cli.js';

process.exitCode = await main(process.argv.slice(2));
// A command returns once its work is done and what it opened is closed or given up on; a
// connection still retrying (Redis gone at shutdown) must not keep the process alive after it.
setTimeout(() => process.exit(), 500).unref();
