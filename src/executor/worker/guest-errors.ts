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

/**
 * What each trap V8 reports means, in the words Wasm runtimes use. jco's glue rewrites V8's
 * terse messages into such words (with a "wasm trap: " prefix); calls made straight on the
 * core instance get V8's own. Either way the failure reads the same.
 */
const TRAP_WORDS: Record<string, string> = {
  unreachable: 'unreachable instruction executed',
  'wasm `unreachable` instruction executed': 'unreachable instruction executed',
  'memory access out of bounds': 'out of bounds memory access',
  'divide by zero': 'integer divide by zero',
  'remainder by zero': 'integer divide by zero',
  'divide result unrepresentable': 'integer overflow',
  'float unrepresentable in integer range': 'invalid conversion to integer',
  'table index is out of bounds': 'undefined element: out of bounds table access',
  'function signature mismatch': 'indirect call type mismatch',
};

function trapWords(message: string): string {
  const bare = message.replace(/^wasm trap: /, '');
  return TRAP_WORDS[bare] ?? bare;
}

/** Sorts what a guest call threw into a failure kind. */
export function classifyGuestError(err: unknown): GuestCallError {
  if (err instanceof GuestCallError) return err;
  const e = err as { payload?: { tag?: string; val?: unknown }; exitError?: boolean; code?: number };
  if (e?.payload && (e.payload.tag === 'retry-later' || e.payload.tag === 'give-up')) {
    return new GuestCallError(e.payload.tag, String(e.payload.val), false, { cause: err });
  }
  if (e?.exitError) return new GuestCallError('trap', `guest called exit(${e.code ?? ''})`, true, { cause: err });
  if (err instanceof WebAssembly.RuntimeError) return new GuestCallError('trap', `guest trapped: ${trapWords(err.message)}`, true, { cause: err });
  return new GuestCallError('internal', errorMessage(err), true, { cause: err });
}
