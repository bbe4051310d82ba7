/**
 * The one contract between the two halves of Spindle's host capabilities. A guest runs on a
 * worker thread and calls its imports synchronously; what needs the broker, a store or the
 * network is served on the main thread, which owns those connections. `HostServices` names
 * every such call with its argument and result types: the main thread implements it
 * (`host-services.ts`), the worker calls it as `BlockingHostServices` (`guest-imports.ts`,
 * `outgoing-http.ts`), and a misspelt method or a wrong argument fails to compile on either
 * side. This module imports nothing that opens a connection, so worker code may depend on it.
 */
import type { MessagePort } from 'node:worker_threads';

/** The interfaces of Spindle's own world a guest may import (`wit/spindle.wit`), unversioned. */
export const SPINDLE_INTERFACES = [
  'spindle:app/types',
  'spindle:app/log',
  'spindle:app/pubsub',
  'spindle:app/queue',
  'spindle:app/key-value',
  'spindle:app/variables',
] as const;
export type SpindleInterface = (typeof SPINDLE_INTERFACES)[number];

/**
 * Spin's platform interfaces a guest may import (`spin-imports.ts`), each as `name@version`, or
 * the bare name where Spin's WIT declares it unversioned. Spin's SDKs import the whole platform
 * world whatever a component uses, so every interface here links; those Spindle has no service
 * for answer each call with their own error value.
 */
export const SPIN_INTERFACES = [
  'fermyon:spin/redis-types',
  'fermyon:spin/key-value@2.0.0',
  'fermyon:spin/variables@2.0.0',
  'fermyon:spin/llm@2.0.0',
  'fermyon:spin/redis@2.0.0',
  'fermyon:spin/postgres@2.0.0',
  'fermyon:spin/mysql@2.0.0',
  'fermyon:spin/mqtt@2.0.0',
  'fermyon:spin/sqlite@2.0.0',
  'fermyon:spin/rdbms-types@2.0.0',
  'spin:postgres/postgres@3.0.0',
  'spin:postgres/postgres@4.0.0',
  'spin:sqlite/sqlite@3.0.0',
  'wasi:keyvalue/store@0.2.0-draft2',
  'wasi:keyvalue/atomics@0.2.0-draft2',
  'wasi:keyvalue/batch@0.2.0-draft2',
  'wasi:config/store@0.2.0-draft-2024-09-27',
  'fermyon:spin-cron/cron-types@2.0.0',
] as const;

/**
 * A Spin interface, spelt as the key its imports are looked up under. jco drops versions from
 * import keys, so one interface at two versions (`spin:postgres/postgres` at 3.0.0 and 4.0.0)
 * would collide; transpiling with `SPIN_IMPORT_MAP` keeps the version in the key instead.
 */
export type SpinInterface = (typeof SPIN_INTERFACES)[number];

/** jco's `map` option: every versioned Spin interface imported under its versioned key. */
export const SPIN_IMPORT_MAP: Record<string, string> = Object.fromEntries(SPIN_INTERFACES.filter((key) => key.includes('@')).map((key) => [key, key]));

/** What a component is allowed to touch, from its manifest entry. */
export interface Grants {
  keyValueStores: string[];
  sqliteDatabases: string[];
  publishChannels: string[];
  enqueueQueues: string[];
  /** The component's variables, already rendered. */
  variables: Record<string, string>;
}

export interface JobOptions {
  delayMs?: number;
  attempts?: number;
  jobId?: string;
}

/** An outgoing HTTP request as it crosses to the main thread. */
export interface OutgoingRequestData {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: Uint8Array;
}

/** A response as it comes back, its body read to the end. */
export interface IncomingResponseData {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** An argument of an outbound Redis command: text or bytes as given, an integer as its digits. */
export type RedisArgument = string | Uint8Array | bigint;

/** An outbound Redis reply: nil, an integer, a bulk string, a status line, or an array of replies. */
export type RedisReply = null | bigint | Uint8Array | { status: string } | RedisReply[];

/** A SQLite value as it crosses threads: NULL, an integer, a real, text or a blob. */
export type SqliteValue = null | bigint | number | string | Uint8Array;

/** What a statement returned: its column names and rows (none for a statement that reads nothing). */
export interface SqliteResult {
  columns: string[];
  rows: SqliteValue[][];
}

/** The main thread's side: every call answers asynchronously; results must survive `postMessage`. */
export interface HostServices {
  publish(channel: string, data: Uint8Array): Promise<void>;
  enqueue(queue: string, data: Uint8Array, options: JobOptions): Promise<string>;
  kvGet(store: string, key: string): Promise<Uint8Array | undefined>;
  kvSet(store: string, key: string, value: Uint8Array, ttlMs?: number): Promise<void>;
  kvDelete(store: string, key: string): Promise<boolean>;
  kvExists(store: string, key: string): Promise<boolean>;
  kvIncrement(store: string, key: string, delta: bigint): Promise<bigint>;
  kvListKeys(store: string, prefix: string): Promise<string[]>;
  kvGetMany(store: string, keys: string[]): Promise<Array<Uint8Array | undefined>>;
  kvSetMany(store: string, entries: Array<[string, Uint8Array]>, ttlMs?: number): Promise<void>;
  fetch(request: OutgoingRequestData, timeoutMs: number): Promise<IncomingResponseData>;
  /** Spin's outbound Redis: `command` on the Redis at `address` (a `redis://` URL the guest was allowed). */
  redisExecute(address: string, command: string, args: RedisArgument[]): Promise<RedisReply>;
  /** Spin's SQLite: `statement` with `params` on the app's database `database`. */
  sqliteExecute(database: string, statement: string, params: SqliteValue[]): Promise<SqliteResult>;
}

/**
 * The calls the services thread answers (`services-thread.ts`) with the store connections it
 * owns, so they never wait for the main thread's event loop; the main thread serves the rest.
 */
export const THREAD_SERVICES = ['kvGet', 'kvSet', 'kvDelete', 'kvExists', 'kvIncrement', 'kvListKeys', 'kvGetMany', 'kvSetMany'] as const satisfies ReadonlyArray<keyof HostServices>;
export type ThreadServiceName = (typeof THREAD_SERVICES)[number];
export type ThreadServices = Pick<HostServices, ThreadServiceName>;

export function isThreadService(method: string): method is ThreadServiceName {
  return (THREAD_SERVICES as readonly string[]).includes(method);
}

/** A worker's end of its lane to the services thread: its call slot's memory and port. */
export interface ServicesLane {
  memory: SharedArrayBuffer;
  port: MessagePort;
  /** The services thread's doorbell, rung with each request. */
  bell: SharedArrayBuffer;
}

/** Gives a worker about to start its lane: `lane` goes in its `workerData`, `transfer` with it. */
export interface ServicesConnector {
  connectWorker(): { lane: ServicesLane; transfer: MessagePort[] };
}

/** One guest call the services thread served, as it reports it afterwards. */
export interface ObservedThreadCall {
  method: string;
  /** When it started, in milliseconds since the epoch. */
  startedAt: number;
  ms: number;
  /** Its failure's message, when it failed. */
  error?: string;
  /** The trace context of the event that made it, when tracing is on. */
  trace?: { traceparent: string; tracestate?: string };
}

/** The worker's side: each service as a call that blocks until it is answered. */
export type BlockingHostServices = {
  [K in keyof HostServices]: (...args: Parameters<HostServices[K]>) => Awaited<ReturnType<HostServices[K]>>;
};

/** The `name` that tells an "invalid input" failure apart once it has crossed threads. */
export const INVALID_ERROR_NAME = 'CapabilityInvalidError';

/** A call the data cannot serve (not a counter, too large): the guest gets `invalid`, not `unavailable`. */
export class CapabilityInvalidError extends Error {
  override name = INVALID_ERROR_NAME;
}
