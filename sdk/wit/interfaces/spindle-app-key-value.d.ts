/// <reference path="./spindle-app-types.d.ts" />
declare module 'spindle:app/key-value@0.1.0' {
  export function get(store: string, key: string): Uint8Array | undefined;
  /**
   * Sets `key`; with `ttl-ms` it expires that long from now, without it it never does.
   */
  export function set(store: string, key: string, value: Uint8Array, ttlMs: bigint | undefined): void;
  /**
   * Removes `key`; false when there was none.
   */
  export { _delete as delete };
  function _delete(store: string, key: string): boolean;
  export function exists(store: string, key: string): boolean;
  /**
   * Adds `delta` to the decimal integer at `key` (absent counts as 0), atomically, and
   * returns the new value. A time to live on the key is kept.
   */
  export function increment(store: string, key: string, delta: bigint): bigint;
  /**
   * The keys starting with `prefix`, sorted.
   */
  export function listKeys(store: string, prefix: string): Array<string>;
  /**
   * The values at `keys`, in their order, in one call: one crossing to the store instead of
   * one per key (one Redis round trip in redis mode). At most 1,000 keys and 16 MiB of values.
   */
  export function getMany(store: string, keys: Array<string>): Array<Uint8Array | undefined>;
  /**
   * Sets every entry, all with the same `ttl-ms`, in one call; all or none are set (a
   * transaction in redis mode). At most 1,000 entries and 16 MiB of values.
   */
  export function setMany(store: string, entries: Array<[string, Uint8Array]>, ttlMs: bigint | undefined): void;
  export type CapabilityError = import('spindle:app/types@0.1.0').CapabilityError;
}
