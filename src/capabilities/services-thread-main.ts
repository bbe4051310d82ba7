/**
 * The entry of the services thread (`services-thread.ts`): it owns the app's key-value store
 * (the embedded maps, or its own Redis connection in redis mode) and answers the workers'
 * key-value calls through their call slots. Its event loop does nothing else, so a call waits
 * for no HTTP traffic on the main thread. The main thread reaches the same store through
 * messages, and hears of every call a guest made so it can count and trace it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyValue } from '../kv/index.js';
import { serializeError } from '../executor/pool/protocol.js';
import { SlotHost } from './call-slot.js';
import { isThreadService, type ObservedThreadCall, type ThreadServices } from './contract.js';
import { keyValueServices } from './host-services.js';
import type { SlotValue } from './slot-codec.js';
import type { ServicesThreadData, ToServicesThread } from './services-thread.js';

if (!parentPort) throw new Error('capabilities/services-thread-main.ts is the entry of a worker thread, not a module to import');
const parent = parentPort;
const { redisUrl, app, limits, observed, bell } = workerData as ServicesThreadData;

const keyValue = await createKeyValue(redisUrl, app, limits);
const services = keyValueServices(keyValue) as unknown as Record<keyof ThreadServices, (...args: unknown[]) => Promise<SlotValue>>;
const slots = new SlotHost(bell);

/** Calls waiting to be reported to the main thread, sent together once this turn ends. */
let observations: ObservedThreadCall[] = [];
function report(call: ObservedThreadCall): void {
  if (observations.length === 0) setImmediate(() => parent.postMessage({ type: 'observed', calls: observations.splice(0) }));
  observations.push(call);
}

/** The service `method` names, for a worker's slot request and the main thread's message alike. */
function serviceFor(method: string): (...args: unknown[]) => Promise<SlotValue> {
  if (!isThreadService(method)) throw new Error(`no host service "${method}" on the services thread`);
  return services[method];
}

/** Answers one slot request `[method, args, trace?]` with `[true, value]` or `[false, [name, message]]`. */
async function serve(request: SlotValue): Promise<SlotValue> {
  const [method, args, trace] = request as [string, SlotValue[], [string, string?] | undefined];
  const started = performance.now();
  let error: string | undefined;
  try {
    return [true, await serviceFor(method)(...args)];
  } catch (err) {
    error = (err as Error)?.message ?? String(err);
    const { name, message } = serializeError(err);
    return [false, [name, message]];
  } finally {
    if (observed) {
      const ms = performance.now() - started;
      report({ method, startedAt: performance.timeOrigin + started, ms, ...(error === undefined ? {} : { error }), ...(trace ? { trace: trace[1] ? { traceparent: trace[0], tracestate: trace[1] } : { traceparent: trace[0] } } : {}) });
    }
  }
}

parent.on('message', (message: ToServicesThread) => {
  switch (message.type) {
    case 'connect': {
      slots.add(message.memory, message.port, serve, observed);
      return;
    }
    case 'call': {
      const { id, method, args } = message;
      // An unknown method is answered as a failure, not thrown in this thread.
      void (async () => serviceFor(method)(...args))().then(
        (value) => parent.postMessage({ type: 'answer', id, ok: true, value }),
        (err: unknown) => parent.postMessage({ type: 'answer', id, ok: false, error: serializeError(err) }),
      );
      return;
    }
    case 'close':
      slots.close();
      void keyValue.close().finally(() => {
        parent.postMessage({ type: 'closed' });
        parent.close();
      });
  }
});
