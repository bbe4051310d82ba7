/**
 * Key-value limits against a guest that tries to fill the host: keys and values past their
 * bound are refused in both modes with the capability's `invalid` error naming the manifest
 * field; in embedded mode a store stops growing at its key count and byte size, and frees room
 * when keys go.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildComponents } from '../../src/build/build.js';
import { loadManifest } from '../../src/app-manifest.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { startRedis, type TestRedis } from '../support/redis-server.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/js/spindle.toml', import.meta.url));
const WASM = join(fileURLToPath(new URL('../../../test/fixtures/js/', import.meta.url)), 'build', 'capabilities.wasm');

const manifest = `
spindle_manifest_version = 1
[application]
name = "kv-limits"

[runtime.key_value]
max_key_size = 64
max_value_size = "1KiB"
max_store_keys = 3
max_store_size = "2KiB"

[[trigger.http]]
route = "/..."
component = "filler"

[component.filler]
source = "${WASM}"
key_value_stores = ["s"]
`;

type Result = { ok?: unknown; err?: { tag: string; val: string } };

let redis: TestRedis;
before(async () => {
  await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
  redis = await startRedis();
});
after(() => redis?.stop());

for (const mode of ['embedded', 'redis'] as const) {
  describe(`key-value limits (${mode})`, () => {
    let t: TestApp;
    const call = async (command: Record<string, unknown>): Promise<Result> => {
      const res = await fetch(t.url, { method: 'POST', body: JSON.stringify(command) });
      assert.equal(res.status, 200);
      return (await res.json()) as Result;
    };
    const set = (key: string, size: number) => call({ op: 'set', store: 's', key, value: 'x'.repeat(size) });
    const refused = (result: Result, field: string) => {
      assert.equal(result.err?.tag, 'invalid', JSON.stringify(result));
      assert.match(result.err.val, new RegExp(`store "s".*\\(runtime\\.key_value\\.${field}\\)`));
    };

    before(async () => {
      t = await startTestApp({ manifest, workers: 1, ...(mode === 'redis' ? { redis: redis.url } : {}) });
    });
    after(() => t?.stop());

    it('refuses a value past max_value_size and keeps the old one', async () => {
      assert.deepEqual(await set('v', 1024), { ok: null });
      refused(await set('v', 1025), 'max_value_size');
      const got = await call({ op: 'get', store: 's', key: 'v' });
      assert.equal((got.ok as string).length, 1024);
      await call({ op: 'delete', store: 's', key: 'v' });
    });

    it('refuses a set-many carrying a value past max_value_size, setting none of it', async () => {
      refused(await call({ op: 'setMany', store: 's', entries: [['first', 'fine'], ['big', 'x'.repeat(1025)]] }), 'max_value_size');
      assert.deepEqual(await call({ op: 'exists', store: 's', key: 'first' }), { ok: false });
    });

    it('refuses a key past max_key_size, for set and increment', async () => {
      refused(await set('k'.repeat(65), 1), 'max_key_size');
      refused(await call({ op: 'increment', store: 's', key: 'k'.repeat(65), delta: 1 }), 'max_key_size');
      assert.deepEqual(await call({ op: 'exists', store: 's', key: 'k'.repeat(65) }), { ok: false });
    });

    if (mode === 'embedded') {
      it('stops a store at max_store_keys; overwriting and deleting still work', async () => {
        for (const key of ['a', 'b', 'c']) assert.deepEqual(await set(key, 10), { ok: null });
        refused(await set('d', 10), 'max_store_keys');
        refused(await call({ op: 'increment', store: 's', key: 'n', delta: 1 }), 'max_store_keys');
        assert.deepEqual(await set('a', 20), { ok: null }, 'an existing key may change');
        await call({ op: 'delete', store: 's', key: 'a' });
        assert.deepEqual(await set('d', 10), { ok: null }, 'a deleted key frees its room');
        for (const key of ['b', 'c', 'd']) await call({ op: 'delete', store: 's', key });
      });

      it('sets none of a set-many whose entries would pass max_store_keys, and keeps what they overwrote', async () => {
        for (const key of ['a', 'b']) assert.deepEqual(await set(key, 10), { ok: null });
        refused(await call({ op: 'setMany', store: 's', entries: [['a', 'new a'], ['c', 'c'], ['d', 'd']] }), 'max_store_keys');
        assert.deepEqual((await call({ op: 'getMany', store: 's', keys: ['a', 'b', 'c', 'd'] })).ok, ['x'.repeat(10), 'x'.repeat(10), null, null]);
        assert.deepEqual(await call({ op: 'setMany', store: 's', entries: [['a', 'new a'], ['c', 'c']] }), { ok: null }, 'a batch within the bound is set whole');
        assert.deepEqual((await call({ op: 'getMany', store: 's', keys: ['a', 'c'] })).ok, ['new a', 'c']);
        for (const key of ['a', 'b', 'c']) await call({ op: 'delete', store: 's', key });
      });

      it('stops a store at max_store_size, counting keys and values', async () => {
        assert.deepEqual(await set('a', 1000), { ok: null });
        assert.deepEqual(await set('b', 1000), { ok: null });
        refused(await set('c', 100), 'max_store_size');
        assert.deepEqual(await set('b', 10), { ok: null }, 'a smaller value makes room');
        assert.deepEqual(await set('c', 100), { ok: null });
        assert.deepEqual((await call({ op: 'listKeys', store: 's', prefix: '' })).ok, ['a', 'b', 'c']);
      });
    }
  });
}
