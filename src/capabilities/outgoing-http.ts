/**
 * `wasi:http/outgoing-handler` for guests on worker threads. preview2-shim's in-memory family
 * sends requests with `fetch` and answers through promises, which a synchronous guest on Node
 * 20 (no JSPI) can never see settle. Here the request goes to the main thread as a synchronous
 * host call instead, and the response comes back whole, as resources of the shim's own classes
 * (so jco's glue accepts them) whose methods read from that buffered response.
 *
 * The request is sent when the guest first asks for the response, not when it calls `handle`:
 * WASI lets a guest write the request body after `handle`, and guests do.
 */
import { errorMessage } from '../errors.js';
import { concat } from '../util/bytes.js';
import { HOP_BY_HOP, HOST_AND_PORT } from '../util/http.js';
import type { IncomingResponseData, OutgoingRequestData } from './contract.js';
import type { OutboundPolicy } from './outbound-hosts.js';

/** Sends a request and blocks until its whole response is here; throws on a network error. */
export type SyncFetch = (request: OutgoingRequestData) => IncomingResponseData;

type ShimModule = Record<string, any>;
type WasiResult<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: unknown };

/** Response headers that describe the connection, not the response, and are not passed on. */
const NOT_PASSED_ON = new Set(HOP_BY_HOP);

const requestBodies = new WeakMap<object, Uint8Array[]>();
const patched = new WeakSet<object>();

/**
 * Lets the shim's outgoing request bodies be read back: the chunks a guest writes are kept
 * beside the shim's private copy. Patched once per shim.
 */
function recordRequestBodies(http: ShimModule): void {
  const { OutgoingRequest } = http.types as { OutgoingRequest: { prototype: { body(): object } } };
  if (patched.has(OutgoingRequest)) return;
  patched.add(OutgoingRequest);
  const body = OutgoingRequest.prototype.body;
  OutgoingRequest.prototype.body = function (this: object) {
    const outgoing = body.call(this) as { write(): { handler: { write(buf: Uint8Array): void } } };
    const chunks: Uint8Array[] = [];
    requestBodies.set(this, chunks);
    const write = outgoing.write;
    Object.defineProperty(outgoing, 'write', {
      value(this: typeof outgoing) {
        const stream = write.call(this);
        const handler = stream.handler;
        stream.handler = {
          ...handler,
          write(this: unknown, buf: Uint8Array) {
            handler.write.call(this, buf);
            chunks.push(new Uint8Array(buf));
          },
        };
        return stream;
      },
    });
    return outgoing;
  };
}

interface GuestRequest {
  method(): { tag: string; val?: string };
  scheme(): { tag: string; val?: string } | undefined;
  authority(): string | undefined;
  pathWithQuery(): string | undefined;
  headers(): { entries(): Array<[string, Uint8Array]> };
}

/** WASI's `error-code` for a request whose URI parts do not make a URL. */
const URI_INVALID = { tag: 'HTTP-request-URI-invalid' };

/**
 * The URL a request goes to, assembled from its parsed parts, so that no part can move another:
 * a path-with-query must start with "/" (else ":6379/x" would become a port), and an authority
 * is a host and a port only (else "a@b" would send to b). The allow-list is checked on this URL,
 * the one that is sent.
 */
function targetUrl(scheme: string, authority: string | undefined, pathWithQuery: string | undefined): URL {
  if (!authority || !HOST_AND_PORT.test(authority)) throw URI_INVALID;
  if (pathWithQuery !== undefined && !pathWithQuery.startsWith('/')) throw URI_INVALID;
  let url: URL;
  try {
    url = new URL(`${scheme}://${authority}/`);
  } catch {
    throw URI_INVALID;
  }
  const path = pathWithQuery ?? '/';
  const q = path.indexOf('?');
  url.pathname = q === -1 ? path : path.slice(0, q);
  if (q !== -1) url.search = path.slice(q);
  return url;
}

/** The guest's request as plain data, to be sent to `url`. */
function requestData(request: GuestRequest, url: URL): OutgoingRequestData {
  const method = request.method();
  const decoder = new TextDecoder();
  const chunks = requestBodies.get(request) ?? [];
  const body = chunks.length > 0 ? concat(chunks) : undefined;
  return {
    method: (method.tag === 'other' ? String(method.val) : method.tag).toUpperCase(),
    url: url.href,
    headers: request.headers().entries().map(([name, value]) => [name, decoder.decode(value)]),
    ...(body ? { body } : {}),
  };
}

/** An object that passes jco's resource checks for `cls` and answers with `methods`. */
function resource<T extends object>(cls: { prototype: object }, methods: T): T {
  return Object.assign(Object.create(cls.prototype) as T, methods);
}

/** A stream over `bytes` that never has to wait. */
function bytesStream(io: ShimModule, bytes: Uint8Array) {
  let at = 0;
  const read = (len: bigint) => {
    if (at >= bytes.byteLength) throw { tag: 'closed' };
    const chunk = bytes.slice(at, at + Number(len));
    at += chunk.byteLength;
    return chunk;
  };
  return io.inputStreamCreate({ read, blockingRead: read, subscribe: () => io.pollableCreate() });
}

/** `IncomingBody.finish` made to accept the bodies made here as well as the shim's own. */
const ownBodies = new WeakSet<object>();
function finishOwnBodies(http: ShimModule, io: ShimModule): void {
  const { IncomingBody, FutureTrailers } = http.types;
  if (patched.has(IncomingBody)) return;
  patched.add(IncomingBody);
  const finish = IncomingBody.finish as (body: object) => unknown;
  IncomingBody.finish = (body: object) => {
    if (!ownBodies.has(body)) return finish(body);
    let taken = false;
    return resource(FutureTrailers, {
      subscribe: () => io.pollableCreate(),
      get: () => {
        if (taken) return { tag: 'err', val: undefined };
        taken = true;
        return { tag: 'ok', val: { tag: 'ok', val: undefined } };
      },
    });
  };
}

function incomingResponse(http: ShimModule, io: ShimModule, data: IncomingResponseData) {
  const { Fields, IncomingResponse, IncomingBody } = http.types;
  const encoder = new TextEncoder();
  const headers = Fields.fromList(data.headers.filter(([name]) => !NOT_PASSED_ON.has(name.toLowerCase())).map(([n, v]) => [n, encoder.encode(v)]));
  let body: object | undefined = resource(IncomingBody, { stream: () => bytesStream(io, data.body) });
  ownBodies.add(body);
  return resource(IncomingResponse, {
    status: () => data.status,
    headers: () => headers,
    consume: () => {
      if (!body) throw undefined;
      const taken = body;
      body = undefined;
      return taken;
    },
  });
}

/**
 * A `FutureIncomingResponse` that sends `request` through `fetch` when the guest first asks
 * for it. A network failure becomes the WASI error the guest expects, not a trap.
 */
function futureResponse(http: ShimModule, io: ShimModule, request: () => OutgoingRequestData, fetch: SyncFetch) {
  let result: WasiResult<WasiResult<unknown>> | undefined;
  let taken = false;
  const settle = () => {
    if (result) return;
    try {
      result = { tag: 'ok', val: { tag: 'ok', val: incomingResponse(http, io, fetch(request())) } };
    } catch (err) {
      const code = err && typeof err === 'object' && 'tag' in err ? err : { tag: 'internal-error', val: errorMessage(err) };
      result = { tag: 'ok', val: { tag: 'err', val: code } };
    }
  };
  return resource(http.types.FutureIncomingResponse, {
    subscribe: () => io.pollableCreate(),
    get: () => {
      settle();
      if (taken) return { tag: 'err', val: undefined };
      taken = true;
      return result;
    },
  });
}

/** Readies the shim's classes for `outgoingHandler`; call once, before any guest makes a request. */
export function prepareOutgoingHttp(http: ShimModule, io: ShimModule): void {
  recordRequestBodies(http);
  finishOwnBodies(http, io);
}

/** What one guest's outgoing handler needs from around it. */
export interface OutgoingHttpHost {
  policy: OutboundPolicy;
  /** Sends an allowed request and blocks for its whole response. */
  fetch: SyncFetch;
  /** Told about every request the policy refused. */
  denied(message: string): void;
}

/** WASI's `error-code` for a refused outgoing request. */
const DENIED = { tag: 'HTTP-request-denied' };

function schemeName(scheme: { tag: string; val?: string } | undefined): string {
  if (!scheme) return 'https';
  return scheme.tag === 'other' ? String(scheme.val).toLowerCase() : scheme.tag.toLowerCase();
}

/** `wasi:http/outgoing-handler` for one guest: the grant is checked before anything is sent. */
export function outgoingHandler(http: ShimModule, io: ShimModule, host: OutgoingHttpHost) {
  return {
    handle(request: GuestRequest) {
      const url = targetUrl(schemeName(request.scheme()), request.authority(), request.pathWithQuery());
      const scheme = url.protocol.slice(0, -1);
      if (!host.policy(scheme, url.host)) {
        host.denied(`outbound HTTP to ${scheme}://${url.host} is not in allowed_outbound_hosts`);
        throw DENIED;
      }
      return futureResponse(http, io, () => requestData(request, url), host.fetch);
    },
  };
}
