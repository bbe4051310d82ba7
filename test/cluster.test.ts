/**
 * Several `spindle up` processes on one Redis, as a cluster runs: each queue job once in total,
 * each cron tick once in total, a killed process's job finished by another; and an app that
 * rides out a Redis restart.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Broker } from '../src/brokers/broker.js';
import { createRedisBroker } from '../src/brokers/redis.js';
import { collectingLogger, startTestApp, waitFor, type TestApp } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { completedJobs, startSpindle, type SpindleProcess } from './support/spindle-process.js';
import { writeWatComponent } from './support/wat-components.js';

const CLUSTER_MANIFEST = `
spindle_manifest_version = 1
[application]
name = "cluster-test"
[runtime]
drain_timeout = "1s"

[[trigger.queue]]
queue = "work"
component = "echo"
concurrency = 16
[[trigger.queue]]
queue = "slow"
component = "spin"
lock_duration = "1s"

[[trigger.cron]]
schedule = "* * * * * *"
component = "ticker"

[component.echo]
source = "echo.wasm"
[component.spin]
source = "spin.wasm"
[component.ticker]
source = "hello.wasm"
`;

describe('a cluster of three processes on one Redis', () => {
  let redis: TestRedis;
  let dir: string;
  let nodes: SpindleProcess[];
  let broker: Broker;

  before(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'spindle-cluster-'));
    await Promise.all(['echo', 'spin', 'hello'].map((name) => writeWatComponent(dir, name as 'echo')));
    await writeFile(join(dir, 'spindle.toml'), CLUSTER_MANIFEST);
    nodes = [0, 1, 2].map(() => startSpindle(join(dir, 'spindle.toml'), ['--redis', redis.url], { SPINDLE_CACHE_DIR: join(dir, 'cache') }));
    await waitFor(() => nodes.every((n) => n.logs.some((l) => l.msg === 'ready')), 30_000, 'three processes ready');
    broker = createRedisBroker({ url: redis.url, logger: collectingLogger([]) });
  });

  after(
    async () => {
      const exits = nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? once(n.child, 'exit') : null));
      for (const n of nodes) n.child.kill('SIGTERM');
      const timer = setTimeout(() => nodes.forEach((n) => n.child.kill('SIGKILL')), 10_000);
      await Promise.all(exits);
      clearTimeout(timer);
      await broker.close();
      await redis.stop();
      await rm(dir, { recursive: true, force: true });
    },
    { timeout: 60_000 },
  );

  it('processes each of 1,000 jobs exactly once in total', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1_000; i++) ids.add(await broker.enqueue('work', new TextEncoder().encode(`{"job":${i}}`)));
    await waitFor(async () => (await broker.jobCounts('work')).completed === 1_000, 60_000, '1,000 completed jobs');
    const done = nodes.flatMap((n) => completedJobs(n, 'work'));
    assert.equal(done.length, 1_000, 'one completion per job');
    assert.deepEqual(new Set(done), ids);
    const busy = nodes.filter((n) => completedJobs(n, 'work').length > 0);
    assert.ok(busy.length >= 2, `work spread over ${busy.length} process(es)`);
  });

  it('fires a per-second cron once per second across all processes', async () => {
    const start = Date.now();
    await new Promise((r) => setTimeout(r, 5_000));
    const end = Date.now();
    const ticks = nodes.flatMap((n) =>
      n.logs.filter((l) => l.msg === 'tick' && Date.parse(String(l.scheduledAt)) >= start && Date.parse(String(l.scheduledAt)) < end).map((l) => String(l.scheduledAt)),
    );
    assert.equal(new Set(ticks).size, ticks.length, `a tick fired twice: ${ticks.sort().join(', ')}`);
    assert.ok(ticks.length >= 4 && ticks.length <= 6, `${ticks.length} ticks in 5 s across 3 processes`);
  });

  it('runs a job longer than its lock once, renewing the lock while the guest runs', async () => {
    const id = await broker.enqueue('slow', new TextEncoder().encode('2500'));
    await waitFor(async () => (await broker.completedJobs('slow')).some((j) => j.id === id), 15_000, 'the long job to complete');
    const starts = nodes.flatMap((n) => n.logs.filter((l) => l.msg === 'job started' && l.queue === 'slow' && l.jobId === id));
    assert.equal(starts.length, 1, 'no other process took the job while it ran');
  });

  it('finishes the job of a process killed mid-job on another process', async () => {
    const id = await broker.enqueue('slow', new TextEncoder().encode('1000'));
    const owner = await waitFor(() => nodes.find((n) => n.logs.some((l) => l.msg === 'job started' && l.queue === 'slow' && l.jobId === id)), 10_000, 'the job to start');
    owner.child.kill('SIGKILL');
    await once(owner.child, 'exit');
    const finisher = await waitFor(
      () => nodes.find((n) => n !== owner && completedJobs(n, 'slow').includes(id)),
      20_000,
      'another process to finish the job',
    );
    assert.notEqual(finisher, owner);
    const completed = await waitFor(async () => (await broker.completedJobs('slow')).find((j) => j.id === id), 5_000, 'the job to be marked completed');
    assert.equal(new TextDecoder().decode(completed.returnValue), '1000');
  });
});

describe('Redis restarting under a running app', () => {
  let redis: TestRedis;
  let t: TestApp;
  before(async () => {
    redis = await startRedis();
    t = await startTestApp({
      manifest: `
spindle_manifest_version = 1
[application]
name = "restart-test"
[[trigger.redis]]
channel = "events"
component = "listener"
[[trigger.queue]]
queue = "jobs"
component = "spin"
concurrency = 2
lock_duration = "1s"
[component.listener]
source = "echo.wasm"
[component.spin]
source = "spin.wasm"
`,
      wat: ['echo', 'spin'],
      redis: redis.url,
    });
  });
  after(
    async () => {
      await t.stop();
      await redis.stop();
    },
    { timeout: 60_000 },
  );

  const heard = () => t.events.filter((e) => e.component === 'listener' && e.outcome.ok).length;

  it('resumes pub/sub and loses no queued job', async () => {
    await t.app.broker.publish('events', new TextEncoder().encode('before'));
    await waitFor(() => heard() === 1, 5_000, 'the first message');

    const ids = new Set<string>();
    for (let i = 0; i < 100; i++) ids.add(await t.app.broker.enqueue('jobs', new TextEncoder().encode('20')));
    await redis.restart(500);

    await waitFor(() => t.logs.some((l) => l.msg === 'reconnected to Redis' && l.role === 'subscriber'), 20_000, 'the subscriber to reconnect');
    await waitFor(
      async () => {
        await t.app.broker.publish('events', new TextEncoder().encode('after'));
        return heard() >= 2;
      },
      20_000,
      'a message after the restart',
    );

    await waitFor(async () => (await t.app.broker.jobCounts('jobs')).completed === 100, 60_000, 'all 100 jobs to complete');
    const completed = await t.app.broker.completedJobs('jobs', 1_000);
    assert.deepEqual(new Set(completed.map((j) => j.id)), ids);
    assert.equal((await t.app.broker.jobCounts('jobs')).failed, 0);
  });
});
