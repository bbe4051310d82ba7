/**
 * The main thread's answers to guests' host calls: the broker for `publish` and `enqueue`, the
 * key-value driver for `kv`, and `fetch` for outgoing HTTP. Grants were checked in the worker
 * before the call was made (`executor/capabilities.ts`); what fails here is the service, and
 * the error goes back to the guest as a value.
 */
import type { Broker, EnqueueOptions } from './brokers/broker.js';
import { concat } from './bytes.js';
import type { HostCallHandler } from './executor/host-calls.js';
import type { IncomingResponseData, OutgoingRequestData } from './executor/outgoing-http.js';
import type { KeyValue } from './kv/store.js';
import { formatSize } from './manifest/units.js';

export interface HostServicesOptions {
  broker: Broker;
  keyValue: KeyValue;
  /** The largest outgoing-HTTP response body passed to a guest. */
  maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

type KvOp = 'get' | 'set' | 'delete' | 'exists' | 'increment' | 'listKeys';

export function hostServices(options: HostServicesOptions): HostCallHandler {
  const { broker, keyValue } = options;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const methods: Record<string, (...args: any[]) => Promise<unknown>> = {
    publish: (channel: string, data: Uint8Array) => broker.publish(channel, data),
    enqueue: (queue: string, data: Uint8Array, opts: EnqueueOptions) => broker.enqueue(queue, data, opts),
    kv: (op: KvOp, store: string, ...args: unknown[]) => (keyValue[op] as (...a: unknown[]) => Promise<unknown>)(store, ...args),
    fetch: (request: OutgoingRequestData, timeoutMs: number) => send(request, timeoutMs, maxResponseBytes),
  };
  return async (method, args) => {
    const serve = methods[method];
    if (!serve) throw new Error(`unknown host call ${method}`);
    return serve(...args);
  };
}

/**
 * Sends a guest's request. Redirects are handed to the guest rather than followed, so a
 * redirect can never lead a request outside the hosts the guest is allowed.
 */
async function send(request: OutgoingRequestData, timeoutMs: number, maxBytes: number): Promise<IncomingResponseData> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    ...(request.body && request.method !== 'GET' && request.method !== 'HEAD' ? { body: request.body as Uint8Array<ArrayBuffer> } : {}),
  }).catch((err: Error) => {
    throw new Error(`${request.method} ${request.url} failed: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  });
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      await response.body?.cancel();
      throw new Error(`${request.method} ${request.url}: response body larger than ${formatSize(maxBytes)}`);
    }
    chunks.push(chunk);
  }
  const body = concat(chunks);
  const headers: Array<[string, string]> = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  return { status: response.status, headers, body };
}
