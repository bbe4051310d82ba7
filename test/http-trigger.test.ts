import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, describe, it } from 'node:test';
import type { Dispatch, Outcome, SpindleEvent } from '../src/event.js';
import { createEmbeddedBroker } from '../src/brokers/embedded.js';
import { manifestSchema } from '../src/manifest/schema.js';
import httpTrigger, { type HttpTrigger } from '../src/triggers/http.js';
import { collectingLogger } from './support/harness.js';

const manifest = manifestSchema.parse({
  spindle_manifest_version: 1,
  application: { name: 'trigger-test' },
  runtime: { listen: '127.0.0.1:0', drain_timeout: '2s' },
  component: { c: { source: 'c.wasm' } },
});

function startTrigger(dispatch: Dispatch): Promise<HttpTrigger> {
  const trigger = httpTrigger.create([{ route: '/probe/:id/...', component: 'c' }, { route: '/x', component: 'c' }], {
    manifest,
    logger: collectingLogger([]),
    broker: createEmbeddedBroker(),
  });
  return trigger.start(dispatch).then(() => trigger);
}

const ok = (body: string): Outcome => ({ ok: true, reply: { status: 201, headers: [['x-a', '1'], ['x-a', '2']], body: new TextEncoder().encode(body) } });

describe('HTTP trigger', () => {
  const started: HttpTrigger[] = [];
  after(() => Promise.all(started.map((t) => t.stop())));

  it('turns a request into an event with method, path, query, route, params and headers', async () => {
    const seen: SpindleEvent[] = [];
    const trigger = await startTrigger(async (component, event) => {
      assert.equal(component, 'c');
      seen.push(event);
      return ok('done');
    });
    started.push(trigger);
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${trigger.url}/probe/7/a%20b/c?x=1&y=2`, { method: 'PUT', headers: { 'X-Custom': 'v1', 'content-type': 'text/csv' } }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body }));
      });
      req.on('error', reject);
      req.end('payload');
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers['x-a'], '1, 2');
    assert.equal(res.body, 'done');

    const event = seen[0]!;
    assert.equal(event.type, 'spindle.http.request');
    assert.equal(event.datacontenttype, 'text/csv');
    assert.equal(new TextDecoder().decode(event.data), 'payload');
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    const attrs = new Map(event.attributes);
    assert.equal(attrs.get('http.method'), 'PUT');
    assert.equal(attrs.get('http.path'), '/probe/7/a%20b/c');
    assert.equal(attrs.get('http.query'), 'x=1&y=2');
    assert.equal(attrs.get('http.route'), '/probe/:id/...');
    assert.equal(attrs.get('http.param.id'), '7');
    assert.equal(attrs.get('http.matched-base'), '/probe/7');
    assert.equal(attrs.get('http.path-info'), '/a%20b/c');
    assert.equal(attrs.get('http.header.x-custom'), 'v1');
  });

  it('reads a chunked body, takes a request with neither length nor chunks as empty, and keeps the connection', async () => {
    const seen: SpindleEvent[] = [];
    const trigger = await startTrigger(async (_component, event) => {
      seen.push(event);
      return ok('ok');
    });
    started.push(trigger);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, chunks: string[] = []) =>
      new Promise<{ status: number; port: number }>((resolve, reject) => {
        const req = request(`${trigger.url}/x`, { method, agent }, (r) => {
          const port = r.socket.localPort!;
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode!, port }));
        });
        req.on('error', reject);
        for (const chunk of chunks) req.write(chunk);
        req.end();
      });
    try {
      const answers = [await send('GET'), await send('POST', ['ab', 'cd']), await send('GET')];
      assert.deepEqual(answers.map((a) => a.status), [201, 201, 201]);
      assert.equal(new Set(answers.map((a) => a.port)).size, 1, 'every request went over one kept-alive connection');
      assert.deepEqual(seen.map((e) => new TextDecoder().decode(e.data)), ['', 'abcd', '']);
      const headers = seen.map((e) => new Map(e.attributes));
      assert.deepEqual(headers.map((h) => [h.get('http.header.transfer-encoding'), h.get('http.header.content-length')]), [[undefined, undefined], ['chunked', undefined], [undefined, undefined]]);
    } finally {
      agent.destroy();
    }
  });

  it('maps failures to 503 with retry-after, 504 and 500', async () => {
    const kinds = { '/probe/1': 'overloaded', '/probe/2': 'timeout', '/probe/3': 'trap' } as const;
    const trigger = await startTrigger(async (component, event) => {
      const path = new Map(event.attributes).get('http.path') as keyof typeof kinds;
      return { ok: false, failure: { kind: kinds[path], message: 'nope', component, eventId: event.id } };
    });
    started.push(trigger);
    const overloaded = await fetch(`${trigger.url}/probe/1`);
    assert.equal(overloaded.status, 503);
    assert.equal(overloaded.headers.get('retry-after'), '1');
    assert.equal((await fetch(`${trigger.url}/probe/2`)).status, 504);
    assert.equal((await fetch(`${trigger.url}/probe/3`)).status, 500);
  });

  it('finishes requests in flight on stop, then refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const trigger = await startTrigger(async () => {
      entered();
      await gate;
      return ok('finished');
    });
    const pending = fetch(`${trigger.url}/x`).then(async (r) => [r.status, await r.text()]);
    await inside;
    let stopped = false;
    const stopping = trigger.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stopped, false, 'stop waits for the request in flight');
    release();
    assert.deepEqual(await pending, [201, 'finished']);
    await stopping;
    await assert.rejects(fetch(`${trigger.url}/x`));
    await trigger.stop();
  });
});
