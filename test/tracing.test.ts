/**
 * Traces across processes: an HTTP request with a `traceparent` enqueues a job in one
 * `spindle up`, another runs it, and both send their spans over OTLP/HTTP to a receiver here
 * that decodes them. The request's span, and the job's under it, belong to the caller's trace.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import { makeAppDir, waitFor } from './support/harness.js';
import { startRedis, type TestRedis } from './support/redis-server.js';
import { startSpindle, type SpindleProcess } from './support/spindle-process.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));
const CAPABILITIES = join(fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url)), 'build', 'capabilities.wasm');

const front = `
spindle_manifest_version = 1
[application]
name = "front"
[[trigger.http]]
route = "/orders"
component = "producer"
[component.producer]
source = "${CAPABILITIES}"
enqueue_queues = ["orders"]
key_value_stores = ["counts"]
`;

const back = `
spindle_manifest_version = 1
[application]
name = "back"
[[trigger.queue]]
queue = "orders"
component = "worker"
[component.worker]
source = "echo.wasm"
`;

interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  attributes: Record<string, string>;
}

/** A minimal OTLP/HTTP trace receiver: decodes the JSON encoding of ExportTraceServiceRequest. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: ReceivedSpan[]; contentTypes: string[] }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    contentTypes.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as {
      resourceSpans: Array<{ resource: { attributes: Attr[] }; scopeSpans: Array<{ spans: RawSpan[] }> }>;
    };
    for (const rs of body.resourceSpans) {
      const service = values(rs.resource.attributes)['service.name']!;
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          spans.push({ service, name: s.name, kind: s.kind, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', attributes: values(s.attributes) });
        }
      }
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, contentTypes };
}

type Attr = { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } };
type RawSpan = { name: string; kind: number; traceId: string; spanId: string; parentSpanId?: string; attributes: Attr[] };
const values = (attrs: Attr[]) => Object.fromEntries(attrs.map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue ?? a.value.boolValue)]));

describe('traces across two spindle up processes on one Redis', () => {
  let redis: TestRedis;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let dir: string;
  const nodes: SpindleProcess[] = [];

  before(async () => {
    await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
    redis = await startRedis();
    receiver = await startReceiver();
    dir = await makeAppDir({ wat: ['echo'], files: { 'front.toml': front, 'back.toml': back } });
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', SPINDLE_CACHE_DIR: join(dir, 'cache') };
    nodes.push(startSpindle(join(dir, 'front.toml'), ['--redis', redis.url, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--workers', '1'], env));
    nodes.push(startSpindle(join(dir, 'back.toml'), ['--redis', redis.url, '--workers', '1'], env));
    await waitFor(() => nodes.every((n) => n.logs.some((l) => l.msg === 'ready')), 60_000, 'both processes ready');
  });
  after(
    async () => {
      const exits = nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? once(n.child, 'exit') : null));
      for (const n of nodes) n.child.kill('SIGTERM');
      await Promise.all(exits);
      receiver?.server.close();
      await redis?.stop();
      await rm(dir, { recursive: true, force: true });
    },
    { timeout: 30_000 },
  );

  it('links the request span and the job span into the caller\'s trace, parent to child', async () => {
    const url = String(nodes[0]!.logs.find((l) => typeof l.url === 'string' && String(l.msg).startsWith('listening'))!.url);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=abc' },
      body: JSON.stringify({ op: 'enqueue', queue: 'orders', data: '{"order":7}', jobId: 'order-7' }),
    });
    assert.deepEqual(await res.json(), { ok: 'order-7' });

    const job = await waitFor(() => receiver.spans.find((s) => s.service === 'back' && s.attributes['spindle.trigger'] === 'queue'), 20_000, 'the job\'s span');
    const request = await waitFor(() => receiver.spans.find((s) => s.service === 'front' && s.attributes['spindle.trigger'] === 'http'), 20_000, 'the request\'s span');

    assert.equal(request.traceId, traceId, 'the request continues the caller\'s trace');
    assert.equal(request.parentSpanId, callerSpan, 'under the caller\'s span');
    assert.equal(request.name, 'POST /orders');
    assert.equal(request.kind, 2, 'SERVER');
    assert.equal(request.attributes['spindle.component'], 'producer');
    assert.equal(request.attributes['spindle.outcome'], 'ok');

    assert.equal(job.traceId, traceId, 'the job, run by the other process, is in the same trace');
    assert.equal(job.parentSpanId, request.spanId, 'under the span of the request that enqueued it');
    assert.equal(job.name, 'process orders');
    assert.equal(job.kind, 5, 'CONSUMER');
    assert.equal(job.attributes['spindle.subject'], 'order-7');
    assert.equal(job.attributes['spindle.outcome'], 'ok');

    const enqueue = await waitFor(() => receiver.spans.find((s) => s.name === 'queue enqueue'), 20_000, 'the enqueue host call\'s span');
    assert.equal(enqueue.service, 'front');
    assert.equal(enqueue.traceId, traceId);
    assert.equal(enqueue.parentSpanId, request.spanId, 'the host call is a child of its event');
    assert.equal(enqueue.kind, 3, 'CLIENT');

    const admin = String(nodes[0]!.logs.find((l) => String(l.msg).startsWith('admin listener on'))!.url);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /^spindle_host_call_duration_seconds_count\{capability="queue",call="enqueue"\} 1$/m);
    assert.ok(receiver.contentTypes.every((c) => c === 'POST /v1/traces application/json'), receiver.contentTypes.join());
  });

  it('traces and counts a key-value call, served off the main thread, as a child of its event', async () => {
    const url = String(nodes[0]!.logs.find((l) => typeof l.url === 'string' && String(l.msg).startsWith('listening'))!.url);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      body: JSON.stringify({ op: 'increment', store: 'counts', key: 'visits', delta: 2 }),
    });
    assert.deepEqual(await res.json(), { ok: '2' });

    const request = await waitFor(() => receiver.spans.find((s) => s.traceId === traceId && s.attributes['spindle.trigger'] === 'http'), 20_000, 'the request\'s span');
    const increment = await waitFor(() => receiver.spans.find((s) => s.traceId === traceId && s.name === 'key-value kvIncrement'), 20_000, 'the key-value call\'s span');
    assert.equal(increment.parentSpanId, request.spanId, 'the host call is a child of its event');
    assert.equal(increment.kind, 3, 'CLIENT');

    const admin = String(nodes[0]!.logs.find((l) => String(l.msg).startsWith('admin listener on'))!.url);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    assert.match(metrics, /^spindle_host_call_duration_seconds_count\{capability="key-value",call="kvIncrement"\} 1$/m);
  });
});

describe('tracing switched off', () => {
  it('is off unless an OTLP endpoint is configured', async () => {
    const { startTracing, tracingRequested } = await import('../src/observability/tracing.js');
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }), false);
    const saved = { ...process.env };
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    try {
      assert.equal(await startTracing('app'), undefined);
    } finally {
      Object.assign(process.env, saved);
    }
  });
});
