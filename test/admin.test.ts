/**
 * The admin listener: metrics scraped after known traffic match it, and readiness follows the
 * app's life (draining) and its Redis (stopped, then back).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { result, startTestApp, waitFor, type TestApp } from './support/harness.js';
import { freePort, startRedis, type TestRedis } from './support/redis-server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples; comment lines are skipped. */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(m, `not a sample line: ${line}`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The value of the one sample named `name` whose labels include `labels`. */
function sample(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const res = await fetch(`${t.app.admin!.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
}

const readinessAt = async (base: string) => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, text: await res.text() };
};
const readiness = (t: TestApp) => readinessAt(t.app.admin!.url);

/** Whether anything accepts connections on `port`. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "observed"
[runtime]
drain_timeout = "2s"
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/trap"
component = "trap"
[[trigger.http]]
route = "/loop"
component = "loop"
[[trigger.http]]
route = "/late"
component = "late"
[[trigger.http]]
route = "/fresh"
component = "fresh"
[[trigger.redis]]
channel = "flood"
component = "sink"
[[trigger.queue]]
queue = "doomed"
component = "trap"
attempts = 1
[[trigger.cron]]
schedule = "* * * * * *"
component = "ticker"
[component.hello]
source = "hello.wasm"
[component.ticker]
source = "hello.wasm"
[component.trap]
source = "trap.wasm"
[component.loop]
source = "loop.wasm"
timeout = "20s"
[component.late]
source = "loop.wasm"
timeout = "100ms"
[component.fresh]
source = "hello.wasm"
isolation = "per-event"
[component.sink]
source = "hello.wasm"
max_concurrency = 64
`;

describe('admin listener', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ manifest: MANIFEST, wat: ['hello', 'trap', 'loop'], admin: '127.0.0.1:0', workers: 2 });
  });
  after(() => t?.stop());

  it('counts events by component, trigger and outcome, with duration histograms that match', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${t.url}/hello`)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await fetch(`${t.url}/trap`)).status, 500);
    assert.equal((await fetch(`${t.url}/late`)).status, 504);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${t.url}/fresh`)).status, 200);
    await t.app.broker.enqueue('doomed', new TextEncoder().encode('{}'));
    await waitFor(() => t.events.some((e) => e.component === 'trap' && e.event.type === 'spindle.queue.job'), 10_000, 'the job to fail');
    await waitFor(async () => (await t.app.broker.jobCounts('doomed')).failed === 1, 5_000, 'the job to be failed');
    await waitFor(() => t.events.some((e) => e.component === 'ticker'), 5_000, 'a cron tick');

    const samples = await scrape(t);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'hello', trigger: 'http', outcome: 'ok' }), 3);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'trap', trigger: 'http', outcome: 'trap' }), 2);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'trap', trigger: 'queue', outcome: 'trap' }), 1);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'hello', trigger: 'http', outcome: 'trap' }), undefined);

    const hello = { component: 'hello', trigger: 'http' };
    assert.equal(sample(samples, 'spindle_event_duration_seconds_count', hello), 3);
    assert.ok(sample(samples, 'spindle_event_duration_seconds_sum', hello)! > 0);
    const buckets = samples
      .filter((s) => s.name === 'spindle_event_duration_seconds_bucket' && s.labels.component === 'hello')
      .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
      .sort((a, b) => a.le - b.le);
    assert.equal(buckets.at(-1)!.le, Infinity);
    assert.equal(buckets.at(-1)!.count, 3);
    assert.equal(buckets.find((b) => b.le === 30)!.count, 3, 'every event took under 30 s');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.count >= buckets[i - 1]!.count, 'buckets are cumulative');
    const observedHello = t.events.filter((e) => e.component === 'hello' && result(e) === 'ok').length;
    assert.equal(observedHello, 3);

    const ticks = sample(samples, 'spindle_cron_ticks_total', { component: 'ticker', result: 'fired' })!;
    assert.ok(ticks >= 1 && ticks >= sample(samples, 'spindle_events_total', { component: 'ticker', trigger: 'cron', outcome: 'ok' })!);
    assert.equal(sample(samples, 'spindle_queue_jobs', { queue: 'doomed', state: 'failed' }), 1);
    assert.equal(sample(samples, 'spindle_queue_jobs', { queue: 'doomed', state: 'waiting' }), 0);
    assert.equal(sample(samples, 'spindle_events_in_flight', { component: 'hello' }), 0);
    assert.equal(sample(samples, 'spindle_pubsub_subscriber_drops_total'), 0);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'late', outcome: 'timeout' }), 1);
    assert.equal(sample(samples, 'spindle_worker_restarts_total', { reason: 'deadline' }), 1);
    assert.equal(sample(samples, 'spindle_worker_restarts_total', { reason: 'crash' }), 0);
    // Two workers, three per-event requests: each worker makes one instance and restores it after.
    const created = sample(samples, 'spindle_instances_total', { component: 'fresh', source: 'created' })!;
    const restored = sample(samples, 'spindle_instances_total', { component: 'fresh', source: 'restored' })!;
    assert.equal(created + restored, 3);
    assert.ok(created >= 1 && created <= 2 && restored >= 1, `created ${created}, restored ${restored}`);
    assert.ok(sample(samples, 'process_cpu_user_seconds_total')! > 0, "Node's process metrics are there");
  });

  it('counts pub/sub messages dropped past the buffer of a component that cannot keep up', async () => {
    // Embedded delivery comes a turn after the publishes, so all of them arrive in one burst: the
    // subscription holds max_concurrency (64) plus 100,000 and drops the rest.
    const sent = 100_100;
    const kept = 100_064;
    for (let i = 0; i < sent; i++) await t.app.broker.publish('flood', new TextEncoder().encode(String(i)));
    await waitFor(() => t.events.filter((e) => e.component === 'sink').length === kept, 60_000, 'the messages kept to be handled');
    const samples = await scrape(t);
    assert.equal(sample(samples, 'spindle_pubsub_messages_dropped_total', { component: 'sink' }), sent - kept);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'sink', trigger: 'redis', outcome: 'ok' }), kept);
  });

  it('answers /healthz, and /readyz until the app drains, then 503', async () => {
    assert.equal((await fetch(`${t.app.admin!.url}/healthz`)).status, 200);
    assert.deepEqual(await readiness(t), { status: 200, text: 'ready\n' });
    assert.equal((await fetch(`${t.app.admin!.url}/nothing`)).status, 404);

    const looping = fetch(`${t.url}/loop`).then((r) => r.status);
    await waitFor(async () => sample(await scrape(t), 'spindle_events_in_flight', { component: 'loop' }) === 1, 5_000, 'the loop to be in flight');
    const stopped = t.app.stop();
    assert.deepEqual(await readiness(t), { status: 503, text: 'not ready: draining\n' });
    assert.equal(await looping, 503, 'the request still running at drain_timeout is answered 503');
    await stopped;
    await assert.rejects(fetch(`${t.app.admin!.url}/readyz`), 'the admin listener closes with the app');
  });
});

describe('admin listener in redis mode', () => {
  let redis: TestRedis;
  let t: TestApp;
  before(async () => {
    redis = await startRedis();
    t = await startTestApp({ manifest: MANIFEST, wat: ['hello', 'trap', 'loop'], admin: '127.0.0.1:0', redis: redis.url, workers: 1 });
  });
  after(async () => {
    await t?.stop();
    await redis?.stop();
  });

  it('answers /readyz 503 while Redis is stopped and 200 once it is back', async () => {
    assert.equal((await readiness(t)).status, 200);
    const restarted = redis.restart(3_000);
    await waitFor(async () => (await readiness(t)).status === 503, 5_000, '/readyz to answer 503');
    assert.deepEqual(await readiness(t), { status: 503, text: 'not ready: Redis unreachable\n' });
    assert.equal((await fetch(`${t.app.admin!.url}/healthz`)).status, 200, 'the process is still alive');
    const scraped = await scrape(t);
    assert.equal(sample(scraped, 'spindle_queue_jobs', { queue: 'doomed', state: 'waiting' }), undefined, 'queue depth is left out, not made up');
    await restarted;
    await waitFor(async () => (await readiness(t)).status === 200, 15_000, '/readyz to answer 200 again');
    assert.equal(sample(await scrape(t), 'spindle_queue_jobs', { queue: 'doomed', state: 'waiting' }), 0);
  });

  it('answers /readyz 503 while the app starts (waiting for Redis), then 200', async () => {
    const restarted = redis.restart(4_000);
    await waitFor(async () => !(await listening(redis.port)), 5_000, 'Redis to be down');
    const admin = `127.0.0.1:${await freePort()}`;
    const starting = startTestApp({ manifest: MANIFEST, wat: ['hello', 'trap', 'loop'], admin, redis: redis.url, workers: 1 });
    const answered = await waitFor(() => readinessAt(`http://${admin}`).catch(() => undefined), 10_000, 'the admin listener to answer');
    assert.deepEqual(answered, { status: 503, text: 'not ready: starting\n' });
    await restarted;
    const second = await starting;
    try {
      await waitFor(async () => (await readiness(second)).status === 200, 15_000, '/readyz to answer 200 once started');
    } finally {
      await second.stop();
    }
  });
});

describe('cron tick metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      manifest: `
spindle_manifest_version = 1
[application]
name = "ticks"
[[trigger.cron]]
schedule = "* * * * * *"
component = "slowpoke"
[component.slowpoke]
source = "loop.wasm"
timeout = "2500ms"
`,
      wat: ['loop'],
      admin: '127.0.0.1:0',
      workers: 1,
    });
  });
  after(() => t?.stop());

  it('counts ticks skipped while the previous tick still runs', async () => {
    await waitFor(() => t.events.some((e) => e.component === 'slowpoke'), 10_000, 'the first tick to time out');
    const samples = await scrape(t);
    assert.equal(sample(samples, 'spindle_events_total', { component: 'slowpoke', trigger: 'cron', outcome: 'timeout' }), 1);
    assert.ok(sample(samples, 'spindle_cron_ticks_total', { component: 'slowpoke', result: 'fired' })! >= 1);
    assert.ok(sample(samples, 'spindle_cron_ticks_total', { component: 'slowpoke', result: 'skipped' })! >= 1, 'the ticks during a 2.5 s run were skipped');
  });
});
