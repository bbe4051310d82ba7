/**
 * A worker's lane to the services thread (`services-thread.ts`): the key-value calls go through
 * its call slot, every other host call through the main thread's bridge. Guests see one set of
 * blocking services either way, typed by the contract.
 */
import { traceContextOf, type SpindleEvent } from '../event.js';
import { CallSlotClient } from './call-slot.js';
import { isThreadService, type BlockingHostServices, type ServicesLane } from './contract.js';
import type { SlotValue } from './slot-codec.js';

export class ServicesLaneClient {
  readonly #slot: CallSlotClient;
  /** The running event's trace context, as a request carries it. */
  #trace: SlotValue;

  constructor(lane: ServicesLane) {
    this.#slot = new CallSlotClient(lane.memory, lane.port, lane.bell);
  }

  /** The event the worker runs now: its calls are traced as its children. */
  running(event: SpindleEvent | undefined): void {
    const trace = traceContextOf(event);
    this.#trace = trace && (trace.tracestate ? [trace.traceparent, trace.tracestate] : [trace.traceparent]);
  }

  call(method: string, args: unknown[], timeoutMs: number): unknown {
    const request: SlotValue = [method, args as SlotValue[], this.#slot.traced ? this.#trace : undefined];
    const [ok, value] = this.#slot.call(request, timeoutMs, method) as [boolean, SlotValue];
    if (ok) return value;
    const [name, message] = value as [string, string];
    const err = new Error(message);
    err.name = name;
    throw err;
  }
}

/** `bridge`'s services with the services thread's own answered through `lane`, each bounded by `timeoutMs`. */
export function routedServices(bridge: BlockingHostServices, lane: ServicesLaneClient | undefined, timeoutMs: number): BlockingHostServices {
  if (!lane) return bridge;
  return new Proxy(bridge, {
    get: (target, method) => (isThreadService(String(method)) ? (...args: unknown[]) => lane.call(String(method), args, timeoutMs) : target[method as keyof BlockingHostServices]),
  });
}
