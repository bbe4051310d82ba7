/**
 * Swapping components in a running app, and `spindle up --watch` on the http-api template, as a separate process: an edited handler is
 * rebuilt and swapped in with the process and its embedded key-value kept; a build error
 * leaves the old component serving; a manifest change reloads the app.
 */
import assert from 'node:assert/strict';
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startTestApp, waitFor } from './support/harness.js';
import { startSpindle, type SpindleProcess } from './support/spindle-process.js';

const TEMPLATE = fileURLToPath(new URL('../../templates/http-api/', import.meta.url));
const BUILDS = fileURLToPath(new URL('../../.spindle/template-builds/http-api/', import.meta.url));
/** A rebuild componentizes again: seconds on an idle machine, far more on a busy one. */
const REBUILD_MS = 120_000;

describe('reloading the components of a running app', () => {
  it('finishes events in flight on the old instances and sends new ones to the new', async () => {
    const t = await startTestApp({
      manifest: `spindle_manifest_version = 1
[application]
name = "reload"
[[trigger.http]]
route = "/web"
component = "web"
[component.web]
source = "spin.wasm"
`,
      wat: ['spin', 'hello'],
    });
    try {
      const old = t.app.executor;
      const slow = fetch(`${t.url}/web`, { method: 'POST', body: '1500' });
      await waitFor(() => old.inFlight === 1, 5_000, 'the slow event to be running');
      await copyFile(join(t.dir, 'hello.wasm'), join(t.dir, 'spin.wasm'));
      const reloaded = t.app.reloadComponents();
      await waitFor(() => t.app.executor !== old, 10_000, 'the new executor');
      assert.equal(await (await fetch(`${t.url}/web`)).text(), 'hello from wat', 'a new event goes to the new component');
      const first = await slow;
      assert.equal(first.status, 200);
      assert.equal(await first.text(), '1500', 'the event in flight finished on the old one');
      await reloaded;
      assert.equal(old.inFlight, 0);
    } finally {
      await t.stop();
    }
  });
});

describe('spindle up --watch', () => {
  let dir: string;
  let node: SpindleProcess;
  const urls = () => node.logs.filter((l) => typeof l.url === 'string').map((l) => String(l.url));
  const logged = (text: string) => node.logs.some((l) => String(l.msg).includes(text));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spindle-watch-'));
    await cp(TEMPLATE, dir, { recursive: true });
    await cp(BUILDS, join(dir, 'build'), { recursive: true }).catch(() => {});
    node = startSpindle(join(dir, 'spindle.toml'), ['--watch', '--listen', '127.0.0.1:0']);
    await waitFor(() => logged('ready; watching'), REBUILD_MS, 'the app to start');
  });
  after(async () => {
    node?.child.kill('SIGTERM');
    await node?.exited();
    await rm(dir, { recursive: true, force: true });
  });

  it('swaps in an edited handler in the same process, with the key-value store kept', async () => {
    const url = urls()[0]!;
    assert.equal((await fetch(`${url}/items/1`, { method: 'PUT', body: '{"name":"tea"}' })).status, 200);
    const handler = join(dir, 'src', 'api.ts');
    const source = await readFile(handler, 'utf8');
    await writeFile(handler, source.replace('json(200, item)', 'json(200, { ...item, edited: true })'));
    const edited = await waitFor(async () => {
      const body = (await (await fetch(`${url}/items/1`)).json()) as { edited?: boolean };
      return body.edited && body;
    }, REBUILD_MS, 'the edited handler to answer');
    assert.deepEqual(edited, { name: 'tea', edited: true }, 'the value written before the edit is still there');
    assert.equal(node.child.exitCode, null, 'the process that started is the one answering');
    assert.equal(urls().length, 1, 'the HTTP trigger was not restarted');
    assert.ok(logged('swapped in api'));
  });

  it('keeps the old component serving when the build fails', async () => {
    const url = urls()[0]!;
    const handler = join(dir, 'src', 'api.ts');
    const source = await readFile(handler, 'utf8');
    await writeFile(handler, `${source}\nexport const = ;\n`);
    await waitFor(() => logged('not reloaded, the app serves on as before'), REBUILD_MS, 'the build error');
    assert.deepEqual(await (await fetch(`${url}/items/1`)).json(), { name: 'tea', edited: true });
    await writeFile(handler, source);
  });

  it('reloads the app when the manifest changes', async () => {
    const manifest = join(dir, 'spindle.toml');
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('route = "/items"', 'route = "/things"'));
    await waitFor(() => urls().length === 2, REBUILD_MS, 'the app to start again');
    const res = await fetch(`${urls()[1]!}/things`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), []);
    assert.equal(node.child.exitCode, null);
  });
});
