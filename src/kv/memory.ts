/**
 * The embedded key-value driver: one map per store in this process's memory. Every operation
 * runs to completion on the main thread, so increments are atomic without locks. Expired keys
 * are dropped when touched, and swept now and then so a store of short-lived keys stays small.
 */
import { MAX_S64, MIN_S64, overflow, parseCounter, type KeyValue } from './store.js';

interface Entry {
  value: Uint8Array;
  /** `performance.now()` after which the entry is gone. */
  expiresAt?: number;
}

const SWEEP_EVERY_MS = 30_000;

export function createMemoryKeyValue(): KeyValue {
  const stores = new Map<string, Map<string, Entry>>();
  const storeOf = (name: string) => {
    let store = stores.get(name);
    if (!store) stores.set(name, (store = new Map()));
    return store;
  };
  const live = (store: Map<string, Entry>, key: string): Entry | undefined => {
    const entry = store.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= performance.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = setInterval(() => {
    for (const store of stores.values()) for (const key of store.keys()) live(store, key);
  }, SWEEP_EVERY_MS);
  sweep.unref();

  return {
    async get(store, key) {
      const entry = live(storeOf(store), key);
      return entry && entry.value.slice();
    },
    async set(store, key, value, ttlMs) {
      storeOf(store).set(key, { value: value.slice(), ...(ttlMs === undefined ? {} : { expiresAt: performance.now() + ttlMs }) });
    },
    async delete(store, key) {
      const had = live(storeOf(store), key) !== undefined;
      storeOf(store).delete(key);
      return had;
    },
    async exists(store, key) {
      return live(storeOf(store), key) !== undefined;
    },
    async increment(store, key, delta) {
      const s = storeOf(store);
      const entry = live(s, key);
      const current = entry ? parseCounter(store, key, new TextDecoder().decode(entry.value)) : 0n;
      const next = current + delta;
      if (next > MAX_S64 || next < MIN_S64) throw overflow(store, key);
      s.set(key, { value: new TextEncoder().encode(String(next)), ...(entry?.expiresAt === undefined ? {} : { expiresAt: entry.expiresAt }) });
      return next;
    },
    async listKeys(store, prefix) {
      const s = storeOf(store);
      return [...s.keys()].filter((key) => key.startsWith(prefix) && live(s, key)).sort();
    },
    async close() {
      clearInterval(sweep);
      stores.clear();
    },
  };
}
