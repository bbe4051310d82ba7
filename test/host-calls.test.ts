import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { serveHostCalls } from '../src/executor/pool/host-call-bridge.js';

describe('synchronous host calls from a worker thread', () => {
  let worker: Worker;
  const store = new Map<string, string>([['greeting', 'hello']]);

  before(() => {
    const { port1, port2 } = new MessageChannel();
    // Real asynchrony: each answer comes from a later turn of the main thread's event loop.
    const later = () => new Promise((resolve) => setTimeout(resolve, 20));
    serveHostCalls(port1, {
      get: async (key: string) => (await later(), store.get(key) ?? null),
      big: async (n: number) => (await later(), 'x'.repeat(n)),
      fail: async (name: string) => {
        await later();
        throw new Error(`no such store "${name}"`);
      },
      slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 500)),
    });
    worker = new Worker(new URL('./fixtures/host-call-worker.js', import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
  });
  after(() => worker.terminate());

  async function call(method: string, args: unknown[], timeoutMs = 2_000) {
    worker.postMessage({ method, args, timeoutMs });
    const [reply] = await once(worker, 'message');
    return reply as { ok: boolean; value?: unknown; name?: string; message?: string; blockedMs?: number };
  }

  it('returns the main thread\'s async answer to a worker that blocks for it', async () => {
    const reply = await call('get', ['greeting']);
    assert.deepEqual([reply.ok, reply.value], [true, 'hello']);
    assert.ok(reply.blockedMs! >= 15, 'the worker waited for the answer rather than returning early');
    assert.deepEqual((await call('get', ['missing'])).value, null);
  });

  it('carries replies larger than any fixed buffer', async () => {
    const reply = await call('big', [1_000_000]);
    assert.equal((reply.value as string).length, 1_000_000);
  });

  it('throws the host\'s error in the worker, with its message', async () => {
    const reply = await call('fail', ['sessions']);
    assert.deepEqual([reply.ok, reply.message], [false, 'no such store "sessions"']);
  });

  it('refuses a method the main thread does not offer, naming it', async () => {
    const reply = await call('toString', []);
    assert.deepEqual([reply.ok, reply.message], [false, 'no host service "toString"']);
  });

  it('gives up after its timeout, and a late reply is not taken for the next call\'s answer', async () => {
    const slow = await call('slow', [], 100);
    assert.deepEqual([slow.ok, slow.name], [false, 'HostCallTimeoutError']);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const next = await call('get', ['greeting']);
    assert.deepEqual([next.ok, next.value], [true, 'hello']);
  });
});
