/**
 * The admin listener, off unless asked for: `/metrics` (Prometheus text), `/healthz` (the
 * process answers) and `/readyz` (the app takes events: 503 while it starts, while it drains,
 * and while its broker cannot reach Redis). It is a separate port from the HTTP trigger so that
 * probes and scrapes never compete with, or are routed like, the app's own traffic.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpindleError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { parseListen } from '../util/http.js';
import type { Metrics } from './metrics.js';

export type Lifecycle = 'starting' | 'ready' | 'draining';

export interface AdminServerOptions {
  listen: string;
  metrics: Metrics;
  logger: Logger;
  /** False while the broker cannot reach its Redis. */
  brokerReachable(): boolean;
}

export interface AdminServer {
  /** `http://host:port` it listens on. */
  readonly url: string;
  setLifecycle(state: Lifecycle): void;
  close(): Promise<void>;
}

export class AdminError extends SpindleError {
  override name = 'AdminError';
}

function send(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const listen = parseListen(options.listen);
  if (typeof listen === 'string') throw new AdminError(`admin listener: ${listen}`);
  let lifecycle: Lifecycle = 'starting';
  const readiness = (): string | undefined =>
    lifecycle !== 'ready' ? lifecycle : options.brokerReachable() ? undefined : 'Redis unreachable';

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    if (path === '/healthz') return send(res, 200, 'ok\n');
    if (path === '/readyz') {
      const notReady = readiness();
      return notReady ? send(res, 503, `not ready: ${notReady}\n`) : send(res, 200, 'ready\n');
    }
    if (path === '/metrics') {
      options.metrics.scrape().then(
        (text) => send(res, 200, text, options.metrics.registry.contentType),
        (err) => {
          options.logger.warn({ err: errorMessage(err) }, 'admin listener: collecting metrics failed');
          send(res, 500, 'collecting metrics failed\n');
        },
      );
      return;
    }
    send(res, 404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause) => reject(new AdminError(`admin listener: cannot listen on ${options.listen}: ${cause.message}`, {}, { cause })));
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  options.logger.info({ url }, `admin listener on ${url}: /metrics, /healthz, /readyz`);

  return {
    url,
    setLifecycle(state) {
      lifecycle = state;
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      return closed;
    },
  };
}
