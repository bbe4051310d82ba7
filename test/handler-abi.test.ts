/**
 * Spindle's own call path into `handle` (`worlds/handler-abi.ts`) against jco's glue, event by
 * event on fresh instances of the same components: every reply, handler error and trap must be
 * the same whichever path made the call. Only components whose core module imports nothing take
 * the direct path. Events cover the edges of the canonical ABI: empty
 * strings and lists, a 1 MiB payload, text beyond ASCII (and a lone surrogate), ten thousand
 * attributes, every byte value.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { buildComponents } from '../src/build/build.js';
import type { SpindleEvent } from '../src/event.js';
import { loadComponent } from '../src/executor/load/component.js';
import { prepareGuest, type Guest } from '../src/executor/worker/guest.js';
import { callHandler } from '../src/executor/worker/worlds/handler.js';
import { handlerCores } from '../src/executor/worker/worlds/handler-abi.js';
import { makeAppDir } from './support/harness.js';
import { quietHost } from './support/quiet-host.js';
import type { WatComponentName } from './support/wat-components.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));
const JS_HANDLER = join(fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url)), 'build', 'handler.wasm');

const bytes = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function events(path: string): Array<[string, SpindleEvent]> {
  const at = (attributes: Array<[string, string]>): Array<[string, string]> => [['http.path-info', path], ...attributes];
  return [
    ['empty', { id: '', source: '', type: '', data: new Uint8Array(0), attributes: at([]) }],
    ['every optional field', { id: 'e1', source: '/s', type: 't', subject: 'sub', time: '2026-11-25T12:00:00Z', datacontenttype: 'application/json', data: new TextEncoder().encode('{"a":1}'), attributes: at([['k', 'v']]) }],
    ['empty optional fields', { id: 'e2', source: '/s', type: 't', subject: '', time: '', datacontenttype: '', data: new Uint8Array(0), attributes: at([['', '']]) }],
    ['beyond ASCII', { id: 'é✓🐈', source: '/ünï', type: '型', subject: '日本語', time: 'x\ud800y', data: new TextEncoder().encode('🐈‍⬛'), attributes: at([['naïve', '🙂'], ['\u0000', 'nul']]) }],
    ['1 MiB of data', { id: 'big', source: '/s', type: 't', data: bytes(1024 * 1024), attributes: at([]) }],
    ['every byte value', { id: 'bin', source: '/s', type: 't', data: Uint8Array.from({ length: 256 }, (_, i) => i), attributes: at([]) }],
    ['ten thousand attributes', { id: 'many', source: '/s', type: 't', data: bytes(10), attributes: at(Array.from({ length: 10_000 }, (_, i): [string, string] => [`name-${i}`, `value ${'x'.repeat(i % 50)}`])) }],
  ];
}

/** What a call ended with, comparable across paths. */
function outcome(guest: Guest, lean: boolean, event: SpindleEvent): Promise<unknown> {
  return guest.instantiate().then((instance) => {
    if (!lean) {
      assert.ok(handlerCores.delete(instance), 'the component has the core exports the lean path uses');
    }
    try {
      const reply = callHandler(instance, event);
      return { reply: { ...reply, body: reply.body && [...reply.body] } };
    } catch (err) {
      const { kind, message, poisoned } = err as { kind: string; message: string; poisoned: boolean };
      return { failure: { kind, message, poisoned } };
    }
  });
}

async function prepare(source: string): Promise<Guest> {
  const dir = await makeAppDir({});
  const { manifest } = await parseManifest(`spindle_manifest_version = 1\n[application]\nname = "abi"\n[component.c]\nsource = "${source}"\n`, join(dir, 'spindle.toml'));
  const component = await loadComponent('c', manifest.component.c!, { cacheDir: join(dir, 'cache') });
  return prepareGuest(component.guest, quietHost);
}

async function compare(guest: Guest, path: string): Promise<void> {
  for (const [name, event] of events(path)) {
    const viaGlue = await outcome(guest, false, event);
    const lean = await outcome(guest, true, event);
    assert.deepEqual(lean, viaGlue, `${path} with ${name}`);
  }
}

describe('handle called straight on the core instance, against jco\'s glue', () => {
  before(async () => {
    await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
  });

  it('leaves a guest that calls imports (a JavaScript one) to the glue', async () => {
    const instance = await (await prepare(JS_HANDLER)).instantiate();
    assert.equal(handlerCores.has(instance), false);
  });

  for (const name of ['echo', 'hello', 'retry', 'give-up', 'trap', 'forged', 'status'] satisfies WatComponentName[]) {
    it(`answers as the glue does for the WAT guest "${name}"`, async () => {
      const dir = await makeAppDir({ wat: [name] });
      await compare(await prepare(join(dir, `${name}.wasm`)), '/');
    });
  }
});
