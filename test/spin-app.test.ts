/**
 * A Spin app run unchanged: `test/fixtures/spin/spin.toml` with an HTTP component built by
 * Spin's JavaScript SDK (`j2w`) and a Redis-trigger component built against Spin's own WIT that
 * uses Spin's key-value, variables, outbound Redis and SQLite, embedded and in redis mode; a third uses
 * the WASI key-value and config interfaces Spin 3 serves. Both modes
 * get a private redis-server as the outbound Redis; in redis mode it is the app's Redis too.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { after, before, describe, it } from 'node:test';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { startApp, type App } from '../src/app.js';
import { collectingLogger, httpUrl, result, waitFor, type ObservedEvent } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { SPIN_FIXTURE, buildSpinFixture } from './support/spin-components.js';
import { spindle } from './support/cli.js';
import { startSpindle } from './support/spindle-process.js';

const MANIFEST = join(SPIN_FIXTURE, 'spin.toml');
const decoder = new TextDecoder();

before(buildSpinFixture);

describe('a Spin app', () => {
  it('passes spindle validate unchanged', async () => {
    const { stdout } = await spindle('validate', MANIFEST);
    assert.match(stdout, /ok — 3 components; triggers: 1 http, 2 redis/);
  });

  const modes = [
    { name: 'embedded', redis: 'none' },
    { name: 'redis mode (--redis)', redis: 'flag' },
    // Spin's own way: the Redis trigger's address in spin.toml, messages published to that Redis.
    { name: 'redis mode (application.trigger.redis.address)', redis: 'address' },
  ] as const;
  for (const mode of modes) {
    describe(mode.name, () => {
      let app: App;
      let redis: TestRedis;
      let client: Redis;
      const events: ObservedEvent[] = [];
      const logs: Array<Record<string, unknown>> = [];
      const stored = async (key: string) => decoder.decode((await app.keyValue.get('default', key)) ?? new Uint8Array());
      const publish = async (channel: string, message: string) => {
        if (mode.redis === 'address') await client.publish(channel, message);
        else await app.broker.publish(channel, new TextEncoder().encode(message));
      };

      before(async () => {
        redis = await startRedis();
        client = new Redis(redis.url);
        // How an operator sets a Spin variable for Spindle: SPINDLE_VARIABLE_<NAME>.
        process.env.SPINDLE_VARIABLE_REDIS_ADDRESS = redis.url;
        try {
          const loaded =
            mode.redis === 'address'
              ? await parseManifest((await readFile(MANIFEST, 'utf8')).replace('[variables]', `[application.trigger.redis]\naddress = "${redis.url}"\n\n[variables]`), MANIFEST)
              : await loadManifest(MANIFEST);
          app = await startApp(loaded, {
            listen: '127.0.0.1:0',
            logger: collectingLogger(logs),
            onEvent: (component, event, outcome) => events.push({ component, event, outcome }),
            ...(mode.redis === 'flag' ? { redis: redis.url } : {}),
          });
        } finally {
          delete process.env.SPINDLE_VARIABLE_REDIS_ADDRESS;
        }
      });
      after(async () => {
        await app?.stop();
        client?.disconnect();
        await redis?.stop();
      });

      it('answers HTTP from the component j2w built, with Spin\'s headers', async () => {
        const response = await fetch(`${httpUrl(app)}/greet`);
        assert.equal(response.status, 200);
        assert.equal(await response.text(), 'hello from j2w at /greet (/...)');
      });

      it('hands Redis messages to handle-message, which uses key-value, variables and outbound Redis', async () => {
        // One at a time: the handler's read-then-write count is not atomic.
        for (const [i, message] of ['first', 'second'].entries()) {
          await publish('messages', message);
          await waitFor(() => events.filter((e) => e.component === 'redis').length > i, 30_000, `message "${message}" handled`);
        }
        assert.deepEqual(events.filter((e) => e.component === 'redis').map(result), ['ok', 'ok']);
        assert.equal(await stored('count'), '2');
        assert.equal(await stored('last'), 'hello, second');
        assert.equal(await client.get('spin:last'), 'second');
        assert.equal(await client.get('spin:count'), '2');
        assert.equal(await stored('sqlite-last'), 'text=second');
        assert.equal(await stored('sqlite-types'), 'integer:7,real:2.5,text:x,blob:2,null:undefined,integer:9');
      });

      it('serves wasi:keyvalue and wasi:config to a component importing Spin 3\'s WASI interfaces', async () => {
        await publish('wasi-messages', 'payload');
        const handled = await waitFor(() => events.find((e) => e.component === 'wasi'), 30_000, 'the wasi component runs');
        assert.equal(result(handled), 'ok');
        assert.equal(await stored('wasi:count'), '5');
        assert.equal(await stored('wasi:found'), 'wasi:a=payload,wasi:b=hello,none');
        assert.equal(await stored('wasi:keys'), 'wasi:a,wasi:b,wasi:count,wasi:found');
        assert.equal(await stored('wasi:config'), 'none;greeting=hello');
      });

      it('gives Spin\'s own error values for what is not granted or not supported', async () => {
        assert.equal(await stored('other-store'), 'access-denied');
        assert.equal(await stored('undeclared-variable'), 'undefined: missing');
        assert.equal(await stored('sqlite-other'), 'access-denied');
        assert.match(await stored('outbound-not-allowed'), /^other: component "redis" may not reach redis:\/\/example\.invalid:6379: it is not in allowed_outbound_hosts$/);
      });

      it('fails a message whose handler returns err, logged with component and event id', async () => {
        await publish('messages', 'fail');
        const failed = await waitFor(() => events.find((e) => e.component === 'redis' && result(e) === 'give-up'), 30_000, 'the failure');
        await waitFor(() => logs.find((l) => l.eventId === failed.event.id && l.component === 'redis' && l.failure === 'give-up'), 5_000, 'the failure logged');
      });
    });
  }

  it('runs as `spindle up spin.toml --redis` in its own process', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url);
    const node = startSpindle(MANIFEST, ['--listen', '127.0.0.1:0', '--redis', redis.url], { SPINDLE_VARIABLE_REDIS_ADDRESS: redis.url });
    try {
      await waitFor(() => node.logs.some((l) => l.msg === 'ready') || node.child.exitCode !== null, 60_000, 'spindle up to be ready');
      assert.equal(node.child.exitCode, null, 'spindle up started');
      const listening = node.logs.find((l) => typeof l.url === 'string' && String(l.msg).startsWith('listening on'))!;
      assert.equal(await (await fetch(`${listening.url}/from-cli`)).text(), 'hello from j2w at /from-cli (/...)');
      await client.publish('messages', 'from the cli');
      assert.equal(await waitFor(() => client.get('spin:last'), 30_000, 'the message copied to Redis'), 'from the cli');
    } finally {
      node.child.kill('SIGTERM');
      await node.exited();
      client.disconnect();
      await redis.stop();
    }
  });
});
