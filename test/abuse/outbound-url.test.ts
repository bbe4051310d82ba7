/**
 * A guest's outgoing request is checked on the URL that is actually sent. The request is made
 * with the WASI shim's own `OutgoingRequest`, as a guest makes it, and handed to the outgoing
 * handler a guest is given; what reaches `fetch` is recorded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OutgoingRequestData } from '../../src/capabilities/contract.js';
import { outboundPolicy } from '../../src/capabilities/outbound-hosts.js';
import { outgoingHandler } from '../../src/capabilities/outgoing-http.js';
import { shim } from '../../src/executor/worker/wasi-shim.js';

async function attempt(allowed: string[], authority: string, pathWithQuery: string | undefined) {
  const { http, io } = await shim();
  const sent: string[] = [];
  const denied: string[] = [];
  const handler = outgoingHandler(http, io, {
    policy: outboundPolicy(allowed),
    fetch: (request: OutgoingRequestData) => {
      sent.push(request.url);
      return { status: 200, headers: [], body: new Uint8Array() };
    },
    denied: (message) => denied.push(message),
  });
  const request = new http.types.OutgoingRequest(http.types.Fields.fromList([]));
  request.setScheme({ tag: 'HTTP' });
  request.setAuthority(authority);
  if (pathWithQuery !== undefined) request.setPathWithQuery(pathWithQuery);
  try {
    handler.handle(request).get();
  } catch (err) {
    return { error: (err as { tag?: string }).tag, sent, denied };
  }
  return { error: undefined, sent, denied };
}

describe('outbound URL checks', () => {
  it('sends an allowed request to exactly the URL its parts make', async () => {
    const { error, sent } = await attempt(['http://127.0.0.1:3197'], '127.0.0.1:3197', '/path?q=1');
    assert.equal(error, undefined);
    assert.deepEqual(sent, ['http://127.0.0.1:3197/path?q=1']);
  });

  for (const path of [':6379/x', '7/x', ':6379', 'calhost:8080/x', '@evil.example/x', '']) {
    it(`refuses a path-with-query that does not start with "/": ${JSON.stringify(path)}`, async () => {
      const { error, sent } = await attempt(['http://127.0.0.1:3197', 'http://127.0.0.1'], '127.0.0.1:3197', path);
      assert.equal(error, 'HTTP-request-URI-invalid');
      assert.deepEqual(sent, []);
    });
  }

  it('keeps a path that begins with two slashes a path on the allowed host', async () => {
    const { error, sent } = await attempt(['http://127.0.0.1:3197'], '127.0.0.1:3197', '//evil.example/x');
    assert.equal(error, undefined);
    assert.deepEqual(sent, ['http://127.0.0.1:3197//evil.example/x']);
  });

  it('refuses a host or port outside the allow-list, checked on the normalised URL', async () => {
    for (const [authority, path] of [['127.0.0.1:6379', '/'], ['LOCALHOST:3197', '/'], ['127.0.0.2:3197', '/']] as const) {
      const { error, sent, denied } = await attempt(['http://127.0.0.1:3197'], authority, path);
      assert.equal(error, 'HTTP-request-denied', authority);
      assert.deepEqual(sent, []);
      assert.equal(denied.length, 1);
    }
  });

  it('treats a default port written out as the same URL', async () => {
    const { error, sent } = await attempt(['http://example.test'], 'example.test:80', '/');
    assert.equal(error, undefined);
    assert.deepEqual(sent, ['http://example.test/']);
  });
});
