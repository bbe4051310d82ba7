/**
 * `npm run bench`: every benchmark side by side with its plain-Node baseline in the same run,
 * printed as a markdown table and written to docs/BENCHMARKS.md with the machine it ran on.
 * Every group runs three times (`--runs N` changes it) and each row reports the median figure
 * and ratio with their range: one run on a shared machine says little.
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
import { loadGenerator } from './lib/load.js';
import { foldRuns, toMarkdown, type Row } from './lib/report.js';
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

const args = process.argv.slice(2);
const only = args.filter((a) => a in SUITES) as Array<keyof typeof SUITES>;
const runsArg = args.indexOf('--runs');
const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number of runs, at least 1 (got "${args[runsArg + 1]}")`);
const unknown = args.filter((a, i) => !(a in SUITES) && a !== '--runs' && !(runsArg >= 0 && i === runsArg + 1));
if (unknown.length > 0) throw new Error(`unknown benchmark group(s): ${unknown.join(', ')}; the groups are ${Object.keys(SUITES).join(', ')}`);
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

const perRun: Row[][] = [];
const started = Date.now();
progress(`HTTP load by ${loadGenerator}${loadGenerator === 'wrk' ? ', in its own process' : ' inside this process (install wrk for a load generator that is not the ceiling)'}`);
try {
  for (let run = 1; run <= runs; run++) {
    if (runs > 1) progress(`run ${run} of ${runs}`);
    const rows: Row[] = [];
    for (const name of only.length ? only : (Object.keys(SUITES) as Array<keyof typeof SUITES>)) rows.push(...(await SUITES[name](ctx)));
    perRun.push(rows);
  }
} finally {
  await redis.stop();
  await rm(dir, { recursive: true, force: true });
}

const table = toMarkdown(foldRuns(perRun));
console.log(table);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Node ${process.version}, ${process.platform}`;
if (only.length === 0) {
  const block = `${BEGIN}
The latest full run of \`npm run bench\` (${runs} runs, ${Math.round((Date.now() - started) / 1000)} s), on ${machine},
${new Date().toISOString().slice(0, 10)}. Each figure and ratio is the median of the runs, with the range in brackets.

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
