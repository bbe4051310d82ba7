/**
 * Acting on failed work from the command line, against a running app on a private Redis: a
 * job that failed for good comes back with `spindle jobs ... retry` once the component is fixed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { attribute } from '../src/event.js';
import { failing, spindle } from './support/cli.js';
import { result, startTestApp, waitFor, type TestApp } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

/** The app as deployed with `component`'s code behind the queue: first broken, then fixed. */
const manifest = (wasm: string) => `
spindle_manifest_version = 1
[application]
name = "orders"
[[trigger.queue]]
queue = "orders"
component = "worker"
attempts = 2
backoff = { type = "fixed", delay = "10ms" }
[component.worker]
source = "${wasm}"
`;

describe('spindle jobs retry, promote, remove and replay', () => {
  let redis: TestRedis;
  let t: TestApp | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await t?.stop();
    await redis.stop();
  });
  const jobs = (...args: string[]) => spindle('jobs', 'orders', ...args, '--redis', redis.url);

  it('brings failed jobs back, and they complete once the component is fixed', async () => {
    t = await startTestApp({ manifest: manifest('trap.wasm'), wat: ['trap'], workers: 1, redis: redis.url });
    for (const id of ['order-1', 'order-2', 'order-3']) await spindle('enqueue', 'orders', `{"order":"${id}"}`, '--job-id', id, '--redis', redis.url);
    await waitFor(async () => (await t!.app.broker.jobCounts('orders')).failed === 3, 10_000, 'three failed jobs');
    await t.stop();

    t = await startTestApp({ manifest: manifest('echo.wasm'), wat: ['echo'], workers: 1, redis: redis.url });
    assert.equal((await t.app.broker.jobCounts('orders')).failed, 3, 'a fixed app does not run failed jobs by itself');

    assert.equal((await jobs('retry', 'order-1')).stdout.trim(), 'retried job order-1 on "orders"');
    const done = await waitFor(() => t!.events.find((e) => e.event.subject === 'order-1'), 10_000, 'order-1 to run again');
    assert.equal(result(done), 'ok');
    assert.equal(attribute(done.event, 'queue.attempt'), '1', 'the retry starts its attempts over');
    await waitFor(async () => (await t!.app.broker.job('orders', 'order-1'))?.state === 'completed', 5_000, 'order-1 completed');

    assert.equal((await jobs('retry', '--all-failed')).stdout.trim(), 'retried 2 failed job(s) on "orders"');
    await waitFor(async () => (await t!.app.broker.jobCounts('orders')).completed === 3, 10_000, 'every order completed');
    assert.match((await jobs()).stdout, /0 waiting, 0 active, 0 delayed, 3 completed, 0 failed/);
  });

  it('replays a job with its data or edited data, promotes and removes, and says why it cannot', async () => {
    const replayed = (await jobs('replay', 'order-2')).stdout.trim();
    const [, same] = /^replayed job order-2 on "orders" as job (\S+)$/.exec(replayed) ?? [];
    assert.ok(same, replayed);
    const edited = /as job (\S+)$/.exec((await jobs('replay', 'order-2', '--data', '{"order":"order-2b"}')).stdout.trim())![1]!;
    const ran = await waitFor(() => {
      const a = t!.events.find((e) => e.event.subject === same);
      const b = t!.events.find((e) => e.event.subject === edited);
      return a && b && [a, b];
    }, 10_000, 'both replays to run');
    assert.deepEqual(ran.map((e) => new TextDecoder().decode(e.event.data)), ['{"order":"order-2"}', '{"order":"order-2b"}']);

    await spindle('enqueue', 'orders', '{"order":"later"}', '--job-id', 'later', '--delay', '1h', '--redis', redis.url);
    assert.equal((await jobs('promote', 'later')).stdout.trim(), 'promoted job later on "orders"');
    await waitFor(() => t!.events.some((e) => e.event.subject === 'later'), 10_000, 'the promoted job to run');
    assert.equal((await jobs('remove', 'later')).stdout.trim(), 'removed job later on "orders"');
    assert.equal(await t!.app.broker.job('orders', 'later'), undefined);

    const notFailed = await failing('jobs', 'orders', 'retry', 'order-1', '--redis', redis.url);
    assert.equal(notFailed.code, 1);
    assert.equal(notFailed.stderr.trim(), 'spindle jobs: job "order-1" of queue "orders" is completed; only a failed job can be retried');
    const missing = await failing('jobs', 'orders', 'replay', 'no-such-job', '--redis', redis.url);
    assert.match(missing.stderr, /job "no-such-job" of queue "orders" does not exist/);
    assert.equal((await failing('jobs', 'orders', 'requeue', 'order-1')).code, 2);
    assert.match((await failing('jobs', 'orders', 'promote', '--all-failed')).stderr, /--all-failed is for retry/);
    assert.match((await failing('jobs', 'orders', 'replay', 'order-1', '--data', 'nope')).stderr, /--data is not JSON/);
  });
});
