/** Chooses the key-value driver for a run (Redis in redis mode, memory otherwise) and bounds it. */
import type { KeyValue } from './store.js';
import type { KeyValueLimits } from './limits.js';
import { withEntryLimits } from './limits.js';
import { createMemoryKeyValue } from './memory.js';
import { createRedisKeyValue } from './redis.js';

export function createKeyValue(redisUrl: string | undefined, app: string, limits: KeyValueLimits): KeyValue {
  const driver = redisUrl ? createRedisKeyValue({ url: redisUrl, app }) : createMemoryKeyValue(limits);
  return withEntryLimits(driver, limits);
}
