/**
 * Spindle's queues where the BullMQ ecosystem looks for them: a plain producer with BullMQ's
 * defaults feeds a Spindle app, while Spindle's own keys stay under `spindle:`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestApp, waitFor, type TestApp } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const manifest = (runtime: string) => `
spindle_manifest_version = 1
[application]
name = "interop"
[runtime]
${runtime}
[[trigger.queue]]
queue = "greetings"
component = "echo"
attempts = 2
[[trigger.cron]]
schedule = "0 0 1 1 *"
component = "echo"
[component.echo]
source = "echo.wasm"
`;

describe('queues the BullMQ ecosystem sees', () => {
  let redis: TestRedis;
  let raw: Redis;
  before(async () => {
    redis = await startRedis();
    raw = new Redis(redis.port, '127.0.0.1');
  });
  after(async () => {
    await raw?.quit();
    await redis?.stop();
  });

  const connection = () => ({ host: '127.0.0.1', port: redis.port });

  async function completes(queue: Queue): Promise<void> {
    const job = await queue.add('greet', { name: 'Ada' });
    const state = await waitFor(async () => {
      const s = await queue.getJobState(job.id!);
      return s === 'completed' || s === 'failed' ? s : undefined;
    }, 10_000, `job ${job.id} to finish`);
    assert.equal(state, 'completed');
    const done = await queue.getJob(job.id!);
    assert.deepEqual(done?.returnvalue, { name: 'Ada' }, 'the echo component answered with the job data');
  }

  it('completes a job a plain BullMQ Queue with default options enqueued; Spindle\'s own keys keep spindle:', async () => {
    let t: TestApp | undefined;
    const queue = new Queue('greetings', { connection: connection() });
    try {
      t = await startTestApp({ manifest: manifest(''), wat: ['echo'], workers: 1, redis: redis.url });
      await completes(queue);
      assert.ok((await raw.keys('bull:greetings:*')).length > 0);
      assert.deepEqual(await raw.keys('spindle:greetings:*'), []);
      assert.equal(await raw.exists('spindle:policy:greetings'), 1, 'the retry policy is Spindle\'s own key');
      assert.ok((await raw.keys('spindle:cron-*')).length > 0, 'the schedule\'s queue is Spindle\'s own');
      assert.deepEqual(await raw.keys('bull:cron-*'), [], 'dashboards list the app\'s queues, not its schedules');
    } finally {
      await queue.close();
      await t?.stop();
    }
  });

  it('puts queues under runtime.queue_prefix when the manifest names one', async () => {
    let t: TestApp | undefined;
    const queue = new Queue('greetings', { connection: connection(), prefix: '{jobs}' });
    try {
      t = await startTestApp({ manifest: manifest('queue_prefix = "{jobs}"\nmode = "redis"'), wat: ['echo'], workers: 1, redis: redis.url });
      await completes(queue);
      assert.equal(await raw.exists('spindle:policy:{jobs}:greetings'), 1);
      assert.equal((await t.app.broker.jobCounts('greetings')).completed, 1, 'the broker counts the prefixed queue');
    } finally {
      await queue.close();
      await t?.stop();
    }
  });
});
