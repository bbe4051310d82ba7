import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startApp, type App } from '../src/app.js';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import type { HttpTrigger } from '../src/triggers/http.js';
import { collectingLogger, waitFor } from './support/harness.js';

const EXAMPLE = fileURLToPath(new URL('../../manifests/hello/spindle.toml', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/spindle.js', import.meta.url));

describe('the hello example with componentize-js components', () => {
  let app: App;
  let url: string;
  const logs: Array<Record<string, unknown>> = [];

  before(async () => {
    // Built once, then skipped while the sources are unchanged.
    await buildComponents(await loadManifest(EXAMPLE, { checkSources: false }));
    app = await startApp(await loadManifest(EXAMPLE), { listen: '127.0.0.1:0', logger: collectingLogger(logs) });
    url = (app.triggers[0] as HttpTrigger).url!;
  });
  after(() => app?.stop());

  it('serves a JS component written against Spindle\'s world', async () => {
    const res = await fetch(`${url}/hello/a/b?name=Ada`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await res.text(), /^Hello, Ada! \(path info "\/a\/b", event [0-9a-f-]{36}\)/);

    const user = await fetch(`${url}/users/42`);
    assert.equal(user.headers.get('content-type'), 'application/json');
    assert.equal((await user.json()).id, '42');
  });

  it('logs a guest\'s stdout tagged with its component and event', async () => {
    const body = await (await fetch(`${url}/hello/logged`)).text();
    const line = await waitFor(() => logs.find((l) => l.component === 'greeter' && l.stream === 'stdout' && String(l.msg).includes('/hello/logged')));
    assert.equal(line.msg, 'GET /hello/logged');
    assert.equal(line.eventId, /event ([0-9a-f-]{36})/.exec(body)?.[1]);
  });

  it('serves a wasi:http fetch handler for every request, in sequence and concurrently', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/web/seq/${i}`, { method: 'POST', body: `body ${i}` });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-served-by'), 'wasi-http');
      assert.equal(await res.text(), `POST /web/seq/${i} with "body ${i}" served by a wasi:http component\n`);
    }
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${url}/web/par/${i}`).then((r) => r.text())));
    assert.deepEqual(answers, Array.from({ length: 10 }, (_, i) => `GET /web/par/${i} served by a wasi:http component\n`));
  });
});

describe('spindle up', () => {
  it('serves the example, then drains and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'up', EXAMPLE, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      const listening = await waitFor(() => /listening on (http:\/\/[\d.:]+)/.exec(out), 30_000, 'spindle up to listen');
      const res = await fetch(`${listening[1]}/hello?name=CLI`);
      assert.match(await res.text(), /^Hello, CLI!/);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0, out);
      assert.match(out, /"msg":"stopped"/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
