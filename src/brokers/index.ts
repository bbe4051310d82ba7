/** Chooses the broker driver for a run: embedded unless Redis is asked for. */
import type { Logger } from '../log.js';
import type { Broker } from './broker.js';
import { createEmbeddedBroker } from './embedded.js';
import { createRedisBroker } from './redis.js';

export function createBroker(redisUrl: string | undefined, logger: Logger): Broker {
  return redisUrl ? createRedisBroker({ url: redisUrl, logger }) : createEmbeddedBroker();
}
