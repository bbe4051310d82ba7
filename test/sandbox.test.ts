import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from './support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "sandbox-test"

[[trigger.http]]
route = "/env"
component = "env"
[[trigger.http]]
route = "/env-none"
component = "env-none"
[[trigger.http]]
route = "/files"
component = "files"
[[trigger.http]]
route = "/files-none"
component = "files-none"
[[trigger.http]]
route = "/exit"
component = "exit"
[[trigger.http]]
route = "/hello"
component = "hello"

[component.env]
source = "env.wasm"
environment = { GRANTED = "yes" }
[component.env-none]
source = "env.wasm"
[component.files]
source = "files.wasm"
files = [{ source = "assets", destination = "/assets" }]
[component.files-none]
source = "files.wasm"
[component.exit]
source = "exit.wasm"
[component.hello]
source = "hello.wasm"
`;

const post = (url: string, body: string) => fetch(url, { method: 'POST', body });

describe('WASI sandbox', () => {
  let t: TestApp;
  before(async () => {
    process.env.SPINDLE_TEST_SECRET = 'host secret';
    t = await startTestApp({
      manifest: MANIFEST,
      wat: ['env', 'files', 'exit', 'hello'],
      files: { 'assets/note.txt': 'granted file', 'secret.txt': 'host secret file' },
    });
  });
  after(async () => {
    delete process.env.SPINDLE_TEST_SECRET;
    await t.stop();
  });

  it('shows a guest only the environment the manifest grants', async () => {
    const granted = await fetch(`${t.url}/env`);
    assert.equal(granted.status, 201, 'exactly one variable is visible');
    assert.equal(await granted.text(), 'GRANTED');
    assert.ok(process.env.SPINDLE_TEST_SECRET && Object.keys(process.env).length > 1);

    const none = await fetch(`${t.url}/env-none`);
    assert.equal(none.status, 200, 'no variable is visible without a grant');
  });

  it('lets a guest read a granted file', async () => {
    const res = await post(`${t.url}/files`, 'note.txt');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'granted file');
  });

  it('refuses a guest any path outside its files', async () => {
    for (const path of ['../secret.txt', '../../../../etc/passwd', 'missing.txt']) {
      const res = await post(`${t.url}/files`, path);
      assert.equal(res.status, 403, path);
      assert.doesNotMatch(await res.text(), /secret|root:/);
    }
    const none = await post(`${t.url}/files-none`, 'note.txt');
    assert.equal(none.status, 404, 'nothing is preopened without a grant');
  });

  it('keeps the host running when a guest calls exit', async () => {
    const res = await fetch(`${t.url}/exit`);
    assert.equal(res.status, 500);
    const observed = t.events.find((e) => e.component === 'exit');
    assert.ok(observed && !observed.outcome.ok);
    assert.equal(observed.outcome.failure.kind, 'trap');
    assert.match(observed.outcome.failure.message, /exit/);
    assert.equal((await fetch(`${t.url}/hello`)).status, 200);
    assert.equal((await fetch(`${t.url}/exit`)).status, 500, 'a fresh instance runs for the next event');
  });
});
