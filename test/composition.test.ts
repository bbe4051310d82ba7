/**
 * Component composition: a component's imports served by another component's exports, linked
 * per instance in the worker. Values of every kind cross the boundary; a dependency gets no
 * capability unless the manifest passes the component's on; a trap in the dependency fails the
 * event and replaces both instances; per-event isolation restores both; misfits are refused at
 * load naming both sides.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ComponentLoadError } from '../src/errors.js';
import { result, startTestApp, type TestApp } from './support/harness.js';
import { RENDER_WIT, buildRenderer, buildUser } from './support/composed-components.js';
import { buildWatComponentFor } from './support/wat-components.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "composition-test"

[variables]
greeting = { default = "hello" }

[[trigger.http]]
route = "/user"
component = "user"
[[trigger.http]]
route = "/isolated"
component = "isolated"
[[trigger.http]]
route = "/inherit"
component = "inherit"
[[trigger.http]]
route = "/capped"
component = "capped"

[component.renderer]
source = "renderer.wasm"

[component.user]
source = "user.wasm"
environment = { A = "1", B = "2" }
files = [{ source = "assets", destination = "/assets" }]
variables = { greeting = "{{ greeting }}" }
allowed_outbound_hosts = ["https://example.invalid"]
[component.user.dependencies]
"acme:text" = { path = "renderer.wasm" }

[component.isolated]
source = "user.wasm"
isolation = "per-event"
[component.isolated.dependencies]
"acme:text" = { component = "renderer" }

[component.capped]
source = "user.wasm"
memory = "2MiB"
timeout = "1s"
[component.capped.dependencies]
"acme:text" = { component = "renderer" }

[component.inherit]
source = "user.wasm"
environment = { A = "1", B = "2" }
files = [{ source = "assets", destination = "/assets" }]
variables = { greeting = "{{ greeting }}" }
allowed_outbound_hosts = ["https://example.invalid"]
dependencies_inherit_configuration = true
[component.inherit.dependencies]
"acme:text/render" = { component = "renderer" }
"acme:text/errors" = { component = "renderer" }
`;

const call = (t: TestApp, route: string, body: string) => fetch(`${t.url}/${route}`, { method: 'POST', body });

async function answer(t: TestApp, route: string, body: string): Promise<{ status: number; text: string }> {
  const res = await call(t, route, body);
  return { status: res.status, text: await res.text() };
}

async function counts(t: TestApp, route: string): Promise<[number, number]> {
  const res = await call(t, route, 'k');
  assert.equal(res.status, 200);
  const view = new DataView(await res.arrayBuffer());
  return [view.getUint32(0, true), view.getUint32(4, true)];
}

describe('values across the boundary', () => {
  let t: TestApp;
  before(async () => {
    t = await startComposed();
  });
  after(() => t.stop());

  it('passes strings and both arms of a result', async () => {
    assert.deepEqual(await answer(t, 'user', 'shello, wörld'), { status: 200, text: 'hello, wörld' });
    assert.deepEqual(await answer(t, 'user', 's'), { status: 400, text: 'empty' });
  });

  it('passes a record holding a list of strings, and takes one back', async () => {
    assert.deepEqual(await answer(t, 'user', 'pTitle ✓'), { status: 202, text: 'Title ✓' });
  });

  it('passes every case of a variant and both arms of an option', async () => {
    assert.deepEqual(await answer(t, 'user', 'dnamed shape'), { status: 200, text: 'named shape' });
    assert.deepEqual(await answer(t, 'user', 'c'), { status: 200, text: 'circle' });
    assert.equal((await answer(t, 'user', 'e')).status, 204);
    assert.equal((await answer(t, 'user', 'n')).status, 242);
  });

  it('passes a type the interface takes from another interface', async () => {
    assert.deepEqual(await answer(t, 'user', 'xnot today'), { status: 400, text: 'not today' });
  });
});

/** Starts MANIFEST with the two components built from WAT. */
async function startComposed(): Promise<TestApp> {
  const [renderer, user] = await Promise.all([buildRenderer(), buildUser()]);
  return startTestApp({
    manifest: MANIFEST,
    files: { 'assets/note.txt': 'granted', 'renderer.wasm': renderer, 'user.wasm': user },
    workers: 1,
  });
}

describe('capabilities of a dependency', () => {
  let t: TestApp;
  before(async () => {
    t = await startComposed();
  });
  after(() => t.stop());

  it('gives a dependency no environment, files, network or variables of its own', async () => {
    assert.equal((await answer(t, 'user', 'v')).status, 200, 'no environment variable is visible');
    assert.equal((await answer(t, 'user', 'f')).status, 200, 'no directory is preopened');
    assert.equal((await answer(t, 'user', 'h')).status, 403, 'an outgoing request is refused');
    const greeting = await answer(t, 'user', 'g');
    assert.equal(greeting.status, 403);
    assert.match(greeting.text, /\(dependency acme:text\)" is not granted variable "greeting"/);
  });

  it('gives a dependency the component\'s grants with dependencies_inherit_configuration', async () => {
    assert.equal((await answer(t, 'inherit', 'v')).status, 202);
    assert.equal((await answer(t, 'inherit', 'f')).status, 201);
    assert.equal((await answer(t, 'inherit', 'h')).status, 200);
    assert.deepEqual(await answer(t, 'inherit', 'g'), { status: 200, text: 'hello' });
  });
});

describe('a component and its dependency are one unit', () => {
  let t: TestApp;
  before(async () => {
    t = await startComposed();
  });
  after(() => t.stop());

  it('fails the event when the dependency traps, and replaces both instances', async () => {
    assert.deepEqual(await counts(t, 'user'), [1, 1]);
    assert.deepEqual(await counts(t, 'user'), [2, 2], 'a pooled pair keeps its state');
    assert.equal((await call(t, 'user', 't')).status, 500);
    const trapped = t.events.filter((e) => e.component === 'user').at(-1)!;
    assert.equal(result(trapped), 'trap');
    assert.deepEqual(await counts(t, 'user'), [1, 1], 'neither instance is reused after the trap');
  });

  it('holds the dependency to the component\'s memory cap and deadline', async () => {
    assert.equal((await call(t, 'capped', 'm')).status, 500);
    const hog = t.events.filter((e) => e.component === 'capped').at(-1)!;
    assert.equal(result(hog), 'memory-limit');
    assert.match(hog.outcome.ok ? '' : hog.outcome.failure.message, /memory limit of 2MiB reached/);
    assert.equal((await call(t, 'capped', 'w')).status, 504);
    assert.equal(result(t.events.filter((e) => e.component === 'capped').at(-1)!), 'timeout');
    assert.deepEqual(await counts(t, 'capped'), [1, 1], 'a fresh pair serves the next event');
  });

  it('restores both instances before every event under per-event isolation', async () => {
    for (let i = 0; i < 3; i++) assert.deepEqual(await counts(t, 'isolated'), [1, 1]);
    assert.equal((await call(t, 'isolated', 't')).status, 500);
    assert.deepEqual(await counts(t, 'isolated'), [1, 1]);
  });
});

/**
 * Starts an app whose component `user` has `dependencies`, expecting the load to be refused
 * with `message`; `user` and `renderer` replace the components of those names.
 */
async function refusedAtLoad(dependencies: string, message: RegExp, replace: { user?: Uint8Array; renderer?: Uint8Array } = {}): Promise<void> {
  const [renderer, dependent] = await Promise.all([replace.renderer ?? buildRenderer(), replace.user ?? buildUser()]);
  const manifest = `
spindle_manifest_version = 1
[application]
name = "misfit"
[[trigger.http]]
route = "/..."
component = "user"
[component.user]
source = "user.wasm"
[component.user.dependencies]
${dependencies}
`;
  await assert.rejects(startTestApp({ manifest, files: { 'renderer.wasm': renderer, 'user.wasm': dependent } }), (err: unknown) => {
    assert.ok(err instanceof ComponentLoadError, String(err));
    assert.equal(err.context.component, 'user');
    assert.match(err.message, message);
    return true;
  });
}

describe('misfit dependencies are refused at load', () => {
  it('refuses a key matching none of the imports', async () => {
    await refusedAtLoad(
      `"acme:other/render" = { path = "renderer.wasm" }`,
      /dependency "acme:other\/render" \(.*renderer\.wasm\) matches none of its imports \(it imports acme:text\/errors@0\.1\.0, acme:text\/render@0\.1\.0/,
    );
  });

  it('refuses one import matched by two keys', async () => {
    await refusedAtLoad(
      `"acme:text" = { path = "renderer.wasm" }\n"acme:text/render" = { path = "renderer.wasm" }`,
      /import acme:text\/render@0\.1\.0 is matched by two dependencies, "acme:text" and "acme:text\/render"/,
    );
  });

  it('refuses an export the dependency does not have', async () => {
    await refusedAtLoad(
      `"acme:text/render" = { path = "renderer.wasm", export = "acme:text/markdown" }`,
      /has no export acme:text\/markdown to serve import acme:text\/render@0\.1\.0; it exports acme:text\/render@0\.1\.0/,
    );
  });

  it('refuses an export whose type does not match the import, naming both', async () => {
    const mismatched = await buildWatComponentFor(
      `(import "acme:text/render@0.1.0" "shout" (func $shout (param i32 i32 i32)))
       (func (export "handle") (param $ev i32) (result i32) (call $ok (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0)))`,
      'user',
      `package acme:text@0.1.0 { interface render { shout: func(s: string) -> option<string>; } }
       world user { include handler; import acme:text/render@0.1.0; }`,
    );
    await refusedAtLoad(
      `"acme:text/render@0.1.0" = { path = "renderer.wasm" }`,
      /import acme:text\/render@0\.1\.0 function shout has type \(func \(param string\) \(result \(option string\)\)\), but export acme:text\/render@0\.1\.0 of dependency .* gives it type \(func \(param string\) \(result \(result string \(error string\)\)\)\)/,
      { user: mismatched },
    );
  });

  it('refuses a function passing a resource, which cannot cross yet', async () => {
    const wit = `package acme:res@0.1.0 { interface api { resource doc; make: func() -> doc; } }
      world res-lib { export acme:res/api@0.1.0; }
      world res-user { include handler; import acme:res/api@0.1.0; }`;
    const [lib, user] = await Promise.all([
      buildWatComponentFor(`(func (export "acme:res/api@0.1.0#make") (result i32) (i32.const 1))`, 'res-lib', wit),
      buildWatComponentFor(
        `(import "acme:res/api@0.1.0" "make" (func $make (result i32)))
         (func (export "handle") (param $ev i32) (result i32) (drop (call $make)) (call $ok (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0)))`,
        'res-user',
        wit,
      ),
    ]);
    await refusedAtLoad(
      `"acme:res/api" = { path = "renderer.wasm" }`,
      /import acme:res\/api@0\.1\.0 function make passes a resource; resources cannot cross between a component and its dependency yet/,
      { user, renderer: lib },
    );
  });

  it('refuses a dependency importing what Spindle does not serve', async () => {
    const needy = await buildWatComponentFor(
      `(import "acme:db/query@1.0.0" "run" (func $run (param i32) (result i32)))
       (func (export "acme:text/render@0.1.0#count") (result i32) (call $run (i32.const 0)))`,
      'needy',
      `package acme:db@1.0.0 { interface query { run: func(n: u32) -> u32; } }
       package acme:text@0.1.0 { interface render { count: func() -> u32; } }
       world needy { import acme:db/query@1.0.0; export acme:text/render@0.1.0; }`,
    );
    await refusedAtLoad(
      `"acme:text/render" = { path = "renderer.wasm" }`,
      /dependency "acme:text\/render" of component "user" imports acme:db\/query@1\.0\.0, which Spindle does not serve/,
      { renderer: needy },
    );
  });
});
