/**
 * `npm run bench`: every benchmark side by side with its plain-Node baseline in the same run,
 * printed as a markdown table and written to docs/BENCHMARKS.md with the machine it ran on.
 * Needs `redis-server` on the PATH; starts its own on a free port.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import { startRedis } from '../test/support/redis-server.js';
import type { BenchContext } from './context.js';
import { benchCapabilities } from './capabilities.js';
import { benchComposition } from './composition.js';
import { benchCron } from './cron.js';
import { benchHttp } from './http.js';
import { benchInstances } from './instances.js';
import { benchObservability } from './observability.js';
import { benchPubSub } from './pubsub.js';
import { benchQueue } from './queue.js';
import { toMarkdown, type Row } from './lib/report.js';
import { benchStartup } from './startup.js';

const SUITES = {
  http: benchHttp,
  instances: benchInstances,
  queue: benchQueue,
  pubsub: benchPubSub,
  cron: benchCron,
  capabilities: benchCapabilities,
  observability: benchObservability,
  composition: benchComposition,
  startup: benchStartup,
};
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A full run rewrites what stands between these markers in docs/BENCHMARKS.md, nothing else. */
const BEGIN = '<!-- bench:table:begin -->';
const END = '<!-- bench:table:end -->';

const only = process.argv.slice(2).filter((a) => a in SUITES) as Array<keyof typeof SUITES>;
const progress = (line: string) => console.error(`[bench] ${line}`);

const appDir = join(ROOT, 'bench', 'app');
progress('building the benchmark components (skipped when up to date)');
await buildComponents(await loadManifest(join(appDir, 'spindle.toml'), { checkSources: false }), { progress });

const redis = await startRedis();
const dir = await mkdtemp(join(tmpdir(), 'spindle-bench-'));
const ctx: BenchContext = {
  root: ROOT,
  dir,
  appDir,
  distBench: join(ROOT, 'dist', 'bench'),
  cacheDir: join(dir, 'cache'),
  redisUrl: redis.url,
  load: { connections: 50, seconds: 5, warmupSeconds: 1 },
  progress,
};

const rows: Row[] = [];
const started = Date.now();
try {
  for (const name of only.length ? only : (Object.keys(SUITES) as Array<keyof typeof SUITES>)) rows.push(...(await SUITES[name](ctx)));
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}

const table = toMarkdown(rows);
console.log(table);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, ${process.platform}`;
if (only.length === 0) {
  const block = `${BEGIN}
The latest full run of \`npm run bench\` (${Math.round((Date.now() - started) / 1000)} s), on ${machine},
${new Date().toISOString().slice(0, 10)}.

${table}
${END}`;
  const file = join(ROOT, 'docs', 'BENCHMARKS.md');
  const current = await readFile(file, 'utf8').catch(() => `# Benchmarks\n\n${BEGIN}\n${END}\n`);
  const [before, rest] = current.split(BEGIN);
  const after = rest?.split(END)[1];
  if (before === undefined || after === undefined) throw new Error(`${file} lost its ${BEGIN} … ${END} markers`);
  await writeFile(file, `${before}${block}${after}`);
  progress('updated the table in docs/BENCHMARKS.md');
}
// Clients the suites opened (BullMQ, ioredis, autocannon) may keep timers alive; the run is over.
process.exit(0);
