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

/** Keys one `get-many` or `set-many` call may name. */
export const MAX_BATCH_KEYS = 1_000;
/** Value bytes one `get-many` answers or one `set-many` carries, in all. */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

function checkBatch(what: string, store: string, count: number, bytes: number): void {
  if (count > MAX_BATCH_KEYS) throw new KeyValueInvalidError(`${what} of ${count} keys in store "${store}" names more than ${MAX_BATCH_KEYS} keys; split it`);
  if (bytes > MAX_BATCH_BYTES) {
    throw new KeyValueInvalidError(`${what} of ${count} keys in store "${store}" holds ${formatSize(bytes)} of values, above ${formatSize(MAX_BATCH_BYTES)} per call; split it`);
  }
}

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
  const checkEntry = (store: string, key: string, value: Uint8Array) => {
    checkKey(store, key);
    if (value.byteLength > limits.maxValueBytes) {
      throw overLimit(
        `the value for key "${key}" in store "${store}" is ${formatSize(value.byteLength)}, above the limit of ${formatSize(limits.maxValueBytes)}`,
        'max_value_size',
      );
    }
  };
  return {
    ...kv,
    async set(store, key, value, ttlMs) {
      checkEntry(store, key, value);
      return kv.set(store, key, value, ttlMs);
    },
    async getMany(store, keys) {
      checkBatch('get-many', store, keys.length, 0);
      const values = await kv.getMany(store, keys);
      checkBatch('get-many', store, keys.length, values.reduce((sum, value) => sum + (value?.byteLength ?? 0), 0));
      return values;
    },
    async setMany(store, entries, ttlMs) {
      checkBatch('set-many', store, entries.length, entries.reduce((sum, [, value]) => sum + value.byteLength, 0));
      for (const [key, value] of entries) checkEntry(store, key, value);
      return kv.setMany(store, entries, ttlMs);
    },
    async increment(store, key, delta) {
      checkKey(store, key);
      return kv.increment(store, key, delta);
    },
  };
}
