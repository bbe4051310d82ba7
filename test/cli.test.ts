/** `spindle publish`, `enqueue` and `jobs` against a private Redis, as a user types them. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GiveUpError, type Broker, type Message } from '../src/brokers/broker.js';
import { createRedisBroker } from '../src/brokers/redis.js';
import { failing, spindle } from './support/cli.js';
import { collectingLogger, waitFor } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

describe('spindle publish, enqueue and jobs', () => {
  let redis: TestRedis;
  let broker: Broker;
  before(async () => {
    redis = await startRedis();
    broker = createRedisBroker({ url: redis.url, logger: collectingLogger([]) });
  });
  after(async () => {
    await broker.close();
    await redis.stop();
  });

  it('publishes a message subscribers receive', async () => {
    const seen: Message[] = [];
    const sub = await broker.subscribe({ channel: 'news' }, async (m) => void seen.push(m));
    const { stdout } = await spindle('publish', 'news', 'hello there', '--redis', redis.url);
    assert.equal(stdout.trim(), 'published 11 bytes on "news"');
    await waitFor(() => seen.length === 1);
    assert.equal(new TextDecoder().decode(seen[0]!.data), 'hello there');
    await sub.stop();
  });

  it('enqueues a job with the retry policy its queue declared, and shows counts and failed jobs', async () => {
    await broker.declareQueue('orders', { attempts: 2, backoff: { type: 'fixed', delay: 10 } }, 'shop');
    const { stdout, stderr } = await spindle('enqueue', 'orders', '{"id":7}', '--job-id', 'order-7', '--strict', '--redis', redis.url);
    assert.equal(stdout.trim(), 'enqueued job order-7 on "orders"');
    assert.equal(stderr, '', 'a declared queue needs no warning');
    assert.match((await spindle('jobs', 'orders', '--redis', redis.url)).stdout, /^queue "orders": 1 waiting, 0 active, 0 delayed, 0 completed, 0 failed$/m);

    const attempts: number[] = [];
    const consumer = await broker.consume('orders', { concurrency: 1, policy: { attempts: 2, backoff: { type: 'fixed', delay: 10 } }, keepCompleted: 10, keepFailed: 10 }, async (job) => {
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('warehouse offline');
      throw new GiveUpError('order 7 has no items');
    });
    await waitFor(async () => (await broker.jobCounts('orders')).failed === 1, 10_000);
    await consumer.stop();
    assert.deepEqual(attempts, [1, 2], 'the queue declared two attempts');
    const jobs = (await spindle('jobs', 'orders', '--redis', redis.url)).stdout;
    assert.match(jobs, /0 waiting, 0 active, 0 delayed, 0 completed, 1 failed/);
    assert.match(jobs, /order-7 +\S+ +after 2 attempt\(s\): order 7 has no items/);
  });

  it('warns when no app has declared the queue, and with --strict refuses without enqueuing', async () => {
    const warned = await spindle('enqueue', 'typo-queue', '{}', '--redis', redis.url);
    assert.match(warned.stdout, /^enqueued job \S+ on "typo-queue"$/m);
    assert.equal(
      warned.stderr.trim(),
      `spindle enqueue: warning: no app on ${redis.url} has declared queue "typo-queue" (no [[trigger.queue]] for it has started there); the job waits until one does (--strict refuses instead)`,
    );
    assert.equal((await broker.jobCounts('typo-queue')).waiting, 1);

    const refused = await failing('enqueue', 'other-typo', '{}', '--strict', '--redis', redis.url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^spindle enqueue: no app on \S+ has declared queue "other-typo" .*; nothing enqueued \(--strict\)$/m);
    assert.equal(refused.stdout, '');
    assert.equal((await broker.jobCounts('other-typo')).waiting, 0);
  });

  it('refuses job data that is not JSON, and a missing argument, with usage errors', async () => {
    const notJson = await failing('enqueue', 'orders', 'not json', '--redis', redis.url);
    assert.equal(notJson.code, 2);
    assert.match(notJson.stderr, /spindle enqueue: the job data is not JSON/);
    const missing = await failing('jobs');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /spindle jobs: missing <queue>/);
  });
});
