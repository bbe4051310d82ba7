/**
 * Redis misbehaving under a running redis-mode app: killed and back empty, killed under queue
 * load and back from its append-only file, flushed, and dropping a subscriber that falls
 * behind. Each test has a private redis-server, so a crash harms nothing else.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Broker } from '../../src/brokers/broker.js';
import { createRedisBroker } from '../../src/brokers/redis.js';
import { collectingLogger, result, startTestApp, waitFor, type TestApp, type TestAppOptions } from '../support/harness.js';
import { startRedis, type StartRedisOptions, type TestRedis } from '../support/redis-server.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const attr = (attributes: Array<[string, string]>, name: string) => attributes.find(([n]) => n === name)?.[1];

/**
 * A private Redis (started with `args`) and an app in redis mode on it, for the enclosing
 * suite: started before its tests, stopped after, with a fresh producer as `spindle enqueue` is.
 */
function appOnRedis(app: Omit<TestAppOptions, 'redis'>, args: string[] = [], options: StartRedisOptions = {}) {
  const suite = {} as { redis: TestRedis; t: TestApp; producer: Broker };
  before(async () => {
    suite.redis = await startRedis(args, options);
    suite.t = await startTestApp({ ...app, redis: suite.redis.url });
    suite.producer = createRedisBroker({ url: suite.redis.url, logger: collectingLogger([]) });
  });
  after(
    async () => {
      await suite.producer.close();
      await suite.t.stop();
      await suite.redis.stop();
    },
    { timeout: 30_000 },
  );
  return suite;
}

describe('Redis restarting empty under a running app', () => {
  const suite = appOnRedis(
    {
      manifest: `
spindle_manifest_version = 1
[application]
name = "forgetful"
[runtime]
drain_timeout = "1s"
[[trigger.cron]]
schedule = "* * * * * *"
component = "ticker"
[[trigger.queue]]
queue = "flaky"
component = "failing"
attempts = 3
backoff = { type = "fixed", delay = "50ms" }
[component.ticker]
source = "hello.wasm"
[component.failing]
source = "retry.wasm"
`,
      wat: ['hello', 'retry'],
    },
    [],
    { persistence: false },
  );

  it('fires cron again and gives new jobs their declared retry policy', async () => {
    const { redis, t, producer } = suite;
    const ticks = () => t.events.filter((e) => e.component === 'ticker' && result(e) === 'ok');
    await waitFor(() => ticks().length >= 1, 5_000, 'a tick before the crash');
    await redis.crash(300);
    const restarted = Date.now();

    await waitFor(() => ticks().some((e) => Date.parse(e.event.time!) > restarted), 10_000, 'a tick scheduled after Redis came back empty');

    // The producer declared nothing: it finds the policy in Redis or not at all.
    const raw = new Redis(redis.url);
    await waitFor(async () => (await raw.exists('spindle:policy:flaky')) === 1, 5_000, 'the queue policy back in Redis');
    await raw.quit();
    const id = await producer.enqueue('flaky', bytes('{}'));
    await waitFor(async () => (await producer.jobCounts('flaky')).failed === 1, 10_000, 'the job to fail after its attempts');
    const tries = t.events.filter((e) => e.component === 'failing' && e.event.subject === id);
    assert.deepEqual(tries.map((e) => attr(e.event.attributes, 'queue.attempt')), ['1', '2', '3']);
    assert.ok(tries.every((e) => attr(e.event.attributes, 'queue.attempts') === '3'));
    const queue = new Queue('flaky', { connection: { host: '127.0.0.1', port: redis.port } });
    const job = await queue.getJob(id);
    await queue.close();
    assert.deepEqual(job?.opts.backoff, { type: 'fixed', delay: 50 });
  });
});

describe('Redis flushed under a running broker', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis.stop());

  it('declares its queue policies and schedules again on its periodic check', async () => {
    const broker = createRedisBroker({ url: redis.url, logger: collectingLogger([]), declarationCheckMs: 200 });
    const raw = new Redis(redis.url);
    const ticks: Date[] = [];
    try {
      await broker.declareQueue('orders', { attempts: 4, backoff: { type: 'fixed', delay: 10 } }, 'shop');
      const schedule = await broker.schedule({ id: 'shop.reporter.0', cron: '* * * * * *' }, async ({ scheduledAt }) => void ticks.push(scheduledAt));
      await waitFor(() => ticks.length >= 1, 5_000, 'a tick before the flush');
      // FLUSHALL keeps the connections open: only the periodic check can notice.
      await raw.flushall();
      const flushed = Date.now();
      await waitFor(() => ticks.some((t) => t.getTime() > flushed), 5_000, 'a tick after the flush');
      const record = await waitFor(() => raw.get('spindle:policy:orders'), 5_000, 'the policy back in Redis');
      assert.deepEqual(JSON.parse(record), { attempts: 4, backoff: { type: 'fixed', delay: 10 }, apps: ['shop'] });
      await schedule.stop(1_000);
    } finally {
      await raw.quit();
      await broker.close();
    }
  });
});

describe('a pub/sub subscriber that falls behind', () => {
  const suite = appOnRedis(
    {
      manifest: `
spindle_manifest_version = 1
[application]
name = "slow-listener"
[runtime]
drain_timeout = "1s"
[[trigger.redis]]
channel = "flood"
component = "slow"
[[trigger.redis]]
pattern = "flood.*"
component = "slow"
[component.slow]
source = "spin.wasm"
max_concurrency = 2
`,
      wat: ['spin'],
      workers: 1,
    },
    // Redis closes a subscriber at once when more than 64 KiB wait in its output buffer.
    ['--client-output-buffer-limit', 'pubsub 64kb 32kb 1'],
  );

  it('says so when Redis drops it, counts the drops, and hears messages again after', async () => {
    const { redis, t } = suite;
    // Each message keeps the slow component busy for 5 ms (the digits are its milliseconds).
    const message = '0'.repeat(8 * 1024 - 1) + '5';
    // The app runs in this process, so while redis-cli publishes 16 MB from its own, nothing here
    // reads the subscriber's socket: it falls behind for certain, however fast it would read.
    const flood = spawnSync('redis-cli', ['-p', String(redis.port), '-r', '2000', 'publish', 'flood', message], { encoding: 'utf8' });
    assert.equal(flood.status, 0, `redis-cli failed: ${flood.error?.message ?? flood.stderr}`);
    await waitFor(() => t.app.broker.subscriberDrops() >= 1, 10_000, 'Redis to drop the subscriber');

    const warning = t.logs.find((l) => l.level === 40 && l.disconnects !== undefined);
    assert.deepEqual([warning?.channels, warning?.patterns, warning?.disconnects], [['flood'], ['flood.*'], 1]);
    assert.match(String(warning?.msg), /client-output-buffer-limit pubsub/);

    const publisher = new Redis(redis.url);
    try {
      const heard = () => t.events.some((e) => e.event.subject === 'flood.after' && result(e) === 'ok');
      await waitFor(
        async () => {
          await publisher.publish('flood.after', '1');
          return heard();
        },
        15_000,
        'a message after the drop',
      );
    } finally {
      publisher.disconnect();
    }
  });
});

describe('Redis killed under queue load', () => {
  const CONCURRENCY = 8;
  const suite = appOnRedis({
    manifest: `
spindle_manifest_version = 1
[application]
name = "steady"
[runtime]
drain_timeout = "1s"
[[trigger.queue]]
queue = "work"
component = "worker"
concurrency = ${CONCURRENCY}
lock_duration = "1s"
keep_completed = 10000
[component.worker]
source = "spin.wasm"
`,
    wat: ['spin'],
  });

  it('loses no job when Redis is killed mid-load and comes back from its append-only file', async (ctx) => {
    const { redis, t, producer } = suite;
    const total = 400;
    const ids = Array.from({ length: total }, (_, i) => `job-${i}`);
    let enqueueRetries = 0;
    // A producer that is told "failed" tries again; the job id makes a retry that did land harmless.
    const enqueue = async (id: string) => {
      for (;;) {
        try {
          return await producer.enqueue('work', bytes('3'), { jobId: id });
        } catch {
          enqueueRetries++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const handled = () => t.events.filter((e) => e.component === 'worker' && result(e) === 'ok');

    for (const id of ids.slice(0, total / 2)) await enqueue(id);
    await waitFor(() => handled().length >= 50, 10_000, '50 jobs handled');
    const rest = (async () => {
      for (const id of ids.slice(total / 2)) await enqueue(id);
    })();
    await redis.crash(1_000);
    await rest;

    await waitFor(async () => {
      const c = await producer.jobCounts('work');
      return c.completed + c.failed === total;
    }, 20_000, 'every job to finish');
    const counts = await producer.jobCounts('work');
    const runs = new Map<string, number>();
    for (const e of handled()) runs.set(e.event.subject!, (runs.get(e.event.subject!) ?? 0) + 1);
    const twice = [...runs.values()].filter((n) => n > 1).length;
    ctx.diagnostic(`${total} enqueued (${enqueueRetries} enqueue retries), ${counts.completed} completed, ${counts.failed} failed, ${twice} handled more than once`);

    assert.deepEqual([counts.completed, counts.failed], [total, 0]);
    assert.deepEqual(new Set((await producer.completedJobs('work', total)).map((j) => j.id)), new Set(ids));
    assert.deepEqual([...runs.keys()].sort(), [...ids].sort(), 'the component handled every job');
    // At least once: only jobs in flight when Redis died may run again.
    assert.ok(twice <= CONCURRENCY, `${twice} jobs handled more than once`);
  });
});
