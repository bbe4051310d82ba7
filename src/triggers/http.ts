/**
 * HTTP trigger: a `node:http` server that routes each request by Spin's route rules to a
 * component and turns its reply into the response.
 *
 * Status codes the trigger itself answers with: 404 no route, 413 body over
 * `runtime.max_body_size`, 500 the component failed, 503 the component is at its concurrency
 * bound or the app is shutting down, 504 the component ran past its deadline.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newEventId, type Attributes, type Dispatch, type Failure, type SpindleEvent } from '../event.js';
import { TriggerError, type ManifestProblem } from '../errors.js';
import type { HttpTriggerConfig, Manifest } from '../manifest/schema.js';
import { formatSize } from '../manifest/units.js';
import { drain } from '../util/drain.js';
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
  internal: 500,
  timeout: 504,
  overloaded: 503,
  cancelled: 503,
};

class BodyTooLarge extends Error {}

/** `host:port` (IPv6 hosts in brackets), or what is wrong with it. */
function parseListen(listen: string): { host: string; port: number } | string {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  if (!m) return `invalid listen address "${listen}": expected host:port`;
  const port = Number(m[3]);
  if (port > 65_535) return `invalid listen address "${listen}": port ${port} is above 65535`;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
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

async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
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
  const inFlight = new Set<Promise<void>>();
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
    const match = routes.match(path);
    if (!match) {
      sendText(res, 404, 'Not Found');
      return;
    }
    const component = match.value.component;
    let body: Uint8Array;
    try {
      body = await readBody(req, runtime.max_body_size);
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
    if (outcome.ok) {
      const { reply } = outcome;
      res.statusCode = reply.status ?? 200;
      // Every answer names its event, so a client can find it in the log.
      res.setHeader('x-spindle-event-id', event.id);
      for (const [name, value] of reply.headers) res.appendHeader(name, value);
      res.end(reply.body);
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
        const served = serve(dispatch, req, res).catch((err) => {
          logger.error({ err, url: req.url }, 'unexpected error serving a request');
          sendText(res, 500, 'Internal Server Error');
        });
        inFlight.add(served);
        void served.finally(() => inFlight.delete(served));
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
        if (!(await drain(inFlight, options.drainMs ?? runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: closing connections with requests in flight');
        }
        server.closeAllConnections();
        await closed;
      })();
      return stopping;
    },
  };
}

export default { check, create } satisfies TriggerAdapter<'http'>;
