/** Pub/sub: messages/s through a component versus a plain ioredis subscriber. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../src/redis/url.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { startChild } from './lib/processes.js';
import { report, secondsUntil } from './lib/report-client.js';
import { ratioAtLeast, ratioRow, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const MESSAGES = 100_000;

/** Log lines that say messages were lost, and what the row says instead of a rate. */
const LOSSES: Array<[RegExp, string]> = [
  [/Redis dropped the pub\/sub connection/, 'no rate: Redis disconnected the subscriber for falling behind (client-output-buffer-limit pubsub), so messages were lost'],
  [/component cannot keep up: dropping messages/, 'no rate: the component fell behind and Spindle dropped messages past its buffer'],
];

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
`,
  );
  const app = startChild([join(ctx.distBench, 'servers', 'spindle-app.js'), manifest, ctx.redisUrl], { SPINDLE_CACHE_DIR: ctx.cacheDir });
  await app.waitFor(/ready/);
  const start = await publishAll(ctx.redisUrl, 'spindle');
  const name = 'Spindle, WAT component';
  // A rate means nothing once messages were lost: Redis closes a subscriber that falls behind
  // its client-output-buffer-limit pubsub, and Spindle drops what is past a component's buffer.
  const lost = () => LOSSES.find(([pattern]) => pattern.test(app.output()))?.[1];
  let seconds: number | undefined;
  let lossReason: string | undefined;
  for (;;) {
    const r = await report<{ handled: number; failed: number }>(app.child);
    if (r.handled + r.failed >= MESSAGES) {
      seconds = (performance.now() - start) / 1000;
      break;
    }
    lossReason = lost();
    if (lossReason) break;
    if (performance.now() - start > 120_000) throw new Error(`pub/sub: ${r.handled + r.failed} of ${MESSAGES} messages handled in 120 s, none reported lost`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const { failed } = await report<{ failed: number }>(app.child);
  await app.stop();
  if (seconds === undefined) return [baseline, { group: 'pub/sub', name, value: Number.NaN, unit: 'msgs/s', missing: lossReason!, target: ratioAtLeast(0.5, '≥ 0.5× ioredis') }];
  const row = ratioRow({ group: 'pub/sub', name, value: MESSAGES / seconds, unit: 'msgs/s', ...(failed ? { detail: `${failed} failed` } : {}) }, baseline);
  row.target = ratioAtLeast(0.5, '≥ 0.5× ioredis');
  return [baseline, row];
}
