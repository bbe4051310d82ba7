/**
 * Host capabilities end to end: a real JavaScript component calls each `spindle:app` import
 * and outbound HTTP, once granted and once not, on the embedded default and in redis mode
 * against a private redis-server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Message } from '../src/brokers/broker.js';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import { startTestApp, waitFor, type TestApp } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));
const WASM = join(fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url)), 'build', 'capabilities.wasm');
const TOKEN = 'tok-3f9a-secret';

const manifest = `
spindle_manifest_version = 1
[application]
name = "caps"

[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }

[[trigger.http]]
route = "/granted"
component = "granted"

[[trigger.http]]
route = "/denied"
component = "denied"

[component.granted]
source = "${WASM}"
key_value_stores = ["scores"]
publish_channels = ["game.*"]
enqueue_queues = ["games"]
variables = { greeting = "{{ greeting }}, world", token = "{{ token }}" }
allowed_outbound_hosts = ["http://127.0.0.1:*"]

[component.denied]
source = "${WASM}"

[[trigger.http]]
route = "/impatient"
component = "impatient"

[component.impatient]
source = "${WASM}"
allowed_outbound_hosts = ["http://127.0.0.1:*"]
timeout = "1s"
`;

type Result = { ok?: unknown; err?: { tag: string; val: string } | string };

let redis: TestRedis;
let upstream: Server;
let upstreamUrl: string;
const upstreamSeen: string[] = [];

before(async () => {
  await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
  redis = await startRedis();
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/slow') return void setTimeout(() => res.end('too late'), 3_000);
      upstreamSeen.push(`${req.method} ${req.url} ${body}`);
      res.setHeader('content-type', 'text/plain');
      res.end(`upstream saw ${req.method} ${body}`);
    });
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
  process.env.SPINDLE_VARIABLE_TOKEN = TOKEN;
});
after(async () => {
  delete process.env.SPINDLE_VARIABLE_TOKEN;
  upstream?.close();
  await redis?.stop();
});

for (const mode of ['embedded', 'redis'] as const) {
  describe(`capabilities (${mode})`, () => {
    let t: TestApp;
    const call = async (component: string, command: Record<string, unknown>) => {
      const res = await fetch(`${t.url}/${component}`, { method: 'POST', body: JSON.stringify(command) });
      assert.equal(res.status, 200, `the guest answered ${command.op}`);
      return { result: (await res.json()) as Result, eventId: res.headers.get('x-spindle-event-id') };
    };
    const ok = async (command: Record<string, unknown>) => {
      const { result } = await call('granted', command);
      assert.ok(!('err' in result), `${command.op} failed: ${JSON.stringify(result.err)}`);
      return result.ok;
    };
    const deniedLog = (eventId: string | null, capability: string) =>
      t.logs.find((l) => l.eventId === eventId && l.level === 40 && l.capability === capability);

    before(async () => {
      t = await startTestApp({ manifest, workers: 2, ...(mode === 'redis' ? { redis: redis.url } : {}) });
    });
    after(() => t?.stop());

    it('keeps a flood of log lines from one event to the per-event limit and counts the rest', async () => {
      const { eventId } = await call('granted', { op: 'flood', lines: 5_000 });
      await waitFor(() => t.logs.some((l) => l.eventId === eventId && l.dropped !== undefined), 5_000, 'the summary line');
      const lines = t.logs.filter((l) => l.eventId === eventId && l.source === 'guest');
      assert.equal(lines.length, 200, 'the first 200 lines pass');
      assert.equal(lines.at(-1)?.msg, 'line 199');
      const summary = t.logs.filter((l) => l.eventId === eventId && l.dropped !== undefined);
      assert.deepEqual(summary.map((l) => [l.level, l.dropped, l.limit]), [[40, 4_800, 200]]);
    });

    it('logs at the level asked, tagged with the component and the event id', async () => {
      const { eventId } = await call('granted', { op: 'log', level: 'warn', message: 'the cat is hungry' });
      const line = t.logs.find((l) => l.msg === 'the cat is hungry');
      assert.ok(line, 'the line reached the host log');
      assert.equal(line.level, 40);
      assert.equal(line.component, 'granted');
      assert.equal(line.eventId, eventId);
    });

    it('publishes on a granted channel, and refuses another with a denied error and a warning', async () => {
      const received: Message[] = [];
      const sub = await t.app.broker.subscribe({ pattern: 'game.*' }, async (m) => void received.push(m));
      try {
        assert.equal(await ok({ op: 'publish', channel: 'game.tally', data: 'click' }), null);
        await waitFor(() => received.length > 0, 5_000, 'the published message');
        assert.equal(received[0]!.channel, 'game.tally');
        assert.equal(new TextDecoder().decode(received[0]!.data), 'click');
      } finally {
        await sub.stop();
      }
      const { result, eventId } = await call('granted', { op: 'publish', channel: 'admin.reset', data: 'x' });
      assert.deepEqual(result.err, { tag: 'denied', val: 'component "granted" is not granted channel "admin.reset" (granted: game.*)' });
      assert.ok(deniedLog(eventId, 'pubsub'));
    });

    it('enqueues jobs with a delay and an idempotent job id, only on granted queues', async () => {
      const id = await ok({ op: 'enqueue', queue: 'games', data: 'g1', jobId: 'game-1' });
      assert.equal(id, 'game-1');
      assert.equal(await ok({ op: 'enqueue', queue: 'games', data: 'again', jobId: 'game-1' }), 'game-1');
      await ok({ op: 'enqueue', queue: 'games', data: 'later', delayMs: 60_000 });
      const counts = await t.app.broker.jobCounts('games');
      assert.equal(counts.waiting, 1, 'the same job id is one job');
      assert.equal(counts.delayed, 1);
      const { result, eventId } = await call('granted', { op: 'enqueue', queue: 'billing', data: 'x' });
      assert.equal((result.err as { tag: string }).tag, 'denied');
      assert.ok(deniedLog(eventId, 'queue'));
      assert.equal((await t.app.broker.jobCounts('billing')).waiting, 0);
    });

    it('says invalid, not unavailable, for a job id the broker refuses', async () => {
      const { result } = await call('granted', { op: 'enqueue', queue: 'games', data: 'g', jobId: 'game:1' });
      assert.equal((result.err as { tag: string }).tag, 'invalid');
      assert.match((result.err as { val: string }).val, /^job id "game:1" contains ':'; a job id has 1 to 256 characters/);
    });

    it('stores, reads, lists and deletes keys in a granted store', async () => {
      assert.equal(await ok({ op: 'get', store: 'scores', key: 'nobody' }), null);
      await ok({ op: 'set', store: 'scores', key: 'card:1', value: '{"score":3}' });
      await ok({ op: 'set', store: 'scores', key: 'card:2', value: '{"score":5}' });
      await ok({ op: 'set', store: 'scores', key: 'other', value: '-' });
      assert.equal(await ok({ op: 'get', store: 'scores', key: 'card:1' }), '{"score":3}');
      assert.equal(await ok({ op: 'exists', store: 'scores', key: 'card:2' }), true);
      assert.deepEqual(await ok({ op: 'listKeys', store: 'scores', prefix: 'card:' }), ['card:1', 'card:2']);
      assert.equal(await ok({ op: 'delete', store: 'scores', key: 'card:1' }), true);
      assert.equal(await ok({ op: 'exists', store: 'scores', key: 'card:1' }), false);
    });

    it('reads and writes many keys in one call, in order, all or none, and refuses what passes the batch bounds', async () => {
      const entries = Array.from({ length: 50 }, (_, i) => [`many:${i}`, `value ${i} ✓`]);
      assert.equal(await ok({ op: 'setMany', store: 'scores', entries }), null);
      const keys = ['many:49', 'missing', ...entries.map(([key]) => key)];
      assert.deepEqual(await ok({ op: 'getMany', store: 'scores', keys }), ['value 49 ✓', null, ...entries.map(([, value]) => value)]);
      assert.deepEqual(await ok({ op: 'getMany', store: 'scores', keys: [] }), []);
      const tooLong = [['many:ok', 'fine'], ['k'.repeat(2_000), 'key over max_key_size']];
      const { result } = await call('granted', { op: 'setMany', store: 'scores', entries: tooLong });
      assert.equal((result.err as { tag: string }).tag, 'invalid');
      assert.equal(await ok({ op: 'get', store: 'scores', key: 'many:ok' }), null, 'no entry of a refused batch was set');
      const { result: many } = await call('granted', { op: 'getMany', store: 'scores', keys: Array.from({ length: 1_001 }, (_, i) => `k${i}`) });
      assert.deepEqual(many.err, { tag: 'invalid', val: 'get-many of 1001 keys in store "scores" names more than 1000 keys; split it' });
      const { result: denied } = await call('granted', { op: 'getMany', store: 'secrets', keys: ['k'] });
      assert.equal((denied.err as { tag: string }).tag, 'denied');
    });

    it('expires a key set with a time to live', async () => {
      await ok({ op: 'set', store: 'scores', key: 'session', value: 'live', ttlMs: 200 });
      assert.equal(await ok({ op: 'get', store: 'scores', key: 'session' }), 'live');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await ok({ op: 'get', store: 'scores', key: 'session' }), null);
    });

    it('increments atomically under concurrent events, and says invalid for a non-integer', async () => {
      const values = await Promise.all(Array.from({ length: 60 }, () => ok({ op: 'increment', store: 'scores', key: 'clicks', delta: 1 })));
      assert.deepEqual(values.map(Number).sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1), 'every event saw its own count');
      await ok({ op: 'set', store: 'scores', key: 'name', value: 'Slats' });
      const { result } = await call('granted', { op: 'increment', store: 'scores', key: 'name', delta: 1 });
      assert.equal((result.err as { tag: string }).tag, 'invalid');
    });

    it('refuses an ungranted store, to a granted component and to one with no grants', async () => {
      for (const [component, store] of [['granted', 'secrets'], ['denied', 'scores']] as const) {
        const { result, eventId } = await call(component, { op: 'get', store, key: 'k' });
        assert.equal((result.err as { tag: string; val: string }).tag, 'denied');
        assert.match((result.err as { val: string }).val, new RegExp(`"${component}" is not granted key-value store "${store}"`));
        assert.ok(deniedLog(eventId, 'key-value'), 'the denial is logged');
      }
      assert.equal(await ok({ op: 'exists', store: 'scores', key: 'card:2' }), true, 'the host goes on serving');
    });

    it('shows a component only the variables it maps, secrets from the environment, never logged', async () => {
      assert.equal(await ok({ op: 'variable', name: 'greeting' }), 'hello, world');
      assert.equal(await ok({ op: 'variable', name: 'token' }), TOKEN);
      const { result, eventId } = await call('denied', { op: 'variable', name: 'token' });
      assert.equal((result.err as { tag: string }).tag, 'denied');
      assert.ok(deniedLog(eventId, 'variables'));
      assert.ok(!JSON.stringify(t.logs).includes(TOKEN), 'the secret never reaches the log');
    });

    it('sends outbound HTTP to an allowed host and refuses any other', async () => {
      const allowed = (await ok({ op: 'fetch', url: `${upstreamUrl}/echo?x=1`, method: 'POST', body: 'meow' })) as { status: number; body: string };
      assert.deepEqual(allowed, { status: 200, body: 'upstream saw POST meow' });
      assert.ok(upstreamSeen.includes('POST /echo?x=1 meow'));
      const seen = upstreamSeen.length;
      const port = new URL(upstreamUrl).port;
      for (const [component, url] of [['granted', `http://localhost:${port}/`], ['denied', `${upstreamUrl}/`]] as const) {
        const { result, eventId } = await call(component, { op: 'fetch', url });
        assert.equal(typeof result.err, 'string', `${component} → ${url} fails in the guest`);
        assert.ok(deniedLog(eventId, 'outbound-http'), 'the refusal is logged');
      }
      assert.equal(upstreamSeen.length, seen, 'no refused request left the host');
    });

    it('fails a hung outbound request inside the guest before the event\'s deadline', async () => {
      const { result } = await call('impatient', { op: 'fetch', url: `${upstreamUrl}/slow` });
      assert.equal(typeof result.err, 'string', 'the guest saw the failure and answered');
    });
  });
}

describe('capabilities across processes (redis mode)', () => {
  it('increments one counter atomically from two apps sharing a Redis', async () => {
    const apps = await Promise.all([0, 1].map(() => startTestApp({ manifest, workers: 2, redis: redis.url })));
    try {
      const calls = apps.flatMap((a) =>
        Array.from({ length: 50 }, async () => {
          const res = await fetch(`${a.url}/granted`, { method: 'POST', body: JSON.stringify({ op: 'increment', store: 'scores', key: 'shared', delta: 1 }) });
          return Number(((await res.json()) as { ok: string }).ok);
        }),
      );
      const values = (await Promise.all(calls)).sort((a, b) => a - b);
      assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
    }
  });

  it('gives the guest an unavailable error while Redis is away, and serves again after', async () => {
    const t = await startTestApp({ manifest, workers: 1, redis: redis.url });
    try {
      const call = async () => {
        const res = await fetch(`${t.url}/granted`, { method: 'POST', body: JSON.stringify({ op: 'get', store: 'scores', key: 'shared' }) });
        return (await res.json()) as Result;
      };
      assert.equal((await call()).ok, '100');
      const restarting = redis.restart(1_500);
      await new Promise((r) => setTimeout(r, 300));
      const during = await call();
      assert.equal((during.err as { tag: string }).tag, 'unavailable');
      assert.match((during.err as { val: string }).val, /Redis 127\.0\.0\.1:\d+/);
      await restarting;
      await waitFor(async () => (await call()).ok === '100', 10_000, 'the store to answer again');
    } finally {
      await t.stop();
    }
  });
});

describe('variables at start-up', () => {
  it('refuses to start without a required variable, naming the environment variable to set', async () => {
    delete process.env.SPINDLE_VARIABLE_TOKEN;
    try {
      await assert.rejects(startTestApp({ manifest }), /variables\.token: required variable has no value: set SPINDLE_VARIABLE_TOKEN/);
    } finally {
      process.env.SPINDLE_VARIABLE_TOKEN = TOKEN;
    }
  });
});
