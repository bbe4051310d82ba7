/**
 * The `wasi:http/incoming-handler` world: the event becomes an HTTP request with Spin's
 * informational headers, the guest answers through the shim's response resources, and the
 * response becomes the reply.
 */
import { attribute, type Reply, type SpindleEvent } from '../../../event.js';
import { GuestCallError, classifyGuestError } from '../guest-errors.js';
import type { GuestInstance } from '../guest.js';
import { HOP_BY_HOP } from '../../../util/http.js';
import { shim, type ShimModule } from '../wasi-shim.js';

const HEADER_PREFIX = 'http.header.';
/** Headers a request may not carry into `wasi:http` (hop-by-hop, or set by the host). */
const FORBIDDEN = new Set([...HOP_BY_HOP, 'host']);

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

/**
 * Runs a `wasi:http/incoming-handler` export on a Web `Request` and returns its `Response`,
 * with request and response bodies held in memory.
 */
async function callIncomingHandler(
  handle: (request: unknown, responseOut: unknown) => void,
  request: Request,
): Promise<Response> {
  const s = await shim();
  trackResponseBodies(s.http);
  return s.http.handleIncomingRequest(request, (req: unknown, out: unknown) => {
    openBodies = new Set();
    try {
      handle(req, out);
    } finally {
      // The guest has run to completion: a body it left open (a handler that threw after
      // setting the response) can never be finished by it, and would hang the response.
      for (const body of openBodies) {
        try {
          s.http.types.OutgoingBody.finish(body, undefined);
        } catch {
          // Finished by the guest after all.
        }
      }
      openBodies = undefined;
    }
  }) as Promise<Response>;
}

/** Response bodies opened during the guest call in progress. */
let openBodies: Set<unknown> | undefined;

function trackResponseBodies(http: ShimModule): void {
  const proto = http.types.OutgoingResponse.prototype as { body(): unknown; [TRACKED]?: true };
  if (proto[TRACKED]) return;
  const body = proto.body;
  proto.body = function (this: unknown) {
    const opened = body.call(this);
    openBodies?.add(opened);
    return opened;
  };
  proto[TRACKED] = true;
}

const TRACKED = Symbol('spindle.tracked');
