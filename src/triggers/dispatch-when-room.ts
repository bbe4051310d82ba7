/**
 * Dispatching an event that must not be lost to a component that is momentarily at its
 * `max_concurrency`: instead of taking the `overloaded` answer, wait and try again. HTTP has a
 * caller to tell 503; queue jobs and pub/sub messages have none.
 */
import type { Dispatch, Outcome, SpindleEvent } from '../event.js';

const POLL_MS = 20;

export interface WaitOptions {
  /** Give up (and return the `overloaded` outcome) after this long; never by default. */
  giveUpAfterMs?: number;
  /** Stop waiting when this turns true (the trigger is stopping). */
  stopped?: () => boolean;
}

export async function dispatchWhenRoom(dispatch: Dispatch, component: string, event: SpindleEvent, options: WaitOptions = {}): Promise<Outcome> {
  const deadline = options.giveUpAfterMs === undefined ? Infinity : Date.now() + options.giveUpAfterMs;
  for (;;) {
    const outcome = await dispatch(component, event);
    if (outcome.ok || outcome.failure.kind !== 'overloaded' || Date.now() > deadline || options.stopped?.()) return outcome;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
