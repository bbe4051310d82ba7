/**
 * Chooses the key-value driver for a run (Redis in redis mode, memory otherwise) and bounds it.
 * The Redis driver is imported only when used.
 */
import type { KeyValue } from './store.js';
import type { KeyValueLimits } from './limits.js';
import { withEntryLimits } from './limits.js';
import { createMemoryKeyValue } from './memory.js';

export async function createKeyValue(redisUrl: string | undefined, app: string, limits: KeyValueLimits): Promise<KeyValue> {
  if (!redisUrl) return withEntryLimits(createMemoryKeyValue(limits), limits);
  const { createRedisKeyValue } = await import('./redis.js');
  return withEntryLimits(createRedisKeyValue({ url: redisUrl, app }), limits);
}
