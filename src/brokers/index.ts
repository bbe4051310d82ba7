/**
 * Chooses the broker driver for a run: embedded unless Redis is asked for. The Redis driver
 * (BullMQ, ioredis) is imported only when used, so an embedded app does not pay for loading it.
 */
import type { Logger } from '../log.js';
import type { Broker } from './broker.js';
import { createEmbeddedBroker } from './embedded.js';

export async function createBroker(redisUrl: string | undefined, logger: Logger, queuePrefix: string): Promise<Broker> {
  if (!redisUrl) return createEmbeddedBroker();
  const { createRedisBroker } = await import('./redis.js');
  return createRedisBroker({ url: redisUrl, logger, queuePrefix });
}
