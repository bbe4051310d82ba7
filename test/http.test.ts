import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { result, startTestApp, type TestApp } from './support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "http-test"
[runtime]
max_body_size = "1KiB"

[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = "/echo/..."
component = "echo"
[[trigger.http]]
route = "/flaky"
component = "flaky"
[[trigger.http]]
route = "/retry"
component = "retry"
[[trigger.http]]
route = "/give-up"
component = "give-up"

[component.hello]
source = "hello.wasm"
[component.echo]
source = "echo.wasm"
[component.flaky]
source = "trap-on-data.wasm"
[component.retry]
source = "retry.wasm"
[component.give-up]
source = "give-up.wasm"
`;

describe('HTTP trigger through real components', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ manifest: MANIFEST, wat: ['hello', 'echo', 'trap-on-data', 'retry', 'give-up'] });
  });
  after(() => t.stop());

  it('answers with the component\'s status, headers and body', async () => {
    const res = await fetch(`${t.url}/hello`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain');
    assert.equal(await res.text(), 'hello from wat');
  });

  it('treats a trailing slash on an exact route as the same route', async () => {
    const res = await fetch(`${t.url}/hello/`);
    assert.equal(await res.text(), 'hello from wat');
  });

  it('passes the request body to the component as event data', async () => {
    const res = await fetch(`${t.url}/echo/x`, { method: 'POST', body: 'bytes \u00e9\u0000\u00ff' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'bytes \u00e9\u0000\u00ff');
  });

  it('answers 404 when no route matches', async () => {
    const res = await fetch(`${t.url}/nothing-here`);
    assert.equal(res.status, 404);
  });

  it('answers 413 for a body over max_body_size, by declared length or by streaming', async () => {
    const declared = await fetch(`${t.url}/echo`, { method: 'POST', body: 'x'.repeat(1025) });
    assert.equal(declared.status, 413);
    assert.match(await declared.text(), /limit is 1KiB/);

    const chunks = ['a'.repeat(600), 'b'.repeat(600)];
    const streamed = await fetch(`${t.url}/echo`, {
      method: 'POST',
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(new TextEncoder().encode(next));
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);

    const atLimit = await fetch(`${t.url}/echo`, { method: 'POST', body: 'x'.repeat(1024) });
    assert.equal(atLimit.status, 200);
    assert.equal((await atLimit.text()).length, 1024);
  });

  it('answers 500 when the component traps, logs it, and serves the next request', async () => {
    const failed = await fetch(`${t.url}/flaky`, { method: 'POST', body: 'trap please' });
    assert.equal(failed.status, 500);
    const eventId = failed.headers.get('x-spindle-event-id');
    assert.ok(eventId);
    const observed = t.events.find((e) => e.event.id === eventId);
    assert.equal(observed?.component, 'flaky');
    assert.equal(observed.event.source, '/spindle/http/flaky');
    assert.equal(result(observed), 'trap');
    const lines = t.logs.filter((l) => l.eventId === eventId && l.failure !== undefined);
    assert.deepEqual(lines.map((l) => [l.component, l.source, l.failure]), [['flaky', '/spindle/http/flaky', 'trap']], 'one log line names the event');

    const next = await fetch(`${t.url}/flaky`);
    assert.equal(next.status, 200);
    assert.equal(await next.text(), 'ok');
  });

  it('answers 500 when the component returns an error', async () => {
    for (const path of ['/retry', '/give-up']) {
      const res = await fetch(`${t.url}${path}`);
      assert.equal(res.status, 500, path);
    }
    const kinds = t.events.filter((e) => e.component === 'retry' || e.component === 'give-up').map(result);
    assert.deepEqual(kinds.slice(-2), ['retry-later', 'give-up']);
  });

  it('answers 50 concurrent requests, each with its own body', async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => `request-${i}-${'z'.repeat(i)}`);
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const res = await fetch(`${t.url}/echo/${body.length}`, { method: 'POST', body });
        return [res.status, await res.text()] as const;
      }),
    );
    assert.deepEqual(answers, bodies.map((b) => [200, b]));
  });

  it('answers 400 to a malformed request and keeps serving', async () => {
    const { port } = new URL(t.url);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await fetch(`${t.url}/hello`)).status, 200);
  });
});
