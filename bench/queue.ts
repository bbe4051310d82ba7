/** Queue: jobs/s through a component versus a plain BullMQ Worker, same work and concurrency. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { redisOptionsFromUrl } from '../src/redis/url.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { startChild } from './lib/processes.js';
import { report, secondsUntil } from './lib/report-client.js';
import { ratioAtLeast, ratioRow, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const JOBS = 20_000;
const CONCURRENCY = 50;

async function addJobs(url: string, queue: string): Promise<number> {
  // BullMQ's default prefix, where Spindle keeps an app's queues too.
  const q = new Queue(queue, { connection: redisOptionsFromUrl(url) as never });
  const started = performance.now();
  for (let i = 0; i < JOBS; i += 1_000) {
    await q.addBulk(Array.from({ length: 1_000 }, (_, j) => ({ name: 'job', data: { n: i + j }, opts: { removeOnComplete: 1_000 } })));
  }
  await q.close();
  return started;
}

export async function benchQueue(ctx: BenchContext): Promise<Row[]> {
  ctx.progress(`queue: plain BullMQ Worker, ${JOBS} jobs, concurrency ${CONCURRENCY}`);
  const plain = startChild([join(ctx.distBench, 'servers', 'plain-bullmq.js'), ctx.redisUrl, 'plain', String(CONCURRENCY)]);
  await plain.waitFor(/ready/);
  const plainStart = await addJobs(ctx.redisUrl, 'plain');
  const plainSeconds = await secondsUntil(async () => (await report<{ processed: number }>(plain.child)).processed, JOBS, plainStart);
  await plain.stop();
  const baseline: Row = { group: 'queue', name: `plain BullMQ Worker (concurrency ${CONCURRENCY})`, value: JOBS / plainSeconds, unit: 'jobs/s' };

  ctx.progress(`queue: Spindle, WAT component, ${JOBS} jobs, concurrency ${CONCURRENCY}`);
  await writeWatComponent(ctx.dir, 'echo');
  const manifest = join(ctx.dir, 'queue.toml');
  await writeFile(
    manifest,
    `spindle_manifest_version = 1
[application]
name = "bench-queue"
[[trigger.queue]]
queue = "spindle"
component = "echo"
concurrency = ${CONCURRENCY}
attempts = 1
[component.echo]
source = "echo.wasm"
max_concurrency = 1000
`,
  );
  const app = startChild([join(ctx.distBench, 'servers', 'spindle-app.js'), manifest, ctx.redisUrl], { SPINDLE_CACHE_DIR: ctx.cacheDir });
  await app.waitFor(/ready/);
  const start = await addJobs(ctx.redisUrl, 'spindle');
  const seconds = await secondsUntil(async () => (await report<{ handled: number }>(app.child)).handled, JOBS, start);
  await app.stop();
  const row = ratioRow({ group: 'queue', name: `Spindle, WAT component (concurrency ${CONCURRENCY})`, value: JOBS / seconds, unit: 'jobs/s' }, baseline);
  row.target = ratioAtLeast(0.9, '≥ 0.9× BullMQ');
  return [baseline, row];
}
