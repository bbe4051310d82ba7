/**
 * The guest worlds a worker can call, one file each. `ComponentWorld` is recognised at load
 * from a component's exports; this table is checked by the compiler to have a caller for
 * every world.
 */
import type { Reply, SpindleEvent } from '../../../event.js';
import type { ComponentWorld } from '../../guest-spec.js';
import type { GuestInstance } from '../guest.js';
import { callHandler } from './handler.js';
import { callHttpHandler } from './http.js';
import { callSpinCronHandler } from './spin-cron.js';
import { callSpinRedisHandler } from './spin-redis.js';

/** Runs `event` through `instance`; throws a `GuestCallError` when the call fails. */
export type WorldCaller = (instance: GuestInstance, event: SpindleEvent) => Reply | Promise<Reply>;

export const worlds: Record<ComponentWorld, WorldCaller> = {
  handler: callHandler,
  http: callHttpHandler,
  'spin-redis': callSpinRedisHandler,
  'spin-cron': callSpinCronHandler,
};
