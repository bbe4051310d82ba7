/** Pub/sub: messages/s through a component versus a plain ioredis subscriber. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../src/redis/url.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { startChild } from './lib/processes.js';
import { report, secondsUntil } from './lib/report-client.js';
import { ratioRow, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const MESSAGES = 100_000;

async function publishAll(url: string, channel: string): Promise<number> {
  const pub = new Redis(redisOptionsFromUrl(url));
  const payload = Buffer.from('hello world');
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i += 1_000) {
    const pipeline = pub.pipeline();
    for (let j = 0; j < 1_000; j++) pipeline.publish(channel, payload);
    await pipeline.exec();
  }
  pub.disconnect();
  return started;
}

export async function benchPubSub(ctx: BenchContext): Promise<Row[]> {
  ctx.progress(`pub/sub: plain ioredis subscriber, ${MESSAGES} messages`);
  const plain = startChild([join(ctx.distBench, 'servers', 'plain-subscriber.js'), ctx.redisUrl, 'plain']);
  await plain.waitFor(/ready/);
  const plainStart = await publishAll(ctx.redisUrl, 'plain');
  const plainSeconds = await secondsUntil(async () => (await report<{ received: number }>(plain.child)).received, MESSAGES, plainStart, 60_000);
  await plain.stop();
  const baseline: Row = { group: 'pub/sub', name: 'plain ioredis subscriber', value: MESSAGES / plainSeconds, unit: 'msgs/s' };

  ctx.progress(`pub/sub: Spindle, WAT component, ${MESSAGES} messages`);
  await writeWatComponent(ctx.dir, 'hello');
  const manifest = join(ctx.dir, 'pubsub.toml');
  await writeFile(
    manifest,
    `spindle_manifest_version = 1
[application]
name = "bench-pubsub"
[[trigger.redis]]
channel = "spindle"
component = "hello"
[component.hello]
source = "hello.wasm"
max_concurrency = 100000
`,
  );
  const app = startChild([join(ctx.distBench, 'servers', 'spindle-app.js'), manifest, ctx.redisUrl], { SPINDLE_CACHE_DIR: ctx.cacheDir });
  await app.waitFor(/ready/);
  const start = await publishAll(ctx.redisUrl, 'spindle');
  const counted = async () => {
    const r = await report<{ handled: number; failed: number }>(app.child);
    return r.handled + r.failed;
  };
  const seconds = await secondsUntil(counted, MESSAGES, start, 120_000);
  const { failed } = await report<{ failed: number }>(app.child);
  await app.stop();
  const row = ratioRow(
    { group: 'pub/sub', name: 'Spindle, WAT component', value: MESSAGES / seconds, unit: 'msgs/s', ...(failed ? { detail: `${failed} failed` } : {}) },
    baseline,
  );
  row.target = { text: '≥ 0.7× ioredis', met: row.ratio!.value >= 0.7 };
  return [baseline, row];
}
