/**
 * Bounds on what guests may put in a key-value store. Keys and values are checked here for
 * every driver, before anything is stored; a store's total size is bounded by the driver that
 * holds it in this process's memory (`memory.ts`). In redis mode the store lives in Redis, whose
 * own `maxmemory` bounds it.
 */
import { formatSize } from '../manifest/units.js';
import { KeyValueInvalidError, type KeyValue } from './store.js';

export interface KeyValueLimits {
  maxKeyBytes: number;
  maxValueBytes: number;
  /** Keys plus values of one store, embedded mode. */
  maxStoreBytes: number;
  maxStoreKeys: number;
}

const encoder = new TextEncoder();

/** A refusal that says what passed which bound, naming the manifest field that sets it. */
export function overLimit(message: string, field: 'max_key_size' | 'max_value_size' | 'max_store_size' | 'max_store_keys'): KeyValueInvalidError {
  return new KeyValueInvalidError(`${message} (runtime.key_value.${field})`);
}

/** `kv` with every key and value checked against `limits` before it reaches the driver. */
export function withEntryLimits(kv: KeyValue, limits: Pick<KeyValueLimits, 'maxKeyBytes' | 'maxValueBytes'>): KeyValue {
  const checkKey = (store: string, key: string) => {
    const bytes = encoder.encode(key).byteLength;
    if (bytes > limits.maxKeyBytes) {
      const shown = key.length > 32 ? `${key.slice(0, 32)}…` : key;
      throw overLimit(`key "${shown}" in store "${store}" is ${formatSize(bytes)}, above the limit of ${formatSize(limits.maxKeyBytes)}`, 'max_key_size');
    }
  };
  return {
    ...kv,
    async set(store, key, value, ttlMs) {
      checkKey(store, key);
      if (value.byteLength > limits.maxValueBytes) {
        throw overLimit(
          `the value for key "${key}" in store "${store}" is ${formatSize(value.byteLength)}, above the limit of ${formatSize(limits.maxValueBytes)}`,
          'max_value_size',
        );
      }
      return kv.set(store, key, value, ttlMs);
    },
    async increment(store, key, delta) {
      checkKey(store, key);
      return kv.increment(store, key, delta);
    },
  };
}
