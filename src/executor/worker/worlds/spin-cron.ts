/**
 * The Spin cron trigger plugin's world (`handle-cron-event`): the guest gets the time the run
 * was scheduled for, in Unix seconds, and its `err(other(message))` fails the event as
 * `give-up` with that message (a missed run is not repeated; the next one comes on schedule).
 */
import type { Reply, SpindleEvent } from '../../../event.js';
import { GuestCallError, classifyGuestError } from '../guest-errors.js';
import type { GuestInstance } from '../guest.js';

/** Calls `handle-cron-event` for `event`, a cron trigger's tick. */
export function callSpinCronHandler(instance: GuestInstance, event: SpindleEvent): Reply {
  const handle = instance.handleCronEvent as (metadata: { timestamp: bigint }) => void;
  const at = event.time === undefined ? Date.now() : Date.parse(event.time);
  try {
    handle({ timestamp: BigInt(Math.floor(at / 1000)) });
  } catch (err) {
    const { payload } = err as { payload?: { tag?: string; val?: unknown } };
    if (payload?.tag === 'other') throw new GuestCallError('give-up', `handle-cron-event returned an error: ${String(payload.val)}`, false, { cause: err });
    throw classifyGuestError(err);
  }
  return { headers: [] };
}
