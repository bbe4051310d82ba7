/**
 * Where a component's instances come from, by isolation mode:
 * - `per-event`: every event gets a fresh instance; one spare is prepared in the background
 *   after each hand-out, so the next event rarely waits for instantiation.
 * - `pooled`: instances are kept warm and reused; one that trapped is dropped, never reused,
 *   and one that has served `recycleAfterEvents` events or grown past `recycleAboveMemory` is
 *   dropped too, so a slow leak or drifting state in a guest never lives for ever.
 * `wasi:http` guests built with componentize-js serve one request per instance, so they are
 * always per-event.
 * Each worker thread keeps its own pools, so warm instances never cross threads.
 */
import type { Guest, GuestInstance } from './guest.js';
import { memorySizes } from './memory-watch.js';

export interface InstancePool {
  acquire(): Promise<GuestInstance>;
  /** Returns an instance after an event; `poisoned` ones are discarded. */
  release(instance: GuestInstance, poisoned: boolean): void;
}

/** How many warm instances a pooled component keeps idle at most. */
const MAX_IDLE = 16;

export function createInstancePool(guest: Guest): InstancePool {
  const perEvent = guest.spec.world === 'http' || guest.spec.isolation === 'per-event';
  const idle: GuestInstance[] = [];
  const served = new WeakMap<GuestInstance, number>();
  const { recycleAfterEvents, recycleAboveMemory } = guest.spec;
  const worn = (instance: GuestInstance) => {
    const events = (served.get(instance) ?? 0) + 1;
    served.set(instance, events);
    if (recycleAfterEvents !== undefined && events >= recycleAfterEvents) return true;
    return recycleAboveMemory !== undefined && memorySizes(instance).reduce((a, b) => a + b, 0) > recycleAboveMemory;
  };
  let spare: Promise<GuestInstance> | undefined;

  const prepareSpare = () => {
    spare = guest.instantiate();
    // A failed spare is retried by the next acquire; the rejection is handled there.
    spare.catch(() => {});
  };

  return {
    async acquire() {
      if (!perEvent) return idle.pop() ?? guest.instantiate();
      const next = spare ?? guest.instantiate();
      prepareSpare();
      return next.catch(() => guest.instantiate());
    },
    release(instance, poisoned) {
      if (!perEvent && !poisoned && !worn(instance) && idle.length < MAX_IDLE) idle.push(instance);
    },
  };
}
