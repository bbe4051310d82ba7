/**
 * Typed views of the world's `event`: one per trigger kind, told apart by `kind`, each with
 * its trigger's attributes parsed (`event.http.params.id`, `event.queue.attempt`).
 */
import type { Event as WireEvent } from 'spindle:app/types@0.1.0';
import { GiveUp } from './errors.js';

export type { WireEvent };

const decoder = new TextDecoder();

interface EventBase {
  /** Unique per event; the same id names the event in every log line. */
  readonly id: string;
  /** The trigger that produced it, e.g. `/spindle/http`. */
  readonly source: string;
  readonly type: string;
  readonly subject: string | undefined;
  readonly time: string | undefined;
  readonly data: Uint8Array;
  /** Every trigger attribute by name, e.g. `http.method`, `queue.job-id`. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The data as UTF-8 text. */
  text(): string;
  /** The data parsed as JSON; data that is not JSON fails the event with `GiveUp`. */
  json<T = unknown>(): T;
}

export interface HttpRequest {
  readonly method: string;
  /** The full URL the client asked for. */
  readonly url: string;
  readonly path: string;
  /** The path below the route's wildcard (`/static/...`), or `''`. */
  readonly pathInfo: string;
  readonly route: string;
  /** The route's `:name` segments. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface HttpEvent extends EventBase {
  readonly kind: 'http';
  readonly http: HttpRequest;
}

export interface MessageEvent extends EventBase {
  readonly kind: 'redis';
  readonly redis: { readonly channel: string; readonly pattern: string | undefined };
}

export interface JobEvent extends EventBase {
  readonly kind: 'queue';
  readonly queue: {
    readonly name: string;
    readonly jobId: string;
    /** 1 on the first try. */
    readonly attempt: number;
    /** Tries the job has in total. */
    readonly attempts: number;
    /** Whether failing now fails the job for good. */
    readonly lastAttempt: boolean;
  };
}

export interface TickEvent extends EventBase {
  readonly kind: 'cron';
  readonly cron: { readonly schedule: string; readonly timezone: string; readonly scheduledAt: Date; readonly firedAt: Date };
}

export type SpindleEvent = HttpEvent | MessageEvent | JobEvent | TickEvent;
export type EventKind = SpindleEvent['kind'];

const KINDS: Record<string, EventKind> = {
  'spindle.http.request': 'http',
  'spindle.redis.message': 'redis',
  'spindle.queue.job': 'queue',
  'spindle.cron.tick': 'cron',
};

/** The attributes whose names start with `prefix`, by the rest of their name. */
function prefixed(attributes: Record<string, string>, prefix: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith(prefix)) found[name.slice(prefix.length)] = value;
  }
  return found;
}

/** The typed view of `wire`. */
export function viewEvent(wire: WireEvent): SpindleEvent {
  const attributes: Record<string, string> = Object.fromEntries(wire.attributes);
  const attr = (name: string) => attributes[name] ?? '';
  const base: EventBase = {
    id: wire.id,
    source: wire.source,
    type: wire.type,
    subject: wire.subject,
    time: wire.time,
    data: wire.data,
    attributes,
    text: () => decoder.decode(wire.data),
    json<T>(): T {
      try {
        return JSON.parse(decoder.decode(wire.data)) as T;
      } catch (err) {
        throw new GiveUp(`event ${wire.id}: the data is not JSON (${(err as Error).message})`);
      }
    },
  };
  const kind = KINDS[wire.type];
  switch (kind) {
    case 'http':
      return {
        ...base,
        kind,
        http: {
          method: attr('http.method'),
          url: attr('http.url'),
          path: attr('http.path'),
          pathInfo: attr('http.path-info'),
          route: attr('http.route'),
          params: prefixed(attributes, 'http.param.'),
          query: new URLSearchParams(attr('http.query')),
          headers: prefixed(attributes, 'http.header.'),
        },
      };
    case 'redis':
      return { ...base, kind, redis: { channel: attr('redis.channel'), pattern: attributes['redis.pattern'] } };
    case 'queue': {
      const attempt = Number(attr('queue.attempt'));
      const attempts = Number(attr('queue.attempts'));
      return { ...base, kind, queue: { name: attr('queue.name'), jobId: attr('queue.job-id'), attempt, attempts, lastAttempt: attempt >= attempts } };
    }
    case 'cron':
      return {
        ...base,
        kind,
        cron: { schedule: attr('cron.schedule'), timezone: attr('cron.timezone'), scheduledAt: new Date(attr('cron.scheduled-at')), firedAt: new Date(attr('cron.fired-at')) },
      };
    default:
      throw new GiveUp(`event ${wire.id}: unknown event type "${wire.type}"`);
  }
}
