/**
 * HTTP trigger: a `node:http` server that routes each request by Spin's route rules to a
 * component and turns its reply into the response.
 *
 * Status codes the trigger itself answers with: 400 a path with dot segments or a bad Host,
 * 404 no route, 413 body over `runtime.max_body_size`, 500 the component failed or replied
 * with a status no final response may have, 503 the component is at its concurrency bound or
 * the app is shutting down, 504 the component ran past its deadline.
 *
 * The host owns HTTP framing: a guest's `content-length`, `transfer-encoding`, connection and
 * upgrade headers, and its own `x-spindle-event-id`, are dropped, so no reply can split a
 * response or take over a connection.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newEventId, type Attributes, type Dispatch, type Failure, type Reply, type SpindleEvent } from '../event.js';
import { TriggerError, errorMessage, type ManifestProblem } from '../errors.js';
import type { HttpTriggerConfig, Manifest } from '../manifest/schema.js';
import { formatSize } from '../manifest/units.js';
import { InFlightCount } from '../util/drain.js';
import { HOP_BY_HOP, HOST_AND_PORT, parseListen } from '../util/http.js';
import { RouteTable, findRouteConflicts, validateRoute, type RouteMatch } from './http-routes.js';
import type { StopOptions, Trigger, TriggerAdapter, TriggerContext } from './trigger.js';

const KIND = 'http';

/** The trigger adds this to the `Trigger` contract: where it listens, once started. */
export interface HttpTrigger extends Trigger {
  readonly url: string | undefined;
}

const FAILURE_STATUS: Record<Failure['kind'], number> = {
  'retry-later': 500,
  'give-up': 500,
  trap: 500,
  'memory-limit': 500,
  internal: 500,
  timeout: 504,
  overloaded: 503,
  cancelled: 503,
};

class BodyTooLarge extends Error {}

/** How long the 503s written at the end of a drain get to reach their clients. */
const ANSWER_GRACE_MS = 500;

/** Headers that frame the message or describe the connection: the host's, never a guest's. */
const HOST_OWNED = new Set([...HOP_BY_HOP, 'content-length', 'te', 'trailer', 'x-spindle-event-id']);

/**
 * Why `path` cannot be routed, if it cannot. A path with `.` or `..` segments (plain or
 * percent-encoded) or a backslash would be routed as written but resolved by any URL parser,
 * a `wasi:http` guest's included, to somewhere else.
 */
function badPath(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the path must start with "/"';
  if (path.includes('\\')) return 'the path must not contain a backslash';
  if (path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment))) return 'the path must not contain "." or ".." segments';
  return undefined;
}

/** Writes `reply` as the response, or says why it cannot be one (and writes nothing). */
function writeReply(res: ServerResponse, eventId: string, reply: Reply): string | undefined {
  const status = reply.status ?? 200;
  if (!Number.isInteger(status) || status < 200 || status > 599) return `status ${status} is not a final HTTP status (200-599)`;
  try {
    res.statusCode = status;
    // Every answer names its event, so a client can find it in the log.
    res.setHeader('x-spindle-event-id', eventId);
    for (const [name, value] of reply.headers) if (!HOST_OWNED.has(name.toLowerCase())) res.appendHeader(name, value);
  } catch (err) {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    return `invalid header: ${errorMessage(err)}`;
  }
  res.end(reply.body);
  return undefined;
}

function check(configs: HttpTriggerConfig[], manifest: Manifest): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const routes = configs.map((t) => t.route);
  routes.forEach((route, i) => {
    const problem = validateRoute(route);
    if (problem) problems.push({ path: `trigger.http[${i}].route`, message: `invalid route "${route}": ${problem}` });
  });
  for (const [a, b] of findRouteConflicts(routes)) {
    problems.push({ path: `trigger.http[${routes.lastIndexOf(b)}].route`, message: `route "${b}" conflicts with route "${a}"` });
  }
  if (configs.length > 0) {
    const listen = parseListen(manifest.runtime.listen);
    if (typeof listen === 'string') problems.push({ path: 'runtime.listen', message: listen });
  }
  return problems;
}

/**
 * The request's body, at most `limit` bytes. A request with neither `content-length` nor
 * `transfer-encoding` has none (RFC 9112, 6.3), and is answered without iterating its stream:
 * an async iterator and its promises per request were a measurable share of a GET's cost.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> | Uint8Array {
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return new Uint8Array(0);
  }
  return readStreamedBody(req, limit);
}

async function readStreamedBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function toEvent(req: IncomingMessage, match: RouteMatch<HttpTriggerConfig>, path: string, query: string, body: Uint8Array): SpindleEvent {
  const host = req.headers.host ?? 'localhost';
  const attributes: Attributes = [
    ['http.method', req.method ?? 'GET'],
    ['http.path', path],
    ['http.query', query],
    ['http.url', `http://${host}${req.url ?? '/'}`],
    ['http.route', match.route],
    ['http.matched-base', match.matchedBase],
    ['http.path-info', match.pathInfo],
    ['http.client-addr', `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`],
  ];
  for (const [name, value] of Object.entries(match.params)) attributes.push([`http.param.${name}`, value]);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) attributes.push([`http.header.${raw[i]!.toLowerCase()}`, raw[i + 1]!]);
  const event: SpindleEvent = {
    id: newEventId(),
    source: `/spindle/http${match.route}`,
    type: 'spindle.http.request',
    time: new Date().toISOString(),
    data: body,
    attributes,
  };
  const contentType = req.headers['content-type'];
  if (contentType) event.datacontenttype = contentType;
  return event;
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

function create(configs: HttpTriggerConfig[], context: TriggerContext): HttpTrigger {
  const { runtime } = context.manifest;
  const logger = context.logger.child({ trigger: KIND });
  const routes = new RouteTable<HttpTriggerConfig>();
  for (const config of configs) routes.add(config.route, config);

  let server: Server | undefined;
  let url: string | undefined;
  let draining = false;
  const inFlight = new InFlightCount();
  const served = () => inFlight.done();
  /** Responses not yet finished, so a drain that runs out can still answer each one. */
  const open = new Set<ServerResponse>();
  let stopping: Promise<void> | undefined;

  async function serve(dispatch: Dispatch, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (draining) {
      sendText(res, 503, 'Service Unavailable: shutting down', { connection: 'close' });
      return;
    }
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = q === -1 ? '' : rawUrl.slice(q + 1);
    const refused = badPath(path) ?? (req.headers.host === undefined || HOST_AND_PORT.test(req.headers.host) ? undefined : 'invalid Host header');
    if (refused) {
      sendText(res, 400, `Bad Request: ${refused}`);
      return;
    }
    const match = routes.match(path);
    if (!match) {
      sendText(res, 404, 'Not Found');
      return;
    }
    const component = match.value.component;
    let body: Uint8Array;
    try {
      const read = readBody(req, runtime.max_body_size);
      body = read instanceof Uint8Array ? read : await read;
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        logger.warn({ component, route: match.route, limit: runtime.max_body_size }, 'request body too large');
        res.once('finish', () => req.destroy());
        sendText(res, 413, `Payload Too Large: the limit is ${formatSize(runtime.max_body_size)}`, { connection: 'close' });
      } else {
        req.destroy();
      }
      return;
    }
    const event = toEvent(req, match, path, query, body);
    const outcome = await dispatch(component, event);
    // Answered 503 already: the drain ran out while this event ran.
    if (res.headersSent) return;
    // The server is closing: no further request may follow on this connection.
    if (draining) res.shouldKeepAlive = false;
    if (outcome.ok) {
      const problem = writeReply(res, event.id, outcome.reply);
      if (problem === undefined) return;
      logger.warn({ component, eventId: event.id, source: event.source }, `component replied with a malformed response: ${problem}`);
      sendText(res, 500, `Internal Server Error (event ${event.id})`, { 'x-spindle-event-id': event.id });
      return;
    }
    const { failure } = outcome;
    const status = FAILURE_STATUS[failure.kind];
    const headers: Record<string, string> = { 'x-spindle-event-id': event.id };
    if (failure.kind === 'overloaded') headers['retry-after'] = '1';
    sendText(res, status, `${STATUS_CODES[status]} (event ${event.id})`, headers);
  }

  return {
    kind: KIND,
    get url() {
      return url;
    },

    async start(dispatch) {
      const listen = parseListen(runtime.listen);
      if (typeof listen === 'string') throw new TriggerError(listen, { trigger: KIND });
      const { host, port } = listen;
      server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
        open.add(res);
        res.once('close', () => open.delete(res));
        inFlight.add();
        void serve(dispatch, req, res).then(served, (err: unknown) => {
          logger.error({ err, url: req.url }, 'unexpected error serving a request');
          sendText(res, 500, 'Internal Server Error');
          served();
        });
      });
      server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
        logger.warn({ err: err.message, code: err.code }, 'malformed HTTP request');
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        else socket.destroy();
      });
      await new Promise<void>((resolveListen, rejectListen) => {
        server!.once('error', (cause) => rejectListen(new TriggerError(`cannot listen on ${runtime.listen}: ${cause.message}`, { trigger: KIND }, { cause })));
        server!.listen(port, host, () => resolveListen());
      });
      const address = server.address() as AddressInfo;
      url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ url, routes: configs.map((c) => `${c.route} -> ${c.component}`) }, `listening on ${url}`);
    },

    stop(options: StopOptions = {}) {
      stopping ??= (async () => {
        if (!server) return;
        draining = true;
        const closed = new Promise<void>((done) => server!.close(() => done()));
        server.closeIdleConnections();
        if (!(await inFlight.settled(options.drainMs ?? runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: answering requests still in flight with 503');
          const answered = [...open].filter((res) => !res.headersSent).map((res) => {
            sendText(res, 503, 'Service Unavailable: shutting down', { connection: 'close' });
            return new Promise<void>((done) => res.once('close', () => done()));
          });
          await Promise.race([Promise.all(answered), new Promise((done) => setTimeout(done, ANSWER_GRACE_MS))]);
        }
        server.closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}

export default { check, create } satisfies TriggerAdapter<'http'>;
