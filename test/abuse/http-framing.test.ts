/**
 * A hostile guest's reply and a hostile client's request over raw sockets: the host owns HTTP
 * framing, routes only paths that mean what they say, and answers every accepted request.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "framing"
[[trigger.http]]
route = "/forged"
component = "forged"
[[trigger.http]]
route = "/status"
component = "status"
[[trigger.http]]
route = "/web/..."
component = "hello"
[component.forged]
source = "forged.wasm"
[component.status]
source = "status.wasm"
[component.hello]
source = "hello.wasm"
`;

interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** Sends `raw` on one connection and parses every response that comes back, by content-length. */
async function exchange(url: string, raw: string): Promise<{ responses: RawResponse[]; rest: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(raw);
  let data = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (data += chunk));
  await new Promise((resolve) => socket.on('close', resolve));
  const responses: RawResponse[] = [];
  let rest = data;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end === -1 || !rest.startsWith('HTTP/1.1 ')) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]);
    const length = Number(headers.find(([n]) => n === 'content-length')?.[1] ?? 0);
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return { responses, rest };
}

const header = (r: RawResponse, name: string) => r.headers.filter(([n]) => n === name).map(([, v]) => v);

describe('HTTP framing against hostile guests and clients', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ manifest: MANIFEST, wat: ['forged', 'status', 'hello', 'spin'] });
  });
  after(() => t.stop());

  it('frames a forged reply itself: nothing the guest wrote becomes a second response', async () => {
    const { responses, rest } = await exchange(
      t.url,
      'GET /forged HTTP/1.1\r\nhost: x\r\n\r\nGET /web/next HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
    );
    assert.equal(rest, '', 'no bytes beyond the two responses');
    assert.deepEqual(responses.map((r) => r.status), [200, 200]);
    const [forged, next] = responses as [RawResponse, RawResponse];
    assert.match(forged.body, /^hello\r\n\r\nHTTP\/1\.1 200 OK\r\nx-injected: yes/, 'the smuggled text stays inside the body');
    assert.deepEqual(header(forged, 'content-length'), [String(forged.body.length)]);
    assert.deepEqual(header(forged, 'transfer-encoding'), []);
    assert.deepEqual(header(forged, 'upgrade'), []);
    assert.notDeepEqual(header(forged, 'connection'), ['upgrade']);
    assert.deepEqual(header(forged, 'x-guest'), ['kept'], 'ordinary headers pass');
    const [eventId] = header(forged, 'x-spindle-event-id');
    assert.equal(header(forged, 'x-spindle-event-id').length, 1);
    assert.match(eventId!, /^[0-9a-f-]{36}$/, 'the host names the event, not the guest');
    assert.equal(next.body, 'hello from wat', 'the connection still serves the next request');
    assert.deepEqual(header(next, 'x-injected'), []);
  });

  it('answers 500 for a status no final response may have, and passes the rest', async () => {
    for (const status of ['999', '600', '101', '100', '199', '0']) {
      const res = await fetch(`${t.url}/status`, { method: 'POST', body: status });
      assert.equal(res.status, 500, `guest status ${status}`);
      const eventId = res.headers.get('x-spindle-event-id');
      assert.ok(t.logs.some((l) => l.eventId === eventId && l.component === 'status' && Number(l.level) === 40), 'a warning names the event');
    }
    for (const status of [200, 204, 404, 599]) {
      assert.equal((await fetch(`${t.url}/status`, { method: 'POST', body: String(status) })).status, status);
    }
  });

  it('refuses paths that would be routed one way and resolved another', async () => {
    for (const path of ['/web/../../../etc/passwd', '/web/%2e%2e/secret', '/web/%2E/x', '/web/./x', '/web\\..\\x', 'web/x']) {
      const { responses } = await exchange(t.url, `GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.equal(responses[0]?.status, 400, path);
    }
    const { responses } = await exchange(t.url, 'GET /web/x HTTP/1.1\r\nhost: evil/../../x\r\nconnection: close\r\n\r\n');
    assert.equal(responses[0]?.status, 400, 'a Host header that is not a host');
    assert.ok(!t.events.some((e) => e.event.attributes.some(([k, v]) => k === 'http.path' && v.includes('..'))), 'no such request reached a component');
  });
});

describe('drain at shutdown', () => {
  it('answers a request still running when the drain runs out with 503 instead of cutting it', async () => {
    const t = await startTestApp({
      manifest: `
spindle_manifest_version = 1
[application]
name = "drain"
[runtime]
drain_timeout = "300ms"
[[trigger.http]]
route = "/slow"
component = "spin"
[component.spin]
source = "spin.wasm"
`,
      wat: ['spin'],
    });
    try {
      const pending = fetch(`${t.url}/slow`, { method: 'POST', body: '3000' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const stopped = t.app.stop();
      const res = await pending;
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('connection'), 'close');
      await stopped;
    } finally {
      await t.stop();
    }
  });
});
