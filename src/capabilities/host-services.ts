/**
 * The host's half of the capabilities: the broker for `publish` and `enqueue`, the key-value
 * driver for the `kv*` calls (served on the services thread, `keyValueServices`), `fetch` for
 * outgoing HTTP, Spin's outbound Redis and SQLite. Grants were checked in the worker before the
 * call was made (`guest-imports.ts`, `outgoing-http.ts`); what fails
 * here is the service, and the error goes back to the guest as a value.
 */
import { InvalidJobIdError, type Broker } from '../brokers/broker.js';
import { KeyValueInvalidError, type KeyValue } from '../kv/store.js';
import { hostCallEvent, traceAttributes, traceContextOf, type TraceContext } from '../event.js';
import { formatSize } from '../manifest/units.js';
import { concat } from '../util/bytes.js';
import { CapabilityInvalidError, type HostServices, type IncomingResponseData, type OutgoingRequestData, type ThreadServices } from './contract.js';
import type { OutboundRedis } from './outbound-redis.js';
import type { SqliteDatabases } from './sqlite.js';

export interface HostServicesOptions {
  broker: Broker;
  keyValue: KeyValue;
  /** Connections to the Redis servers guests open through Spin's outbound Redis. */
  outboundRedis: OutboundRedis;
  /** The app's SQLite databases. */
  sqlite: SqliteDatabases;
  /** The largest outgoing-HTTP response body passed to a guest. */
  maxResponseBytes?: number;
}

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * A service's own "bad input" (a store's value that is not a counter, a job id the broker
 * refuses) becomes the capability's `invalid`, which crosses threads by name.
 */
function invalidAsCapabilityError(err: unknown): never {
  if (err instanceof KeyValueInvalidError || err instanceof InvalidJobIdError) throw new CapabilityInvalidError(err.message, { cause: err });
  throw err;
}

export function hostServices(options: HostServicesOptions): HostServices {
  const { broker, keyValue: kv, outboundRedis, sqlite } = options;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return {
    publish: (channel, data) => broker.publish(channel, data),
    enqueue: (queue, data, opts) => {
      const trace = traceContextOf(hostCallEvent.getStore());
      return broker.enqueue(queue, data, trace ? { ...opts, trace } : opts).catch(invalidAsCapabilityError);
    },
    ...keyValueServices(kv),
    fetch: (request, timeoutMs) => send(withTrace(request, traceContextOf(hostCallEvent.getStore())), timeoutMs, maxResponseBytes),
    redisExecute: (address, command, args) => outboundRedis.execute(address, command, args),
    sqliteExecute: async (database, statement, params) => sqlite.execute(database, statement, params),
  };
}

/** The key-value calls on `kv`, wherever they are served (the services thread, or here). */
export function keyValueServices(kv: KeyValue): ThreadServices {
  return {
    kvGet: (store, key) => kv.get(store, key),
    kvSet: (store, key, value, ttlMs) => kv.set(store, key, value, ttlMs).catch(invalidAsCapabilityError),
    kvDelete: (store, key) => kv.delete(store, key),
    kvExists: (store, key) => kv.exists(store, key),
    kvIncrement: (store, key, delta) => kv.increment(store, key, delta).catch(invalidAsCapabilityError),
    kvListKeys: (store, prefix) => kv.listKeys(store, prefix),
    kvGetMany: (store, keys) => kv.getMany(store, keys).catch(invalidAsCapabilityError),
    kvSetMany: (store, entries, ttlMs) => kv.setMany(store, entries, ttlMs).catch(invalidAsCapabilityError),
  };
}

/** `request` carrying the event's trace, unless the guest set its own `traceparent`. */
function withTrace(request: OutgoingRequestData, trace: TraceContext | undefined): OutgoingRequestData {
  if (!trace || request.headers.some(([name]) => name.toLowerCase() === 'traceparent')) return request;
  return { ...request, headers: [...request.headers, ...traceAttributes(trace)] };
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
