/**
 * Components that do not fit Spindle are refused when the app loads, naming the export or
 * import at fault, instead of starting and then failing every event with a TypeError: a
 * `handle` with another signature, an interface Spindle does not serve, a served interface at a
 * version it does not serve.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ComponentLoadError } from '../../src/errors.js';
import { makeAppDir, startTestApp } from '../support/harness.js';
import { buildWatComponentFor } from '../support/wat-components.js';

const manifest = `
spindle_manifest_version = 1
[application]
name = "misfits"
[[trigger.http]]
route = "/..."
component = "misfit"
[component.misfit]
source = "misfit.wasm"
`;

/** Writes `wasm` where the manifest's one component is, and returns the manifest. */
async function withComponent(wasm: Uint8Array): Promise<{ manifest: string; dir: string }> {
  const dir = await makeAppDir({});
  await writeFile(join(dir, 'misfit.wasm'), wasm);
  return { manifest: manifest.replace('misfit.wasm', join(dir, 'misfit.wasm')), dir };
}

/** Starts an app whose one component is `wasm`, expecting the load to be refused. */
async function refusedAtLoad(wasm: Uint8Array, message: RegExp): Promise<void> {
  const app = await withComponent(wasm);
  try {
    await assert.rejects(startTestApp({ manifest: app.manifest }), (err: unknown) => {
      assert.ok(err instanceof ComponentLoadError, String(err));
      assert.equal(err.context.component, 'misfit');
      assert.match(err.message, message);
      return true;
    });
  } finally {
    await rm(app.dir, { recursive: true, force: true });
  }
}

describe('components that do not fit are refused at load', () => {
  it('refuses a handle with another signature, naming it and the one expected', async () => {
    const wasm = await buildWatComponentFor(
      `(func (export "handle") (param i32 i32) (result i32) (i32.const 0))`,
      'wrong-handle',
      `world wrong-handle { export handle: func(data: string) -> string; }`,
    );
    await refusedAtLoad(wasm, /exports handle: func\(data: string\) -> string; Spindle's world expects handle: func\(event: event\) -> result<reply, handler-error>/);
  });

  it('refuses an import of an interface Spindle does not serve, naming it', async () => {
    const wasm = await buildWatComponentFor(
      `(import "acme:db/query@1.0.0" "run" (func $run (param i32) (result i32)))
       (func (export "handle") (param $ev i32) (result i32) (drop (call $run (i32.const 1))) (call $ok (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0)))`,
      'foreign',
      `world foreign { include handler; import acme:db/query@1.0.0; }
       package acme:db@1.0.0 { interface query { run: func(n: u32) -> u32; } }`,
    );
    await refusedAtLoad(wasm, /imports acme:db\/query@1\.0\.0, which Spindle does not serve/);
  });

  it('refuses a served interface at a version Spindle does not serve', async () => {
    const wasm = await buildWatComponentFor(
      `(import "wasi:clocks/monotonic-clock@0.3.0" "now" (func $now (result i64)))
       (func (export "handle") (param $ev i32) (result i32) (drop (call $now)) (call $ok (i32.const 200) (i32.const 0) (i32.const 0) (i32.const 0)))`,
      'next-clock',
      `world next-clock { include handler; import wasi:clocks/monotonic-clock@0.3.0; }
       package wasi:clocks@0.3.0 { interface monotonic-clock { now: func() -> u64; } }`,
    );
    await refusedAtLoad(wasm, /imports wasi:clocks\/monotonic-clock@0\.3\.0; Spindle serves wasi:clocks\/monotonic-clock at version 0\.2\.x/);
  });

  it('loads a component importing served interfaces at any patch version', async () => {
    const wasm = await buildWatComponentFor(
      `(import "wasi:clocks/monotonic-clock@0.2.99" "now" (func $now (result i64)))
       (func (export "handle") (param $ev i32) (result i32) (drop (call $now)) (call $ok (i32.const 204) (i32.const 0) (i32.const 0) (i32.const 0)))`,
      'patched',
      `world patched { include handler; import wasi:clocks/monotonic-clock@0.2.99; }
       package wasi:clocks@0.2.99 { interface monotonic-clock { now: func() -> u64; } }`,
    );
    const app = await withComponent(wasm);
    const t = await startTestApp({ manifest: app.manifest });
    try {
      assert.equal((await fetch(t.url)).status, 204);
    } finally {
      await t.stop();
      await rm(app.dir, { recursive: true, force: true });
    }
  });
});
