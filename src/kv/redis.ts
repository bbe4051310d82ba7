/**
 * The Redis key-value driver: store `s`, key `k` of app `a` is the Redis key
 * `spindle:a:kv:s:k`, so apps and stores sharing a Redis never see each other's keys.
 * Increments are INCRBY, atomic across every process; TTLs are Redis's own (PX).
 */
import { Redis } from 'ioredis';
import { redisOptionsFromUrl } from '../redis/url.js';
import { KeyValueInvalidError, notACounter, overflow, type KeyValue } from './store.js';

export interface RedisKeyValueOptions {
  url: string;
  app: string;
  /** Prefix before the app name; default `spindle`. */
  prefix?: string;
}

/** Redis's glob characters in a literal prefix, escaped for SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

const SCAN_BATCH = 500;

export function createRedisKeyValue(options: RedisKeyValueOptions): KeyValue {
  const prefix = `${options.prefix ?? 'spindle'}:${options.app}:kv:`;
  const keyOf = (store: string, key: string) => `${prefix}${store}:${key}`;
  // Commands fail fast while Redis is away, instead of queueing behind the reconnect: a guest
  // is waiting synchronously and gets an `unavailable` error it can act on.
  const base = redisOptionsFromUrl(options.url);
  const client = new Redis({ ...base, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  client.on('error', () => {});
  let connecting: Promise<void> | undefined;
  const redis = async () => {
    if (client.status === 'wait') connecting ??= client.connect();
    if (connecting) await connecting.catch(() => {});
    return client;
  };
  const address = `${base.host}:${base.port}`;
  /** Runs `op` on `store`, naming the store and the Redis when the service fails. */
  const on = <A extends unknown[], R>(op: (store: string, ...args: A) => Promise<R>) =>
    async (store: string, ...args: A): Promise<R> => {
      try {
        return await op(store, ...args);
      } catch (err) {
        if (err instanceof KeyValueInvalidError) throw err;
        throw new Error(`key-value store "${store}" on Redis ${address}: ${(err as Error).message}`, { cause: err });
      }
    };

  return {
    get: on(async (store: string, key: string) => {
      const value = await (await redis()).getBuffer(keyOf(store, key));
      return value === null ? undefined : new Uint8Array(value);
    }),
    set: on(async (store: string, key: string, value: Uint8Array, ttlMs?: number) => {
      const r = await redis();
      if (ttlMs === undefined) await r.set(keyOf(store, key), Buffer.from(value));
      else await r.set(keyOf(store, key), Buffer.from(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
    }),
    delete: on(async (store: string, key: string) => {
      return (await (await redis()).del(keyOf(store, key))) > 0;
    }),
    exists: on(async (store: string, key: string) => {
      return (await (await redis()).exists(keyOf(store, key))) > 0;
    }),
    increment: on(async (store: string, key: string, delta: bigint) => {
      try {
        // INCRBY takes the delta as text, so a 64-bit delta crosses without losing precision.
        const next = await (await redis()).call('INCRBY', keyOf(store, key), delta.toString());
        return BigInt(next as number | string);
      } catch (err) {
        const message = (err as Error).message ?? '';
        if (message.includes('not an integer')) throw notACounter(store, key);
        if (message.includes('overflow')) throw overflow(store, key);
        throw err;
      }
    }),
    listKeys: on(async (store: string, prefix: string) => {
      const r = await redis();
      const strip = keyOf(store, '').length;
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await r.scan(cursor, 'MATCH', `${escapeGlob(keyOf(store, prefix))}*`, 'COUNT', SCAN_BATCH);
        for (const k of batch) keys.add(k.slice(strip));
        cursor = next;
      } while (cursor !== '0');
      return [...keys].sort();
    }),
    getMany: on(async (store: string, keys: string[]) => {
      if (keys.length === 0) return [];
      const values = await (await redis()).mgetBuffer(...keys.map((key) => keyOf(store, key)));
      return values.map((value) => (value === null ? undefined : new Uint8Array(value)));
    }),
    setMany: on(async (store: string, entries: Array<[string, Uint8Array]>, ttlMs?: number) => {
      if (entries.length === 0) return;
      const multi = (await redis()).multi();
      for (const [key, value] of entries) {
        if (ttlMs === undefined) multi.set(keyOf(store, key), Buffer.from(value));
        else multi.set(keyOf(store, key), Buffer.from(value), 'PX', Math.max(1, Math.ceil(ttlMs)));
      }
      const results = await multi.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw new Error(`the transaction setting ${entries.length} keys failed${failed ? `: ${failed[0]!.message}` : ''}`);
    }),
    async close() {
      if (client.status !== 'end' && client.status !== 'wait') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}

