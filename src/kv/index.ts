/** Chooses the key-value driver for a run: Redis in redis mode, memory otherwise. */
import type { KeyValue } from './store.js';
import { createMemoryKeyValue } from './memory.js';
import { createRedisKeyValue } from './redis.js';

export function createKeyValue(redisUrl: string | undefined, app: string): KeyValue {
  return redisUrl ? createRedisKeyValue({ url: redisUrl, app }) : createMemoryKeyValue();
}
