/**
 * The embedded key-value driver: one map per store in this process's memory. Every operation
 * runs to completion on the main thread, so increments are atomic without locks. Expired keys
 * are dropped when touched, and swept now and then so a store of short-lived keys stays small.
 * Each store counts its keys and bytes, so guests cannot grow the host's memory without bound.
 */
import { formatSize } from '../manifest/units.js';
import { overLimit, type KeyValueLimits } from './limits.js';
import { MAX_S64, MIN_S64, overflow, parseCounter, type KeyValue } from './store.js';

interface Entry {
  value: Uint8Array;
  /** `performance.now()` after which the entry is gone. */
  expiresAt?: number;
}

interface Store {
  entries: Map<string, Entry>;
  /** Key bytes plus value bytes of every entry. */
  bytes: number;
}

const SWEEP_EVERY_MS = 30_000;
const encoder = new TextEncoder();
const sizeOf = (key: string, value: Uint8Array) => encoder.encode(key).byteLength + value.byteLength;

export type StoreLimits = Pick<KeyValueLimits, 'maxStoreBytes' | 'maxStoreKeys'>;

const UNBOUNDED: StoreLimits = { maxStoreBytes: Infinity, maxStoreKeys: Infinity };

export function createMemoryKeyValue(limits: StoreLimits = UNBOUNDED): KeyValue {
  const stores = new Map<string, Store>();
  const storeOf = (name: string) => {
    let store = stores.get(name);
    if (!store) stores.set(name, (store = { entries: new Map(), bytes: 0 }));
    return store;
  };
  const remove = (store: Store, key: string) => {
    const entry = store.entries.get(key);
    if (!entry) return false;
    store.bytes -= sizeOf(key, entry.value);
    return store.entries.delete(key);
  };
  const live = (store: Store, key: string): Entry | undefined => {
    const entry = store.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= performance.now()) {
      remove(store, key);
      return undefined;
    }
    return entry;
  };
  /** Stores `entry` unless the store would pass its bounds; the refusal names the bound. */
  const put = (name: string, key: string, entry: Entry) => {
    const store = storeOf(name);
    const previous = live(store, key);
    const bytes = store.bytes - (previous ? sizeOf(key, previous.value) : 0) + sizeOf(key, entry.value);
    if (!previous && store.entries.size >= limits.maxStoreKeys) {
      throw overLimit(`store "${name}" already holds ${store.entries.size} keys, its limit`, 'max_store_keys');
    }
    if (bytes > limits.maxStoreBytes && bytes > store.bytes) {
      throw overLimit(`store "${name}" would hold ${formatSize(bytes)} with key "${key}", above the limit of ${formatSize(limits.maxStoreBytes)}`, 'max_store_size');
    }
    store.entries.set(key, entry);
    store.bytes = bytes;
  };
  const sweep = setInterval(() => {
    for (const store of stores.values()) for (const key of store.entries.keys()) live(store, key);
  }, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    async get(name, key) {
      const entry = live(storeOf(name), key);
      return entry && entry.value.slice();
    },
    async set(name, key, value, ttlMs) {
      put(name, key, { value: value.slice(), ...(ttlMs === undefined ? {} : { expiresAt: performance.now() + ttlMs }) });
    },
    async delete(name, key) {
      const store = storeOf(name);
      return live(store, key) !== undefined && remove(store, key);
    },
    async exists(name, key) {
      return live(storeOf(name), key) !== undefined;
    },
    async increment(name, key, delta) {
      const entry = live(storeOf(name), key);
      const current = entry ? parseCounter(name, key, new TextDecoder().decode(entry.value)) : 0n;
      const next = current + delta;
      if (next > MAX_S64 || next < MIN_S64) throw overflow(name, key);
      put(name, key, { value: encoder.encode(String(next)), ...(entry?.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt }) });
      return next;
    },
    async listKeys(name, prefix) {
      const store = storeOf(name);
      return [...store.entries.keys()].filter((key) => key.startsWith(prefix) && live(store, key)).sort();
    },
    async getMany(name, keys) {
      const store = storeOf(name);
      return keys.map((key) => live(store, key)?.value.slice());
    },
    async setMany(name, entries, ttlMs) {
      const store = storeOf(name);
      const expiresAt = ttlMs === undefined ? {} : { expiresAt: performance.now() + ttlMs };
      /** What each key held before, to put back if an entry passes a bound. */
      const before = new Map<string, Entry | undefined>();
      try {
        for (const [key, value] of entries) {
          if (!before.has(key)) before.set(key, live(store, key));
          put(name, key, { value: value.slice(), ...expiresAt });
        }
      } catch (err) {
        // The store held every old entry within its bounds, so putting them back cannot fail.
        for (const key of before.keys()) remove(store, key);
        for (const [key, entry] of before) if (entry) put(name, key, entry);
        throw err;
      }
    },
    async close() {
      clearInterval(sweep);
      stores.clear();
    },
  };
}
