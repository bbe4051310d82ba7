/**
 * Key-value storage behind one interface, so a component's `key-value` calls never see the
 * backend: `memory` in embedded mode, `redis` in redis mode (keys under the app's prefix, shared
 * by every process on the same Redis). One contract test suite runs against both.
 *
 * Values are bytes. `increment` works on values that are decimal integers written as text,
 * which is what Redis's INCRBY does, so both drivers agree on what a counter looks like.
 */

export interface KeyValue {
  get(store: string, key: string): Promise<Uint8Array | undefined>;
  /** Sets `key`; it expires `ttlMs` from now when given, never otherwise. */
  set(store: string, key: string, value: Uint8Array, ttlMs?: number): Promise<void>;
  /** Removes `key`; false when there was none. */
  delete(store: string, key: string): Promise<boolean>;
  exists(store: string, key: string): Promise<boolean>;
  /** Adds `delta` atomically and returns the new value; keeps the key's time to live. */
  increment(store: string, key: string, delta: bigint): Promise<bigint>;
  /** Keys starting with `prefix`, sorted. */
  listKeys(store: string, prefix: string): Promise<string[]>;
  /** The values at `keys`, in their order. */
  getMany(store: string, keys: string[]): Promise<Array<Uint8Array | undefined>>;
  /** Sets every entry, all or none, each expiring `ttlMs` from now when given. */
  setMany(store: string, entries: Array<[string, Uint8Array]>, ttlMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An operation the stored data cannot serve: its message says which key and why. */
export class KeyValueInvalidError extends Error {
  override name = 'KeyValueInvalidError';
}

/** Checks that `text` is a decimal integer within Redis's 64-bit range. */
export function parseCounter(store: string, key: string, text: string): bigint {
  if (!/^-?\d{1,19}$/.test(text)) throw notACounter(store, key);
  const value = BigInt(text);
  if (value > MAX_S64 || value < MIN_S64) throw notACounter(store, key);
  return value;
}

export function notACounter(store: string, key: string): KeyValueInvalidError {
  return new KeyValueInvalidError(`key "${key}" in store "${store}" does not hold a 64-bit decimal integer`);
}

export function overflow(store: string, key: string): KeyValueInvalidError {
  return new KeyValueInvalidError(`incrementing key "${key}" in store "${store}" would overflow 64 bits`);
}

export const MAX_S64 = 2n ** 63n - 1n;
export const MIN_S64 = -(2n ** 63n);
