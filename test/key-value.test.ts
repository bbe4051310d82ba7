/**
 * One contract for both key-value drivers: what a guest's `key-value` calls can rely on,
 * whichever mode the app runs in. The Redis driver talks to a private redis-server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryKeyValue } from '../src/kv/memory.js';
import { createRedisKeyValue } from '../src/kv/redis.js';
import { KeyValueInvalidError, type KeyValue } from '../src/kv/store.js';
import { startRedis, type TestRedis } from './support/redis-server.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value === undefined ? undefined : new TextDecoder().decode(value));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function contract(name: string, make: (app: string) => KeyValue) {
  describe(`key-value contract: ${name}`, () => {
    let kv: KeyValue;
    before(() => {
      kv = make('contract');
    });
    after(() => kv.close());

    it('sets, gets, tells existence and deletes', async () => {
      assert.equal(await kv.get('s', 'missing'), undefined);
      await kv.set('s', 'k', bytes('v1'));
      assert.equal(text(await kv.get('s', 'k')), 'v1');
      assert.equal(await kv.exists('s', 'k'), true);
      assert.equal(await kv.delete('s', 'k'), true);
      assert.equal(await kv.delete('s', 'k'), false, 'deleting what is gone says so');
      assert.equal(await kv.exists('s', 'k'), false);
    });

    it('keeps binary values byte for byte', async () => {
      const value = new Uint8Array([0, 255, 10, 13, 0x80, 1]);
      await kv.set('s', 'bin', value);
      assert.deepEqual(await kv.get('s', 'bin'), value);
    });

    it('reads and writes many keys at once, in order, with one time to live for all', async () => {
      assert.deepEqual(await kv.getMany('m', []), []);
      await kv.setMany('m', [['x', bytes('1')], ['y', bytes('2')], ['x', bytes('3')]]);
      await kv.setMany('m', [['brief', bytes('b')], ['brief2', bytes('c')]], 150);
      assert.deepEqual((await kv.getMany('m', ['y', 'none', 'x', 'brief', 'y'])).map(text), ['2', undefined, '3', 'b', '2'], 'the last write of a key wins');
      await sleep(300);
      assert.deepEqual((await kv.getMany('m', ['brief', 'brief2', 'x'])).map(text), [undefined, undefined, '3']);
    });

    it('keeps stores apart', async () => {
      await kv.set('a', 'same', bytes('in a'));
      await kv.set('b', 'same', bytes('in b'));
      assert.equal(text(await kv.get('a', 'same')), 'in a');
      assert.equal(text(await kv.get('b', 'same')), 'in b');
    });

    it('expires a key after its time to live, and a later set without one clears it', async () => {
      await kv.set('t', 'short', bytes('x'), 150);
      await kv.set('t', 'cleared', bytes('x'), 150);
      await kv.set('t', 'cleared', bytes('y'));
      assert.equal(await kv.exists('t', 'short'), true);
      await sleep(300);
      assert.equal(await kv.exists('t', 'short'), false);
      assert.equal(await kv.get('t', 'short'), undefined);
      assert.deepEqual(await kv.listKeys('t', ''), ['cleared']);
      assert.equal(text(await kv.get('t', 'cleared')), 'y');
    });

    it('increments from nothing, by any delta, and keeps the time to live', async () => {
      assert.equal(await kv.increment('c', 'n', 5n), 5n);
      assert.equal(await kv.increment('c', 'n', -7n), -2n);
      assert.equal(text(await kv.get('c', 'n')), '-2', 'a counter is its decimal text');
      await kv.set('c', 'ttl', bytes('1'), 150);
      assert.equal(await kv.increment('c', 'ttl', 1n), 2n);
      await sleep(300);
      assert.equal(await kv.exists('c', 'ttl'), false);
    });

    it('refuses to increment what is not an integer, or past 64 bits', async () => {
      await kv.set('c', 'word', bytes('cat'));
      await assert.rejects(kv.increment('c', 'word', 1n), (err: Error) => err instanceof KeyValueInvalidError && /"word".*"c"/.test(err.message));
      await kv.set('c', 'max', bytes(String(2n ** 63n - 1n)));
      await assert.rejects(kv.increment('c', 'max', 1n), KeyValueInvalidError);
    });

    it('lists keys by prefix, sorted, treating glob characters literally', async () => {
      for (const key of ['user:2', 'user:1', 'users', 'other', 'a*b', 'a*c', 'ab']) await kv.set('l', key, bytes('.'));
      assert.deepEqual(await kv.listKeys('l', 'user:'), ['user:1', 'user:2']);
      assert.deepEqual(await kv.listKeys('l', 'a*'), ['a*b', 'a*c']);
      assert.equal((await kv.listKeys('l', '')).length, 7);
    });
  });
}

contract('memory', () => createMemoryKeyValue());

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(() => redis?.stop());
contract('redis', (app) => createRedisKeyValue({ url: redis.url, app }));

describe('redis key-value', () => {
  it('keeps apps sharing a Redis apart, under spindle:<app>:kv:<store>:', async () => {
    const one = createRedisKeyValue({ url: redis.url, app: 'one' });
    const two = createRedisKeyValue({ url: redis.url, app: 'two' });
    try {
      await one.set('s', 'k', bytes('one'));
      assert.equal(await two.get('s', 'k'), undefined);
      const { Redis } = await import('ioredis');
      const raw = new Redis(redis.url);
      assert.equal(await raw.get('spindle:one:kv:s:k'), 'one');
      raw.disconnect();
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('fails fast with the address when Redis is away', async () => {
    const kv = createRedisKeyValue({ url: 'redis://127.0.0.1:1', app: 'away' });
    try {
      const started = Date.now();
      await assert.rejects(kv.get('s', 'k'), /key-value store "s" on Redis 127\.0\.0\.1:1/);
      assert.ok(Date.now() - started < 5_000, 'a guest waiting synchronously is not held for long');
    } finally {
      await kv.close();
    }
  });
});
