/**
 * The one currency between triggers and the executor. A trigger turns what it receives into a
 * `SpindleEvent` and gets an `Outcome` back; it never sees Wasm, and the executor never sees a
 * socket, a Redis connection or a queue.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUuid } from './util/uuid.js';

/** Trigger attributes as ordered name/value pairs; a name may repeat (HTTP headers). */
export type Attributes = Array<[string, string]>;

/** A CloudEvents 1.0 event plus the attributes of the trigger that produced it. */
export interface SpindleEvent {
  id: string;
  /** The trigger that produced it, e.g. `/spindle/http/api`. */
  source: string;
  /** `spindle.http.request`, `spindle.redis.message`, `spindle.queue.job`, `spindle.cron.tick`. */
  type: string;
  subject?: string;
  /** RFC 3339 time the event happened. */
  time?: string;
  datacontenttype?: string;
  data: Uint8Array;
  attributes: Attributes;
}

/** What a handler answered. */
export interface Reply {
  status?: number;
  headers: Array<[string, string]>;
  body?: Uint8Array;
}

/**
 * Why an event failed.
 * - `retry-later` / `give-up`: the handler said so.
 * - `trap`: the guest crashed; its instance is thrown away.
 * - `memory-limit`: the guest crashed on running out of room under its component's `memory`
 *   cap; its instance is thrown away.
 * - `timeout`: the guest ran past its component's deadline.
 * - `overloaded`: too many events in flight for the component, for longer than the event
 *   could wait; nothing ran.
 * - `cancelled`: the app stopped before the event could run, or stopped it running when its
 *   drain_timeout ran out. A queue job cancelled this way goes back to its queue unspent.
 * - `internal`: the host failed before or after the guest ran.
 */
export type FailureKind = 'retry-later' | 'give-up' | 'trap' | 'memory-limit' | 'timeout' | 'overloaded' | 'cancelled' | 'internal';

export interface Failure {
  kind: FailureKind;
  message: string;
  component: string;
  eventId: string;
  cause?: unknown;
}

export type Outcome = { ok: true; reply: Reply } | { ok: false; failure: Failure };

/** What a trigger says about one dispatch. */
export interface DispatchOptions {
  /**
   * How long the event may wait for room when its component is at `max_concurrency` before it
   * fails as `overloaded`: 0 refuses at once, `Infinity` waits until an event in flight ends.
   * Default: the component's `overload_wait`, or 0.
   */
  waitForRoomMs?: number;
}

/** Runs `event` through the component named `component` and settles with its outcome. Never rejects. */
export type Dispatch = (component: string, event: SpindleEvent, options?: DispatchOptions) => Promise<Outcome>;

/**
 * The event whose guest made the host call being served, on the main thread: how a capability
 * (an enqueue, an outgoing request) carries the event's trace context on without the guest
 * passing it.
 */
export const hostCallEvent = new AsyncLocalStorage<SpindleEvent>();

/** A W3C trace context: the `traceparent` and `tracestate` headers' values. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

/**
 * The trace context an event carries: its `traceparent` and `tracestate` attributes (a queue
 * job's, or the event's own span when tracing is on), else an HTTP request's headers.
 */
export function traceContextOf(event: SpindleEvent | undefined): TraceContext | undefined {
  if (!event) return undefined;
  const own = attribute(event, 'traceparent');
  const traceparent = own ?? attribute(event, 'http.header.traceparent');
  if (!traceparent) return undefined;
  const tracestate = attribute(event, own ? 'tracestate' : 'http.header.tracestate');
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** `context` as event attributes. */
export function traceAttributes(context: TraceContext | undefined): Attributes {
  if (!context) return [];
  return context.tracestate ? [['traceparent', context.traceparent], ['tracestate', context.tracestate]] : [['traceparent', context.traceparent]];
}

export function newEventId(): string {
  return randomUuid();
}

/** The first value of attribute `name`, if any. */
export function attribute(event: SpindleEvent, name: string): string | undefined {
  for (const [k, v] of event.attributes) if (k === name) return v;
  return undefined;
}
