/**
 * The host capabilities with JavaScript values: strings and JSON in, numbers for times and
 * counts. Each call throws when the manifest does not grant it; left uncaught, `handler()`
 * fails the event with the reason.
 */
import * as keyValue from 'spindle:app/key-value@0.1.0';
import { log as hostLog, type Level } from 'spindle:app/log@0.1.0';
import { publish as hostPublish } from 'spindle:app/pubsub@0.1.0';
import { enqueue as hostEnqueue } from 'spindle:app/queue@0.1.0';
import { get as hostVariable } from 'spindle:app/variables@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Data as the host takes it: bytes as they are, a string as UTF-8, anything else as JSON. */
export type Payload = Uint8Array | string | number | boolean | null | object;

function encode(data: Payload): Uint8Array {
  if (data instanceof Uint8Array) return data;
  return encoder.encode(typeof data === 'string' ? data : JSON.stringify(data));
}

export interface SetOptions {
  /** Expire the key this long from now. */
  ttlMs?: number;
}

/** Key-value stores granted by `key_value_stores`. */
export const kv = {
  get: (store: string, key: string): Uint8Array | undefined => keyValue.get(store, key),
  getText(store: string, key: string): string | undefined {
    const value = keyValue.get(store, key);
    return value === undefined ? undefined : decoder.decode(value);
  },
  getJson<T = unknown>(store: string, key: string): T | undefined {
    const value = keyValue.get(store, key);
    return value === undefined ? undefined : (JSON.parse(decoder.decode(value)) as T);
  },
  set(store: string, key: string, value: Payload, options: SetOptions = {}): void {
    keyValue.set(store, key, encode(value), options.ttlMs === undefined ? undefined : BigInt(options.ttlMs));
  },
  delete: (store: string, key: string): boolean => keyValue.delete(store, key),
  exists: (store: string, key: string): boolean => keyValue.exists(store, key),
  /** Adds `delta` (default 1) to the integer at `key`, atomically; returns the new value. */
  increment: (store: string, key: string, delta = 1): number => Number(keyValue.increment(store, key, BigInt(delta))),
  listKeys: (store: string, prefix = ''): string[] => keyValue.listKeys(store, prefix),
  /** The values at `keys`, in their order, in one call (one Redis round trip in redis mode). */
  getMany: (store: string, keys: string[]): Array<Uint8Array | undefined> => keyValue.getMany(store, keys),
  /** Sets every entry, all or none, in one call. */
  setMany(store: string, entries: Array<[string, Payload]>, options: SetOptions = {}): void {
    keyValue.setMany(store, entries.map(([key, value]) => [key, encode(value)]), options.ttlMs === undefined ? undefined : BigInt(options.ttlMs));
  },
};

/** Publishes on a channel granted by `publish_channels`. */
export function publish(channel: string, data: Payload): void {
  hostPublish(channel, encode(data));
}

export interface EnqueueOptions {
  delayMs?: number;
  attempts?: number;
  /** A job with an id that exists is not added again. */
  jobId?: string;
}

/** Adds a job to a queue granted by `enqueue_queues`; returns its id. */
export function enqueue(queue: string, data: Payload, options: EnqueueOptions = {}): string {
  const { delayMs, attempts, jobId } = options;
  return hostEnqueue(queue, encode(data), { delayMs: delayMs === undefined ? undefined : BigInt(delayMs), attempts, jobId });
}

/** A variable the manifest maps into this component. */
export function variable(name: string): string {
  return hostVariable(name);
}

export type { Level };

/** Lines into the host's structured log, tagged with the component and the event. */
export const log = {
  debug: (message: string): void => hostLog('debug', message),
  info: (message: string): void => hostLog('info', message),
  warn: (message: string): void => hostLog('warn', message),
  error: (message: string): void => hostLog('error', message),
};
