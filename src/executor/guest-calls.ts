/**
 * Calling a guest instance with an event, one function per world, and telling apart the ways a
 * call can fail. The event is the same for both worlds; a `wasi:http` guest receives it as an
 * HTTP request and answers with a response that becomes the reply.
 */
import { attribute, type FailureKind, type Reply, type SpindleEvent } from '../event.js';
import { errorMessage } from '../errors.js';
import type { GuestInstance } from './guest.js';
import { callIncomingHandler } from './wasi-shim.js';

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

interface GuestEvent {
  id: string;
  source: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  datacontenttype: string | undefined;
  data: Uint8Array;
  attributes: Array<[string, string]>;
}

interface GuestReply {
  status?: number;
  headers: Array<[string, string]>;
  body?: Uint8Array;
}

/** Calls Spindle's `handle` export. */
export function callHandler(instance: GuestInstance, event: SpindleEvent): Reply {
  const guestEvent: GuestEvent = {
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    data: event.data,
    attributes: event.attributes,
  };
  let reply: GuestReply;
  try {
    reply = instance.handle(guestEvent) as GuestReply;
  } catch (err) {
    throw classifyGuestError(err);
  }
  const out: Reply = { headers: reply.headers };
  if (reply.status !== undefined) out.status = reply.status;
  if (reply.body !== undefined) out.body = reply.body;
  return out;
}

const HEADER_PREFIX = 'http.header.';
/** Headers a request may not carry into `wasi:http` (hop-by-hop, or set by the host). */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'host', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** The HTTP request a `wasi:http` guest sees for `event`, with Spin's informational headers. */
export function eventToRequest(event: SpindleEvent): Request {
  const method = attribute(event, 'http.method') ?? 'POST';
  const url = attribute(event, 'http.url') ?? `http://localhost/${event.type}`;
  const headers = new Headers();
  for (const [name, value] of event.attributes) {
    if (name.startsWith(HEADER_PREFIX)) {
      const header = name.slice(HEADER_PREFIX.length);
      if (!FORBIDDEN.has(header)) headers.append(header, value);
    }
  }
  const spin: Array<[string, string | undefined]> = [
    ['spin-full-url', url],
    ['spin-path-info', attribute(event, 'http.path-info')],
    ['spin-matched-route', attribute(event, 'http.route')],
    ['spin-component-route', attribute(event, 'http.route')?.replace(/\/\.\.\.$/, '')],
    ['spin-base-path', '/'],
    ['spin-client-addr', attribute(event, 'http.client-addr')],
  ];
  for (const [name, value] of spin) if (value !== undefined) headers.set(name, value);
  for (const [name, value] of event.attributes) {
    if (name.startsWith('http.param.')) headers.set(`spin-path-match-${name.slice('http.param.'.length)}`, value);
  }
  if (!headers.has('content-type') && event.datacontenttype) headers.set('content-type', event.datacontenttype);
  const hasBody = method !== 'GET' && method !== 'HEAD';
  return new Request(url, { method, headers, body: hasBody && event.data.byteLength > 0 ? (event.data as Uint8Array<ArrayBuffer>) : null });
}

/** Calls a `wasi:http/incoming-handler` export with `event` as a request. */
export async function callHttpHandler(instance: GuestInstance, event: SpindleEvent): Promise<Reply> {
  const handler = (instance.incomingHandler ?? instance['wasi:http/incoming-handler@0.2.10']) as {
    handle(request: unknown, out: unknown): void;
  };
  let response: Response;
  try {
    response = await callIncomingHandler((req, out) => handler.handle(req, out), eventToRequest(event));
  } catch (err) {
    const classified = classifyGuestError(err);
    const payload = (err as { tag?: string; val?: unknown })?.tag;
    throw payload ? new GuestCallError('internal', `guest answered with error ${payload}`, true, { cause: err }) : classified;
  }
  const headers: Array<[string, string]> = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
}
