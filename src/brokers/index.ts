/** Chooses the broker driver for a run: embedded unless Redis is asked for. */
import type { Logger } from '../log.js';
import type { RuntimeConfig } from '../manifest/schema.js';
import type { Broker } from './broker.js';
import { createEmbeddedBroker } from './embedded.js';
import { createRedisBroker } from './redis.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis URL to use, or undefined for embedded mode. An explicit URL (`--redis`, then
 * `REDIS_URL`) selects redis mode; otherwise the manifest's `runtime.mode` decides.
 */
export function redisUrlFor(runtime: RuntimeConfig, explicit?: string): string | undefined {
  const url = explicit || process.env.REDIS_URL;
  if (url) return url;
  return runtime.mode === 'redis' ? (runtime.redis_url ?? DEFAULT_REDIS_URL) : undefined;
}

export function createBroker(redisUrl: string | undefined, logger: Logger): Broker {
  return redisUrl ? createRedisBroker({ url: redisUrl, logger }) : createEmbeddedBroker();
}
