/**
 * The services thread: one per app, beside the guest workers, owning the key-value store and
 * its connections (`services-thread-main.ts`). Each worker gets a lane to it, a call slot in
 * shared memory (`call-slot.ts`), so a guest's key-value call is answered without the main
 * thread's event loop, which under HTTP load would make every call wait its turn behind
 * requests. There is one store per process whatever the number of workers, and it lives as long
 * as the app: workers replaced or reloaded (`spindle up --watch`) connect to the same one.
 *
 * The main thread keeps a view of the store by message (`keyValue`), and is told of every call a
 * guest made, after the fact and in batches, to count it in metrics and trace it.
 */
import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { deserializeError, type SerializedError } from '../executor/pool/protocol.js';
import type { KeyValueLimits } from '../kv/limits.js';
import type { KeyValue } from '../kv/store.js';
import { closeSlotMemory, createDoorbell, createSlotMemory } from './call-slot.js';
import type { ObservedThreadCall, ServicesConnector, ThreadServiceName, ThreadServices } from './contract.js';
import { threadEntry } from '../util/thread-entry.js';

export interface ServicesThreadData {
  redisUrl: string | undefined;
  app: string;
  limits: KeyValueLimits;
  /** Whether guest calls are reported back (metrics or tracing are on). */
  observed: boolean;
  /** Rung by every worker's requests. */
  bell: SharedArrayBuffer;
}

export type ToServicesThread =
  | { type: 'connect'; memory: SharedArrayBuffer; port: MessagePort }
  | { type: 'call'; id: number; method: ThreadServiceName; args: unknown[] }
  | { type: 'close' };

type FromServicesThread =
  | { type: 'closed' }
  | { type: 'observed'; calls: ObservedThreadCall[] }
  | { type: 'answer'; id: number; ok: true; value: unknown }
  | { type: 'answer'; id: number; ok: false; error: SerializedError };

export interface ServicesThreadOptions {
  /** Redis mode's server; embedded mode without it. */
  redisUrl?: string;
  app: string;
  limits: KeyValueLimits;
  /** Told of every guest call the thread served; without it nothing is reported. */
  observe?: (call: ObservedThreadCall) => void;
  /** Told when the thread fails; guests' key-value calls then fail at once as `unavailable`. */
  onError(err: Error): void;
}

export interface ServicesThread extends ServicesConnector {
  /** The store as the main thread reaches it, by message. */
  keyValue: KeyValue;
  close(): Promise<void>;
}

const SCRIPT = threadEntry(new URL('./services-thread-main.js', import.meta.url), 'services-thread.js');

/**
 * Starts the thread without waiting for it: calls and worker lanes queue until it is up, so its
 * start-up overlaps the app's component loading instead of adding to it.
 */
export function startServicesThread(options: ServicesThreadOptions): ServicesThread {
  const { observe } = options;
  const bell = createDoorbell();
  const data: ServicesThreadData = { redisUrl: options.redisUrl, app: options.app, limits: options.limits, observed: observe !== undefined, bell };
  const thread = new Worker(SCRIPT, { workerData: data });
  const answers = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let nextId = 0;
  let exited: Error | undefined;
  let storeClosed: () => void = () => {};
  /** Every worker's slot, closed when the thread stops so that no guest waits on it. */
  const slots: SharedArrayBuffer[] = [];
  thread.on('message', (message: FromServicesThread) => {
    if (message.type === 'closed') storeClosed();
    else if (message.type === 'observed') for (const call of message.calls) observe?.(call);
    else if (message.type === 'answer') {
      const waiting = answers.get(message.id);
      answers.delete(message.id);
      if (answers.size === 0) thread.unref();
      if (message.ok) waiting?.resolve(message.value);
      else waiting?.reject(deserializeError(message.error));
    }
  });
  thread.on('exit', (code) => {
    exited = new Error(`the services thread stopped (exit code ${code})`);
    for (const waiting of answers.values()) waiting.reject(exited);
    answers.clear();
    for (const memory of slots.splice(0)) closeSlotMemory(memory);
  });
  thread.on('error', (err) => options.onError(err));
  // Guest workers keep the process alive while they serve; this thread only serves them.
  thread.unref();

  const call = <M extends ThreadServiceName>(method: M, ...args: Parameters<ThreadServices[M]>): ReturnType<ThreadServices[M]> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(exited);
      const id = ++nextId;
      // A call of the main thread's own keeps the process alive until it is answered.
      if (answers.size === 0) thread.ref();
      answers.set(id, { resolve, reject });
      thread.postMessage({ type: 'call', id, method, args } satisfies ToServicesThread);
    }) as ReturnType<ThreadServices[M]>;

  let closing: Promise<void> | undefined;
  return {
    keyValue: {
      get: (store, key) => call('kvGet', store, key),
      set: (store, key, value, ttlMs) => call('kvSet', store, key, value, ttlMs),
      delete: (store, key) => call('kvDelete', store, key),
      exists: (store, key) => call('kvExists', store, key),
      increment: (store, key, delta) => call('kvIncrement', store, key, delta),
      listKeys: (store, prefix) => call('kvListKeys', store, prefix),
      getMany: (store, keys) => call('kvGetMany', store, keys),
      setMany: (store, entries, ttlMs) => call('kvSetMany', store, entries, ttlMs),
      close: () => Promise.resolve(),
    },
    connectWorker() {
      const { port1, port2 } = new MessageChannel();
      const memory = createSlotMemory();
      if (exited) closeSlotMemory(memory);
      else slots.push(memory);
      thread.postMessage({ type: 'connect', memory, port: port1 } satisfies ToServicesThread, [port1]);
      return { lane: { memory, port: port2, bell }, transfer: [port2] };
    },
    close() {
      closing ??= (async () => {
        if (exited) return;
        const closed = new Promise<void>((resolve) => (storeClosed = resolve));
        thread.ref();
        thread.postMessage({ type: 'close' } satisfies ToServicesThread);
        await Promise.race([closed, once(thread, 'exit')]);
        await thread.terminate();
      })();
      return closing;
    },
  };
}
