/**
 * Wraps a function of the typed event into the world's `handle` export:
 * `export const handle = onHttp((event) => json(200, { id: event.http.params.id }))`.
 */
import type { Reply } from 'spindle:app/types@0.1.0';
import { GiveUp, toHandlerError } from './errors.js';
import { viewEvent, type EventKind, type SpindleEvent, type WireEvent } from './event.js';
import { done } from './reply.js';

/** What a handler function may return: a reply, or nothing for an empty one; or a promise of either. */
export type HandlerResult = Reply | void | Promise<Reply | void>;

/** The `handle` export of Spindle's world. */
export type Handle = (event: WireEvent) => Reply | Promise<Reply>;

function settled(result: Reply | void): Reply {
  return result ?? done();
}

// componentize-js maps a thrown `handler-error` value to the export's `err` result.
function failed(err: unknown): never {
  throw toHandlerError(err);
}

/**
 * A `handle` export for every trigger kind. A thrown `RetryLater` or `GiveUp` fails the event
 * as such; any other thrown error fails it as `retry-later` with its message. The instance
 * stays usable either way.
 */
export function handler(fn: (event: SpindleEvent) => HandlerResult): Handle {
  return (wire) => {
    try {
      const result = fn(viewEvent(wire));
      return result instanceof Promise ? result.then(settled, failed) : settled(result);
    } catch (err) {
      return failed(err);
    }
  };
}

function only<K extends EventKind>(kind: K, fn: (event: Extract<SpindleEvent, { kind: K }>) => HandlerResult): Handle {
  return handler((event) => {
    if (event.kind !== kind) throw new GiveUp(`this component handles ${kind} events, not ${event.type}`);
    return fn(event as Extract<SpindleEvent, { kind: K }>);
  });
}

/** A `handle` export for HTTP requests only. */
export const onHttp = (fn: (event: Extract<SpindleEvent, { kind: 'http' }>) => HandlerResult): Handle => only('http', fn);
/** A `handle` export for pub/sub messages only. */
export const onMessage = (fn: (event: Extract<SpindleEvent, { kind: 'redis' }>) => HandlerResult): Handle => only('redis', fn);
/** A `handle` export for queue jobs only; the reply's body becomes the job's return value. */
export const onJob = (fn: (event: Extract<SpindleEvent, { kind: 'queue' }>) => HandlerResult): Handle => only('queue', fn);
/** A `handle` export for cron ticks only. */
export const onTick = (fn: (event: Extract<SpindleEvent, { kind: 'cron' }>) => HandlerResult): Handle => only('cron', fn);
