/**
 * Apps sharing one Redis: a queue is shared by name on purpose, so apps that declare the same
 * retry policy for it share its jobs, while an app declaring a different policy for a queue
 * another app declared is refused at start-up instead of silently changing the other's jobs.
 * An app alone on its queue may change its own policy, as a redeploy does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../../src/brokers/broker.js';
import { createRedisBroker } from '../../src/brokers/redis.js';
import { parseManifest } from '../../src/app-manifest.js';
import { BrokerError, ManifestError } from '../../src/errors.js';
import { collectingLogger, result, startTestApp, waitFor, type TestApp } from '../support/harness.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const attr = (attributes: Array<[string, string]>, name: string) => attributes.find(([n]) => n === name)?.[1];

function manifest(app: string, queue: string, policy: string): string {
  return `
spindle_manifest_version = 1
[application]
name = "${app}"
[runtime]
drain_timeout = "1s"
[[trigger.queue]]
queue = "${queue}"
component = "worker"
concurrency = 4
${policy}
[component.worker]
source = "echo.wasm"
`;
}

const SAME = 'attempts = 3\nbackoff = { type = "fixed", delay = "100ms" }';

describe('apps sharing one Redis', () => {
  let redis: TestRedis;
  let producer: Broker;
  const apps: TestApp[] = [];
  const start = async (app: string, queue: string, policy: string) => {
    const t = await startTestApp({ manifest: manifest(app, queue, policy), wat: ['echo'], redis: redis.url, workers: 1 });
    apps.push(t);
    return t;
  };
  before(async () => {
    redis = await startRedis();
    producer = createRedisBroker({ url: redis.url, logger: collectingLogger([]) });
  });
  after(
    async () => {
      await Promise.all(apps.map((t) => t.stop()));
      await producer.close();
      await redis.stop();
    },
    { timeout: 30_000 },
  );

  it('share the jobs of a queue they declare with the same policy', async () => {
    const a = await start('orders', 'jobs', SAME);
    const b = await start('invoices', 'jobs', SAME);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add(await producer.enqueue('jobs', bytes(`${i}`)));
    await waitFor(async () => (await producer.jobCounts('jobs')).completed === 40, 10_000, '40 completed jobs');
    const handled = [...a.events, ...b.events].filter((e) => result(e) === 'ok');
    assert.deepEqual(new Set(handled.map((e) => e.event.subject)), ids);
    assert.equal(handled.length, 40, 'each job once in total');
    assert.ok(handled.every((e) => attr(e.event.attributes, 'queue.attempts') === '3'));
  });

  it('refuses at start-up an app declaring a different policy for a queue another app declared', async () => {
    await assert.rejects(start('reports', 'jobs', 'attempts = 5\nbackoff = { type = "exponential", delay = "1s" }'), (err: unknown) => {
      assert.ok(err instanceof BrokerError, String(err));
      assert.equal(err.context.queue, 'jobs');
      assert.match(err.message, /^queue "jobs" has retry policy attempts 3, fixed backoff 100ms, declared by apps "orders", "invoices"; app "reports" declares attempts 5, exponential backoff 1s\./);
      assert.match(err.message, /delete the Redis key spindle:policy:jobs/);
      return true;
    });
    // The policy the other apps declared still holds for new jobs.
    const id = await producer.enqueue('jobs', bytes('after the refusal'));
    await waitFor(async () => (await producer.completedJobs('jobs', 100)).some((j) => j.id === id), 10_000, 'the job to complete');
    const handled = apps.flatMap((t) => t.events).find((e) => e.event.subject === id);
    assert.equal(attr(handled!.event.attributes, 'queue.attempts'), '3');
  });

  it('lets an app alone on its queue change its policy when it starts again', async () => {
    const before = await start('mailer', 'mail', 'attempts = 2');
    await before.stop();
    const after = await start('mailer', 'mail', 'attempts = 4');
    const changed = after.logs.find((l) => l.queue === 'mail' && l.previous !== undefined);
    assert.equal(changed?.previous, 'attempts 2, exponential backoff 1s');
    assert.equal(changed?.policy, 'attempts 4, exponential backoff 1s');
    const id = await producer.enqueue('mail', bytes('{}'));
    await waitFor(() => after.events.some((e) => e.event.subject === id), 10_000, 'the job to run');
    assert.equal(attr(after.events.find((e) => e.event.subject === id)!.event.attributes, 'queue.attempts'), '4');
  });

  it('refuses one manifest declaring two policies for one queue', async () => {
    const text = manifest('twice', 'jobs', SAME) + `[[trigger.queue]]\nqueue = "jobs"\ncomponent = "worker"\nattempts = 1\n`;
    await assert.rejects(parseManifest(text, 'spindle.toml', { checkSources: false }), (err: unknown) => {
      assert.ok(err instanceof ManifestError, String(err));
      assert.deepEqual(err.problems.map((p) => `${p.path}: ${p.message}`), [
        'trigger.queue[1]: queue "jobs" declares attempts 1, exponential backoff 1s, but trigger.queue[0] declares attempts 3, fixed backoff 100ms for it; a queue has one retry policy',
      ]);
      return true;
    });
  });
});
