/**
 * Where a component's instances come from, by isolation mode:
 * - `pooled`: instances are kept warm and reused; one that trapped is dropped, never reused,
 *   and one that has served `recycleAfterEvents` events or whose largest memory (a component
 *   with dependencies has several) has grown past `recycleAboveMemory` is
 *   dropped too, so a slow leak or drifting state in a guest never lives for ever, and a guest
 *   growing towards its memory cap is replaced between events instead of failing in one. An
 *   instance that has not grown since it was made is kept whatever its size: its replacement
 *   would be no smaller.
 * - `per-event`: every event sees a fresh instance. When the component's state can be captured
 *   (`instance-state.ts`), one instance is kept and put back to its state after instantiation
 *   before each event; otherwise a fresh instance is made, one spare prepared ahead.
 * `wasi:http` guests built with componentize-js serve one request per instance, so they are
 * always per-event.
 * Each worker thread keeps its own pools, so instances never cross threads.
 */
import type { InstanceSource } from '../pool/protocol.js';
import type { Guest, GuestInstance } from './guest.js';
import { captureState, restoreState, type InstanceState } from './instance-state.js';
import { grownSinceMade, largestMemory } from './memory-watch.js';

export interface InstancePool {
  acquire(): Promise<{ instance: GuestInstance; source: InstanceSource }>;
  /** Returns an instance after an event; `poisoned` ones are discarded. */
  release(instance: GuestInstance, poisoned: boolean): void;
}

/** How many warm instances a pooled component keeps idle at most. */
const MAX_IDLE = 16;

/**
 * Events one restored instance serves before it is replaced. Restoring resets the guest, not
 * jco's glue, whose handle tables keep what a guest forgot to drop; replacing the instance now
 * and then bounds that.
 */
const RESTORES_PER_INSTANCE = 1_000;

export function createInstancePool(guest: Guest): InstancePool {
  const perEvent = guest.spec.world === 'http' || guest.spec.isolation === 'per-event';
  if (!perEvent) return pooled(guest);
  return guest.spec.restorable ? restored(guest) : fresh(guest);
}

function pooled(guest: Guest): InstancePool {
  const idle: GuestInstance[] = [];
  const served = new WeakMap<GuestInstance, number>();
  const { recycleAfterEvents, recycleAboveMemory } = guest.spec;
  const worn = (instance: GuestInstance) => {
    const events = (served.get(instance) ?? 0) + 1;
    served.set(instance, events);
    if (recycleAfterEvents !== undefined && events >= recycleAfterEvents) return true;
    return grownSinceMade(instance) && largestMemory(instance) > recycleAboveMemory;
  };
  return {
    async acquire() {
      const warm = idle.pop();
      return warm ? { instance: warm, source: 'reused' } : { instance: await guest.instantiate(), source: 'created' };
    },
    release(instance, poisoned) {
      if (!poisoned && !worn(instance) && idle.length < MAX_IDLE) idle.push(instance);
    },
  };
}

function restored(guest: Guest): InstancePool {
  let kept: { instance: GuestInstance; state: InstanceState; uses: number } | undefined;
  return {
    async acquire() {
      if (kept && kept.uses < RESTORES_PER_INSTANCE && restoreState(kept.state)) {
        kept.uses++;
        return { instance: kept.instance, source: 'restored' };
      }
      const instance = await guest.instantiate();
      kept = { instance, state: captureState(instance), uses: 1 };
      return { instance, source: 'created' };
    },
    release(instance, poisoned) {
      if (poisoned && kept?.instance === instance) kept = undefined;
    },
  };
}

function fresh(guest: Guest): InstancePool {
  let spare: Promise<GuestInstance> | undefined;
  const prepareSpare = () => {
    spare = guest.instantiate();
    // A failed spare is retried by the next acquire; the rejection is handled there.
    spare.catch(() => {});
  };
  return {
    async acquire() {
      const next = spare ?? guest.instantiate();
      prepareSpare();
      return { instance: await next.catch(() => guest.instantiate()), source: 'created' };
    },
    release() {},
  };
}
