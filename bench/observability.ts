/**
 * Observability: what metrics and tracing add to each event, measured around a dispatch that
 * answers at once, so the figure is the wrappers' own cost and nothing of a guest's. With the
 * admin listener off there are no metrics, and with no OTLP endpoint dispatch is not wrapped:
 * both "off" cases are the baseline itself. Spans go to a local OTLP/HTTP sink that answers 200.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newEventId, type Dispatch, type Outcome, type SpindleEvent } from '../src/event.js';
import { Metrics } from '../src/observability/metrics.js';
import { startTracing } from '../src/observability/tracing.js';
import type { BenchContext } from './context.js';
import type { Row } from './lib/report.js';

const EVENTS = 100_000;
const OK: Outcome = { ok: true, reply: { status: 200, headers: [] } };

const event = (): SpindleEvent => ({
  id: newEventId(),
  source: '/spindle/http/bench',
  type: 'spindle.http.request',
  data: new Uint8Array(),
  attributes: [['http.method', 'GET'], ['http.route', '/bench']],
});

/** Microseconds per event through `dispatch`, after a warm-up of a tenth as many. */
async function perEvent(dispatch: Dispatch): Promise<number> {
  for (let i = 0; i < EVENTS / 10; i++) await dispatch('c', event());
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) await dispatch('c', event());
  return ((performance.now() - started) * 1000) / EVENTS;
}

/** Runs `use` with the OTEL variables in `env` set, then restores the environment. */
async function withEnv<T>(env: Record<string, string>, use: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await use();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

async function traced(endpoint: string, sampler: string, base: Dispatch): Promise<number> {
  return withEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: sampler }, async () => {
    const tracing = (await startTracing('bench'))!;
    try {
      return await perEvent(tracing.wrap(base));
    } finally {
      await tracing.shutdown();
    }
  });
}

export async function benchObservability(ctx: BenchContext): Promise<Row[]> {
  const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
  sink.listen(0, '127.0.0.1');
  await once(sink, 'listening');
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const base: Dispatch = async () => OK;
  try {
    ctx.progress('observability: baseline dispatch (metrics and tracing off)');
    const baseline = await perEvent(base);
    ctx.progress('observability: metrics on');
    const metrics = new Metrics();
    const metered = await perEvent(async (component, e, options) => {
      const started = performance.now();
      const outcome = await base(component, e, options);
      metrics.observeEvent(component, e, outcome, performance.now() - started);
      return outcome;
    });
    ctx.progress('observability: tracing on, sampled out');
    const sampledOut = await traced(endpoint, 'always_off', base);
    ctx.progress('observability: tracing on, every event sampled');
    const sampled = await traced(endpoint, 'always_on', base);
    const row = (name: string, value: number, detail?: string): Row => ({ group: 'observability', name, value, unit: 'µs per event', ...(detail ? { detail } : {}) });
    const over = (value: number) => `+${(value - baseline).toFixed(2)} µs over the baseline`;
    return [
      row('dispatch, metrics and tracing off (the baseline)', baseline),
      row('metrics on (counter and histogram per event)', metered, over(metered)),
      row('tracing on, sampled out (always_off)', sampledOut, over(sampledOut)),
      row('tracing on, every event sampled, exported over OTLP/HTTP', sampled, `${over(sampled)}; past the batch queue (2,048 spans) spans are dropped, as in production`),
    ];
  } finally {
    sink.close();
  }
}
