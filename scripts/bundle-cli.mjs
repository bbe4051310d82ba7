// Run by `npm run build` after tsc: bundles the command line's main thread (dist/src/cli.js and
// what it imports, dynamic imports as chunks loaded when reached) into dist/bundle/, and the
// entries of its worker threads beside it (chunks shared). Node 20 has
// no compile cache for ES modules, and resolving, reading and linking the ~200 modules behind
// `spindle up` one by one took about twice as long as loading them as a few files.
// bin/spindle.js uses the bundle only while it is newer than dist/src/cli.js, which every tsc
// run rewrites; src/util/thread-entry.ts does the same for each thread's entry.
//
// Packages loaded only on some paths (Redis, BullMQ, tracing, metrics, SQLite, jco) and worker
// code stay outside. `import.meta.url` in a bundled module is rewritten to its own file's URL,
// so the paths it resolves (the worker's entry, the WIT and template folders) stay right.
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');

const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/].*\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const own = `new URL(${JSON.stringify(relative(outdir, path).split('\\').join('/'))}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

// Chunk names carry content hashes: a build leaves the previous build's chunks behind.
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: join(root, 'dist', 'src', 'cli.js'),
    // Each worker thread's entry (src/util/thread-entry.ts picks these while they are fresh).
    'executor-worker': join(root, 'dist', 'src', 'executor', 'worker', 'main.js'),
    'services-thread': join(root, 'dist', 'src', 'capabilities', 'services-thread-main.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Bundled CommonJS packages (pino) call require.
  banner: { js: "import { createRequire as __spindleRequire } from 'node:module'; const require = __spindleRequire(import.meta.url);" },
  external: ['@bytecodealliance/*', '@opentelemetry/*', 'better-sqlite3', 'bullmq', 'esbuild', 'ioredis', 'prom-client'],
  plugins: [ownUrl],
  logLevel: 'warning',
});
