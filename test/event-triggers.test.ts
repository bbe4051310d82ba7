/**
 * The pub/sub, queue and cron triggers end to end through real components, in embedded mode
 * and in redis mode on a private redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { startApp } from '../src/app.js';
import { createEmbeddedBroker } from '../src/brokers/embedded.js';
import { BrokerError } from '../src/errors.js';
import { parseManifest } from '../src/app-manifest.js';
import { attribute, type SpindleEvent } from '../src/event.js';
import { manifestSchema } from '../src/manifest/schema.js';
import redisTrigger from '../src/triggers/redis.js';
import { collectingLogger, makeAppDir, result, startTestApp, waitFor, type TestApp } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "events-test"

[[trigger.redis]]
channel = "orders.created"
component = "first"
[[trigger.redis]]
channel = "orders.created"
component = "second"
[[trigger.redis]]
pattern = "orders.*"
component = "watcher"

[[trigger.queue]]
queue = "echo"
component = "echo"
[[trigger.queue]]
queue = "retry"
component = "retry"
attempts = 3
backoff = { type = "fixed", delay = "50ms" }
[[trigger.queue]]
queue = "give-up"
component = "give-up"
attempts = 5
[[trigger.queue]]
queue = "trap"
component = "trap"
attempts = 2
backoff = { type = "fixed", delay = "50ms" }

[[trigger.cron]]
schedule = "* * * * * *"
component = "ticker"

[component.first]
source = "hello.wasm"
[component.second]
source = "echo.wasm"
[component.watcher]
source = "echo.wasm"
[component.echo]
source = "echo.wasm"
[component.retry]
source = "retry.wasm"
[component.give-up]
source = "give-up.wasm"
[component.trap]
source = "trap.wasm"
[component.ticker]
source = "hello.wasm"
`;

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);
const handled = (t: TestApp, component: string, type: string) => t.events.filter((e) => e.component === component && e.event.type === type);

function eventTriggerTests(mode: 'embedded' | 'redis') {
  describe(`event triggers (${mode})`, () => {
    let redis: TestRedis | undefined;
    let t: TestApp;
    before(async () => {
      if (mode === 'redis') redis = await startRedis();
      t = await startTestApp({ manifest: MANIFEST, wat: ['hello', 'echo', 'retry', 'give-up', 'trap'], ...(redis ? { redis: redis.url } : {}) });
    });
    after(async () => {
      await t.stop();
      await redis?.stop();
    });

    it('fans a message out to every component subscribed to its channel or a matching pattern', async () => {
      await t.app.broker.publish('orders.created', new TextEncoder().encode('order 1'));
      await t.app.broker.publish('orders.paid', new TextEncoder().encode('order 1'));
      await waitFor(() => handled(t, 'watcher', 'spindle.redis.message').length === 2, 5_000, 'the pattern subscriber');
      await waitFor(() => handled(t, 'first', 'spindle.redis.message').length === 1 && handled(t, 'second', 'spindle.redis.message').length === 1);
      assert.equal(handled(t, 'first', 'spindle.redis.message').length, 1, 'orders.paid is not on the channel');
    });

    it('stores the reply body as the job\'s return value', async () => {
      const id = await t.app.broker.enqueue('echo', new TextEncoder().encode('{"order":7}'));
      await waitFor(async () => (await t.app.broker.jobCounts('echo')).completed === 1, 5_000);
      const [job] = await t.app.broker.completedJobs('echo');
      assert.equal(job!.id, id);
      assert.equal(text(job!.returnValue), '{"order":7}');
    });

    it('retries retry-later with the queue\'s attempts, then keeps the job as failed', async () => {
      const id = await t.app.broker.enqueue('retry', new TextEncoder().encode('{}'));
      await waitFor(async () => (await t.app.broker.jobCounts('retry')).failed === 1, 10_000);
      const attempts = t.events.filter((e) => e.event.subject === id && result(e) === 'retry-later').map((e) => attribute(e.event, 'queue.attempt'));
      assert.deepEqual(attempts, ['1', '2', '3']);
      const [failed] = await t.app.broker.failedJobs('retry');
      assert.equal(failed!.attemptsMade, 3);
      assert.equal(failed!.reason, 'retry-later: try again');
    });

    it('fails a give-up job after one attempt', async () => {
      await t.app.broker.enqueue('give-up', new TextEncoder().encode('{}'));
      await waitFor(async () => (await t.app.broker.jobCounts('give-up')).failed === 1, 5_000);
      const [failed] = await t.app.broker.failedJobs('give-up');
      assert.equal(failed!.attemptsMade, 1);
      assert.equal(failed!.reason, 'bad input');
    });

    it('counts a trap as a failed attempt and retries it', async () => {
      await t.app.broker.enqueue('trap', new TextEncoder().encode('{}'));
      await waitFor(async () => (await t.app.broker.jobCounts('trap')).failed === 1, 10_000);
      const [failed] = await t.app.broker.failedJobs('trap');
      assert.equal(failed!.attemptsMade, 2);
      assert.match(failed!.reason, /^trap: guest trapped/);
    });

    it('fires a per-second cron component every second', async () => {
      await waitFor(() => handled(t, 'ticker', 'spindle.cron.tick').length >= 2, 5_000, 'two cron ticks');
    });

    it('gives a tick its schedule, time zone, and the times it was due and fired', async () => {
      const [tick] = await waitFor(() => handled(t, 'ticker', 'spindle.cron.tick'), 5_000, 'a cron tick');
      const { event } = tick!;
      const scheduledAt = attribute(event, 'cron.scheduled-at')!;
      const firedAt = attribute(event, 'cron.fired-at')!;
      assert.equal(event.source, '/spindle/cron');
      assert.equal(event.subject, '* * * * * *');
      assert.equal(attribute(event, 'cron.schedule'), '* * * * * *');
      assert.equal(attribute(event, 'cron.timezone'), 'UTC');
      assert.equal(event.time, scheduledAt, 'the event happened when the tick was due');
      assert.equal(Date.parse(scheduledAt) % 1_000, 0, 'a per-second schedule is due on whole seconds');
      const late = Date.parse(firedAt) - Date.parse(scheduledAt);
      assert.ok(late >= 0 && late < 2_000, `fired ${late} ms after it was due`);
      assert.equal(event.data.byteLength, 0);
    });
  });
}

eventTriggerTests('embedded');
eventTriggerTests('redis');

describe('redis trigger', () => {
  it('holds a burst beyond the component\'s max_concurrency instead of refusing it', async () => {
    const t = await startTestApp({
      manifest: `
spindle_manifest_version = 1
[application]
name = "burst-test"
[[trigger.redis]]
channel = "burst"
component = "slow"
[component.slow]
source = "spin.wasm"
max_concurrency = 2
`,
      wat: ['spin'],
    });
    try {
      for (let i = 0; i < 200; i++) await t.app.broker.publish('burst', new TextEncoder().encode('1'));
      const done = () => handled(t, 'slow', 'spindle.redis.message');
      await waitFor(() => done().length === 200, 20_000, 'every message of the burst');
      assert.deepEqual(new Set(done().map(result)), new Set(['ok']), 'none was refused');
    } finally {
      await t.stop();
    }
  });

  it('holds a component at max_concurrency under pub/sub and queue load, running, logging and counting each event once', async () => {
    const t = await startTestApp({
      manifest: `
spindle_manifest_version = 1
[application]
name = "full-test"
[[trigger.redis]]
channel = "load"
component = "slow"
[[trigger.queue]]
queue = "load"
component = "slow"
concurrency = 16
[component.slow]
source = "spin.wasm"
max_concurrency = 2
`,
      wat: ['spin'],
    });
    try {
      const jobs = await Promise.all(Array.from({ length: 40 }, () => t.app.broker.enqueue('load', new TextEncoder().encode('5'))));
      for (let i = 0; i < 60; i++) await t.app.broker.publish('load', new TextEncoder().encode('5'));
      await waitFor(() => t.events.length >= 100, 30_000, 'every message and job handled');
      await waitFor(async () => (await t.app.broker.jobCounts('load')).completed === 40, 5_000, 'every job completed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(t.events.length, 100, 'each event observed once');
      assert.deepEqual(new Set(t.events.map(result)), new Set(['ok']), 'no event was refused while it waited for room');
      assert.equal(new Set(t.events.map((e) => e.event.id)).size, 100, 'no event ran twice');
      assert.deepEqual(new Set(t.events.filter((e) => e.event.type === 'spindle.queue.job').map((e) => e.event.subject)), new Set(jobs));
      const perEvent = new Map<unknown, number>();
      for (const line of t.logs) if (line.eventId !== undefined && line.ms !== undefined) perEvent.set(line.eventId, (perEvent.get(line.eventId) ?? 0) + 1);
      assert.equal(perEvent.size, 100, 'one outcome line for each event');
      assert.ok([...perEvent.values()].every((n) => n === 1), 'no outcome logged twice');
      assert.deepEqual(t.logs.filter((l) => Number(l.level) >= 40), [], 'nothing warned about');
    } finally {
      await t.stop();
    }
  });

  it('turns a message into an event with its bytes, channel and pattern', async () => {
    const broker = createEmbeddedBroker();
    const manifest = manifestSchema.parse({ spindle_manifest_version: 1, application: { name: 'x' }, component: { c: { source: 'c.wasm' } } });
    const trigger = redisTrigger.create([{ pattern: 'sensor.*', component: 'c' }], { manifest, logger: collectingLogger([]), broker });
    const seen: Array<[string, SpindleEvent]> = [];
    await trigger.start(async (component, event) => {
      seen.push([component, event]);
      return { ok: true, reply: { headers: [] } };
    });
    const payload = new Uint8Array([0, 0xff, 0x10, 0x80]);
    await broker.publish('sensor.7', payload);
    await waitFor(() => seen.length === 1);
    await trigger.stop();
    const [component, event] = seen[0]!;
    assert.equal(component, 'c');
    assert.equal(event.type, 'spindle.redis.message');
    assert.equal(event.subject, 'sensor.7');
    assert.deepEqual([...event.data], [...payload]);
    assert.deepEqual(event.attributes, [['redis.channel', 'sensor.7'], ['redis.pattern', 'sensor.*']]);
  });

  it('hands the executor at most max_concurrency messages at once, in order, each stamped with when it came', async () => {
    const broker = createEmbeddedBroker();
    const manifest = manifestSchema.parse({ spindle_manifest_version: 1, application: { name: 'x' }, component: { c: { source: 'c.wasm', max_concurrency: 3 } } });
    const trigger = redisTrigger.create([{ channel: 'line', component: 'c' }], { manifest, logger: collectingLogger([]), broker });
    const running: Array<() => void> = [];
    const seen: SpindleEvent[] = [];
    let most = 0;
    await trigger.start(
      (_component, event) =>
        new Promise((resolve) => {
          seen.push(event);
          running.push(() => resolve({ ok: true, reply: { headers: [] } }));
          most = Math.max(most, running.length);
        }),
    );
    for (let i = 0; i < 20; i++) await broker.publish('line', new TextEncoder().encode(String(i)));
    await waitFor(() => running.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(seen.length, 3, 'the rest waited for room');
    const released = Date.now();
    while (seen.length < 20 || running.length > 0) {
      for (const finish of running.splice(0)) finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(most, 3);
    assert.deepEqual(seen.map((e) => new TextDecoder().decode(e.data)), Array.from({ length: 20 }, (_, i) => String(i)));
    assert.deepEqual(seen.filter((e) => e.time === undefined || Date.parse(e.time) >= released).map((e) => e.subject), [], "an event's time is when its message came, not when it ran");

    for (let i = 0; i < 5; i++) await broker.publish('line', new TextEncoder().encode('late'));
    await waitFor(() => running.length === 3);
    let stopped = false;
    const stopping = trigger.stop({ drainMs: 10_000 }).then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(stopped, false, 'stopping waits for the messages still in line');
    while (!stopped) {
      for (const finish of running.splice(0)) finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await stopping;
    assert.equal(seen.length, 25, 'every message received before the stop was handled');
  });
});

describe('shutdown', () => {
  for (const mode of ['embedded', 'redis'] as const) {
    it(`finishes a queue job in flight before stopping (${mode})`, async () => {
      const redis = mode === 'redis' ? await startRedis() : undefined;
      const t = await startTestApp({
        manifest: `
spindle_manifest_version = 1
[application]
name = "drain-test"
[runtime]
drain_timeout = "5s"
[[trigger.queue]]
queue = "slow"
component = "spin"
[component.spin]
source = "spin.wasm"
`,
        wat: ['spin'],
        ...(redis ? { redis: redis.url } : {}),
      });
      try {
        const id = await t.app.broker.enqueue('slow', new TextEncoder().encode('300'));
        await waitFor(async () => (await t.app.broker.jobCounts('slow')).active === 1, 5_000, 'the job to start');
        await t.app.stop();
        assert.deepEqual(t.events.filter((e) => e.event.subject === id).map(result), ['ok'], 'the job completed during the drain');
      } finally {
        await t.stop();
        await redis?.stop();
      }
    });
  }
});

describe('redis mode without Redis', () => {
  it('fails start-up with an error naming the address, and leaves nothing running', async () => {
    const dir = await makeAppDir({ wat: ['hello'] });
    const loaded = await parseManifest(
      'spindle_manifest_version = 1\n[application]\nname = "x"\n[[trigger.redis]]\nchannel = "c"\ncomponent = "c"\n[component.c]\nsource = "hello.wasm"\n',
      join(dir, 'spindle.toml'),
    );
    await assert.rejects(
      startApp(loaded, { redis: 'redis://127.0.0.1:1', logger: collectingLogger([]), brokerReadyTimeoutMs: 300 }),
      (err: unknown) => {
        assert.ok(err instanceof BrokerError);
        assert.match(err.message, /^cannot reach Redis at 127\.0\.0\.1:1 within 300ms/);
        return true;
      },
    );
  });
});
