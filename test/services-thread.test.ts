import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { createDoorbell, createSlotMemory, SlotHost, SLOT_BYTES } from '../src/capabilities/call-slot.js';
import { startServicesThread, type ServicesThread } from '../src/capabilities/services-thread.js';
import { decodeSlotValue, encodeSlotValue, type SlotValue } from '../src/capabilities/slot-codec.js';

const WORKER = new URL('./fixtures/services-lane-worker.js', import.meta.url);
const LIMITS = { maxKeyBytes: 64, maxValueBytes: 4 * SLOT_BYTES, maxStoreBytes: 64 * SLOT_BYTES, maxStoreKeys: 100 };

type Reply = { ok: boolean; value?: unknown; name?: string; message?: string };

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function call(worker: Worker, method: string, args: unknown[], timeoutMs = 2_000): Promise<Reply> {
  worker.postMessage({ method, args, timeoutMs });
  const [reply] = await once(worker, 'message');
  return reply as Reply;
}

describe('the call slot encoding', () => {
  it('reads back every kind of value it writes, text of any script and 64-bit integers included', () => {
    const value: SlotValue = [undefined, null, true, false, 0.5, -(2n ** 63n), 2n ** 63n - 1n, '', 'zürich 東京 🚀', new Uint8Array([0, 255, 7]), [[], ['nested', 1]]];
    const buf = Buffer.alloc(1024);
    const length = encodeSlotValue(value, buf)!;
    assert.deepEqual(decodeSlotValue(buf, length), value);
  });

  it('reports a value that does not fit instead of cutting it', () => {
    const buf = Buffer.alloc(64);
    assert.equal(encodeSlotValue('é'.repeat(40), buf), undefined);
    assert.equal(encodeSlotValue(new Uint8Array(60), buf), undefined);
    assert.equal(encodeSlotValue(['x'.repeat(30), 'y'.repeat(30)], buf), undefined);
    assert.equal(encodeSlotValue('é'.repeat(20), buf), 45);
  });
});

describe('key-value calls through the services thread', () => {
  let services: ServicesThread;
  const workers: Worker[] = [];

  before(() => {
    services = startServicesThread({ app: 'lanes', limits: LIMITS, onError: (err) => assert.fail(err) });
    for (let i = 0; i < 2; i++) {
      const { lane, transfer } = services.connectWorker();
      workers.push(new Worker(WORKER, { workerData: { lane }, transferList: transfer }));
    }
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
    await services.close();
  });

  it('keeps one store for every worker and for the main thread', async () => {
    const [first, second] = workers as [Worker, Worker];
    assert.equal((await call(first, 'kvSet', ['s', 'greeting', new TextEncoder().encode('hello'), undefined])).ok, true);
    const read = await call(second, 'kvGet', ['s', 'greeting']);
    assert.equal(new TextDecoder().decode(read.value as Uint8Array), 'hello');
    assert.deepEqual((await call(second, 'kvIncrement', ['s', 'n', 5n])).value, 5n);
    assert.deepEqual((await call(first, 'kvIncrement', ['s', 'n', -2n])).value, 3n);
    assert.equal(new TextDecoder().decode(await services.keyValue.get('s', 'n')), '3');
    assert.deepEqual((await call(first, 'kvListKeys', ['s', ''])).value, ['greeting', 'n']);
    assert.deepEqual((await call(first, 'kvGet', ['s', 'missing'])).value, undefined);
  });

  it('answers the main thread while a worker calls in a tight loop, and counts every call once', async () => {
    const until = new Int32Array(new SharedArrayBuffer(4));
    workers[0]!.postMessage({ method: 'kvIncrement', args: ['loop', 'n', 1n], timeoutMs: 2_000, until });
    const looping = once(workers[0]!, 'message');
    // Quick calls are served without a turn of the services thread's event loop; the main thread's still get one.
    await waitFor(async () => (await services.keyValue.get('loop', 'n')) !== undefined);
    const seenByMain = Number(new TextDecoder().decode(await services.keyValue.get('loop', 'n')));
    Atomics.store(until, 0, 1);
    const [{ value: calls }] = (await looping) as [Reply];
    assert.ok(seenByMain >= 1 && seenByMain <= (calls as number), `main thread saw ${seenByMain} of ${String(calls)}`);
    assert.equal(new TextDecoder().decode(await services.keyValue.get('loop', 'n')), String(calls));
  });

  it('carries values larger than the slot both ways, byte for byte', async () => {
    const big = new Uint8Array(3 * SLOT_BYTES).map((_, i) => (i * 7) % 251);
    assert.equal((await call(workers[0]!, 'kvSet', ['s', 'big', big, undefined])).ok, true);
    assert.deepEqual((await call(workers[1]!, 'kvGet', ['s', 'big'])).value, big);
    // The slot still serves small calls after a large one crossed beside it.
    assert.equal((await call(workers[1]!, 'kvExists', ['s', 'big'])).value, true);
  });

  it('refuses what passes the store bounds as invalid, naming the bound', async () => {
    const reply = await call(workers[0]!, 'kvSet', ['s', 'k'.repeat(65), new Uint8Array(1), undefined]);
    assert.deepEqual([reply.ok, reply.name], [false, 'CapabilityInvalidError']);
    assert.match(reply.message!, /runtime\.key_value\.max_key_size/);
  });

  it('refuses a method it does not serve', async () => {
    const reply = await call(workers[0]!, 'publish', ['news', new Uint8Array()]);
    assert.deepEqual([reply.ok, reply.message], [false, 'no host service "publish" on the services thread']);
  });
});

describe('a services thread that stops', () => {
  it('fails the calls of every worker at once, naming why, instead of letting each wait out its timeout', async () => {
    const errors: Error[] = [];
    // A store that cannot be made (not a Redis address) stops the thread as it starts.
    const services = startServicesThread({ app: 'stops', limits: LIMITS, redisUrl: 'http://not-redis', onError: (err) => errors.push(err) });
    const early = services.connectWorker();
    const worker = new Worker(WORKER, { workerData: { lane: early.lane }, transferList: early.transfer });
    try {
      const first = await call(worker, 'kvGet', ['s', 'k'], 60_000);
      assert.deepEqual([first.ok, first.name], [false, 'ServicesThreadStoppedError']);
      assert.match(first.message!, /kvGet cannot be answered: the services thread has stopped/);
      assert.match(errors[0]?.message ?? '', /redis:\/\/ or rediss:\/\//);
      // A lane made after the thread stopped is closed from the start.
      const late = services.connectWorker();
      const lateWorker = new Worker(WORKER, { workerData: { lane: late.lane }, transferList: late.transfer });
      try {
        assert.equal((await call(lateWorker, 'kvSet', ['s', 'k', new Uint8Array(1), undefined], 60_000)).name, 'ServicesThreadStoppedError');
      } finally {
        await lateWorker.terminate();
      }
    } finally {
      await worker.terminate();
      await services.close();
    }
  });
});

describe('a call slot whose service is slow', () => {
  let worker: Worker;
  let server: SlotHost;

  before(() => {
    const memory = createSlotMemory();
    const bell = createDoorbell();
    const { port1, port2 } = new MessageChannel();
    server = new SlotHost(bell);
    server.add(
      memory,
      port1,
      async (request) => {
        const [method, args] = request as [string, SlotValue[]];
        if (method === 'slow') await new Promise((resolve) => setTimeout(resolve, 500));
        return [true, `${method}:${String(args[0])}`];
      },
      false,
    );
    worker = new Worker(WORKER, { workerData: { lane: { memory, port: port2, bell } }, transferList: [port2] });
  });
  after(async () => {
    server.close();
    await worker.terminate();
  });

  it('gives up after its timeout, and the late reply is not taken for the next call\'s answer', async () => {
    const slow = await call(worker, 'slow', ['a'], 100);
    assert.deepEqual([slow.ok, slow.name], [false, 'HostCallTimeoutError']);
    const next = await call(worker, 'kvGet', ['b'], 2_000);
    assert.deepEqual([next.ok, next.value], [true, 'kvGet:b']);
  });
});
