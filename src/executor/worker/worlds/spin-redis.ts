/**
 * Spin's Redis trigger world (`fermyon:spin/inbound-redis`): the message's bytes are passed to
 * `handle-message`; its `err` (Spin's `redis-types.error`, which carries no detail) fails the
 * event as `give-up`, since Spin does not redeliver a message either.
 */
import type { Reply, SpindleEvent } from '../../../event.js';
import { GuestCallError, classifyGuestError } from '../guest-errors.js';
import type { GuestInstance } from '../guest.js';

/** Calls `handle-message` with `event`'s data. */
export function callSpinRedisHandler(instance: GuestInstance, event: SpindleEvent): Reply {
  const handler = (instance.inboundRedis ?? instance['fermyon:spin/inbound-redis']) as { handleMessage(message: Uint8Array): void };
  try {
    handler.handleMessage(event.data);
  } catch (err) {
    const { payload } = err as { payload?: unknown };
    if (typeof payload === 'string') throw new GuestCallError('give-up', `handle-message returned an error ("${payload}")`, false, { cause: err });
    throw classifyGuestError(err);
  }
  return { headers: [] };
}
