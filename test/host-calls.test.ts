import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { serveHostCalls } from '../src/executor/host-calls.js';

describe('synchronous host calls from a worker thread', () => {
  let worker: Worker;
  const store = new Map<string, string>([['greeting', 'hello']]);

  before(() => {
    const { port1, port2 } = new MessageChannel();
    serveHostCalls(port1, async (method, args) => {
      // Real asynchrony: the answer comes from a later turn of the main thread's event loop.
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (method === 'get') return store.get(String(args[0])) ?? null;
      if (method === 'big') return 'x'.repeat(Number(args[0]));
      if (method === 'fail') throw new Error(`no such store "${args[0]}"`);
      if (method === 'slow') return new Promise((resolve) => setTimeout(() => resolve('late'), 500));
      throw new Error(`unknown method ${method}`);
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

  it('gives up after its timeout, and a late reply is not taken for the next call\'s answer', async () => {
    const slow = await call('slow', [], 100);
    assert.deepEqual([slow.ok, slow.name], [false, 'HostCallTimeoutError']);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const next = await call('get', ['greeting']);
    assert.deepEqual([next.ok, next.value], [true, 'hello']);
  });
});
