/**
 * The ways a guest call can fail, sorted into failure kinds, with whether the instance that
 * made the call may run again. Every world's caller (`worlds/`) throws these.
 */
import type { FailureKind } from '../../event.js';
import { errorMessage } from '../../errors.js';

/** A failed call, with whether the instance that made it may run again. */
export class GuestCallError extends Error {
  override name = 'GuestCallError';
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** The instance is no longer safe to use (a trap, an exit). */
    readonly poisoned: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Sorts what a guest call threw into a failure kind. */
export function classifyGuestError(err: unknown): GuestCallError {
  if (err instanceof GuestCallError) return err;
  const e = err as { payload?: { tag?: string; val?: unknown }; exitError?: boolean; code?: number };
  if (e?.payload && (e.payload.tag === 'retry-later' || e.payload.tag === 'give-up')) {
    return new GuestCallError(e.payload.tag, String(e.payload.val), false, { cause: err });
  }
  if (e?.exitError) return new GuestCallError('trap', `guest called exit(${e.code ?? ''})`, true, { cause: err });
  if (err instanceof WebAssembly.RuntimeError) return new GuestCallError('trap', `guest trapped: ${err.message}`, true, { cause: err });
  return new GuestCallError('internal', errorMessage(err), true, { cause: err });
}
