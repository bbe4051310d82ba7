/**
 * Synchronous calls from a guest's worker thread to async host code on the main thread.
 *
 * Guests run synchronously (Node 20 has no JSPI), yet some imports need an answer from async
 * Node I/O — a key-value read from Redis, an outgoing request. The worker posts the request on
 * a dedicated port and sleeps on `Atomics.wait`; the main thread runs the service, posts the
 * reply and wakes it; the worker then takes the reply off the port with
 * `receiveMessageOnPort`, so replies of any size cross without a shared buffer to outgrow.
 *
 * The bridge is generic over the services it carries: the methods and their types are the
 * capabilities' contract (`capabilities/contract.ts`), which both ends compile against.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { errorMessage } from '../../errors.js';
import { hostCallEvent, type SpindleEvent } from '../../event.js';
import { deserializeError, serializeError, type SerializedError } from './protocol.js';

/** Services as a worker calls them: each async method blocking until it is answered. */
export type Blocking<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

interface Request {
  id: number;
  method: string;
  args: unknown[];
  /** Four bytes the main thread sets to 1, waking the waiting worker. */
  signal: SharedArrayBuffer;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** A host call that did not answer in time. */
export class HostCallTimeoutError extends Error {
  override name = 'HostCallTimeoutError';
}

/**
 * Main thread: answers the requests arriving on `port` with `services`, each within
 * `hostCallEvent` of the event `runningEvent` names (the one the worker is running).
 */
export function serveHostCalls(port: MessagePort, services: object, runningEvent: () => SpindleEvent | undefined = () => undefined): void {
  const methods = services as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  port.on('message', async ({ id, method, args, signal }: Request) => {
    let reply: Reply;
    try {
      const serve = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!serve) throw new Error(`no host service "${method}"`);
      const event = runningEvent();
      reply = { id, ok: true, value: await (event ? hostCallEvent.run(event, () => serve(...args)) : serve(...args)) };
    } catch (err) {
      reply = { id, ok: false, error: serializeError(err) };
    }
    try {
      port.postMessage(reply);
    } catch (err) {
      port.postMessage({ id, ok: false, error: serializeError(new Error(`the result of ${method} cannot cross threads: ${errorMessage(err)}`)) } satisfies Reply);
    }
    const flag = new Int32Array(signal);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
}

/** Worker thread: makes blocking calls through `port`. */
export class HostCallClient {
  readonly #port: MessagePort;
  /** One flag for every call: allocating shared memory per call cost more than the call. */
  readonly #signal = new SharedArrayBuffer(4);
  readonly #flag = new Int32Array(this.#signal);
  #next = 0;

  constructor(port: MessagePort) {
    this.#port = port;
  }

  /**
   * Calls `method` on the main thread and blocks until it answers or `timeoutMs` passes.
   * Returns its result or throws its error (or a `HostCallTimeoutError`).
   */
  call(method: string, args: unknown[], timeoutMs: number): unknown {
    const id = ++this.#next;
    const deadline = performance.now() + timeoutMs;
    Atomics.store(this.#flag, 0, 0);
    this.#port.postMessage({ id, method, args, signal: this.#signal } satisfies Request);
    for (;;) {
      for (let received = receiveMessageOnPort(this.#port); received; received = receiveMessageOnPort(this.#port)) {
        const reply = received.message as Reply;
        // Replies to calls that timed out earlier arrive late; they are no one's answer now,
        // though their flag may have woken this wait.
        if (reply.id !== id) continue;
        if (reply.ok) return reply.value;
        throw deserializeError(reply.error);
      }
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(this.#flag, 0, 0, left) === 'timed-out') {
        throw new HostCallTimeoutError(`host call ${method} did not answer within ${timeoutMs} ms`);
      }
      Atomics.store(this.#flag, 0, 0);
    }
  }

  /** `S` as blocking calls, each bounded by `timeoutMs`. */
  services<S extends object>(timeoutMs: number): Blocking<S> {
    return new Proxy({} as Blocking<S>, {
      get: (_, method) => (...args: unknown[]) => this.call(String(method), args, timeoutMs),
    });
  }
}
