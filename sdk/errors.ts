/**
 * Errors a handler throws to fail its event. `handler()` turns them into the world's
 * `handler-error`, so failing never traps the instance.
 */
import type { HandlerError } from 'spindle:app/types@0.1.0';

/** A passing failure: a queue job is tried again after its backoff. HTTP answers 500. */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

/** A permanent failure: a queue job fails at once, without further attempts. HTTP answers 500. */
export class GiveUp extends Error {
  override name = 'GiveUp';
}

const CAPABILITY_ERRORS = new Set(['denied', 'invalid', 'unavailable']);

/**
 * The `handler-error` for anything a handler threw. A host capability's refusal arrives as a
 * thrown value carrying its `capability-error`: a service that did not answer may answer a
 * retry, a denial or an invalid call never will. Any other error is retried, as a trap is.
 */
export function toHandlerError(thrown: unknown): HandlerError {
  if (thrown instanceof GiveUp) return { tag: 'give-up', val: thrown.message };
  if (thrown instanceof RetryLater) return { tag: 'retry-later', val: thrown.message };
  const payload = (thrown as { payload?: { tag?: unknown; val?: unknown } } | undefined)?.payload;
  if (payload && typeof payload.tag === 'string' && CAPABILITY_ERRORS.has(payload.tag)) {
    const message = `capability ${payload.tag}: ${String(payload.val)}`;
    return payload.tag === 'unavailable' ? { tag: 'retry-later', val: message } : { tag: 'give-up', val: message };
  }
  return { tag: 'retry-later', val: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown: ${String(thrown)}` };
}
