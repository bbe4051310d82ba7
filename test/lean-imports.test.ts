/**
 * Imports the worker answers without jco's trampolines (`worker/lean-imports.ts`), and the glue
 * edit that reads `JCO_DEBUG` once (`load/glue-patch.ts`), against jco's glue as it comes: the
 * same JavaScript guests, on fresh instances, must give the same replies, handler errors, traps
 * and host-call results and errors whichever way their imports are linked.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { buildComponents } from '../src/build/build.js';
import type { HostServices } from '../src/capabilities/contract.js';
import type { SpindleEvent } from '../src/event.js';
import { patchGlue } from '../src/executor/load/glue-patch.js';
import { loadComponent, type LoadedComponent } from '../src/executor/load/component.js';
import { prepareGuest, type GuestHost } from '../src/executor/worker/guest.js';
import { withDirectImports } from '../src/executor/worker/lean-imports.js';
import { callHandler } from '../src/executor/worker/worlds/handler.js';
import { makeAppDir } from './support/harness.js';
import { quietHost } from './support/quiet-host.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));
const BUILD = join(fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url)), 'build');

const MONOTONIC_NOW = /^wasi:clocks\/monotonic-clock@0\.2\.\d+$/;

async function load(wasm: string, settings = ''): Promise<LoadedComponent> {
  const dir = await makeAppDir({});
  const text = `spindle_manifest_version = 1\n[application]\nname = "lean"\n[component.c]\nsource = "${join(BUILD, wasm)}"\n${settings}`;
  const { manifest } = await parseManifest(text, join(dir, 'spindle.toml'));
  return loadComponent('c', manifest.component.c!, { cacheDir: join(dir, 'cache') });
}

const event = (path: string, data = ''): SpindleEvent => ({
  id: `ev ${path}`,
  source: '/spindle/http',
  type: 'spindle.http.request',
  time: '2026-11-25T12:00:00Z',
  data: new TextEncoder().encode(data),
  attributes: [['http.path-info', path]],
});

/** What one event ended with on a fresh instance, comparable across linkings. */
async function outcome(component: LoadedComponent, host: GuestHost, directImports: boolean, input: SpindleEvent): Promise<unknown> {
  const instance = await (await prepareGuest(component.guest, host, { directImports })).instantiate();
  try {
    const reply = callHandler(instance, input);
    return { reply: { ...reply, body: reply.body && new TextDecoder().decode(reply.body) } };
  } catch (err) {
    const { kind, message, poisoned } = err as { kind: string; message: string; poisoned: boolean };
    return { failure: { kind, message, poisoned } };
  }
}

async function compare(component: LoadedComponent, host: GuestHost, events: SpindleEvent[]): Promise<unknown[]> {
  const seen = [];
  for (const input of events) {
    const viaGlue = await outcome(component, host, false, input);
    const direct = await outcome(component, host, true, input);
    assert.deepEqual(direct, viaGlue, `${input.id}: ${String(input.data.length ? new TextDecoder().decode(input.data) : '')}`);
    seen.push(direct);
  }
  return seen;
}

/** Services that answer from a small map, and fail the way a broker that is away fails. */
const services = {
  kvGet: (_store: string, key: string) => (key === 'known' ? new TextEncoder().encode('stored value') : undefined),
  kvSet: () => undefined,
  kvIncrement: (_store: string, _key: string, delta: bigint) => 40n + delta,
  kvListKeys: (_store: string, prefix: string) => [`${prefix}a`, `${prefix}b`],
  publish: () => {
    throw new Error('broker away');
  },
} satisfies Partial<{ [K in keyof HostServices]: (...args: Parameters<HostServices[K]>) => unknown }>;

const answeringHost: GuestHost = {
  ...quietHost,
  services: () => new Proxy(services as unknown as ReturnType<GuestHost['services']>, {
    get: (target, method) => (target as Record<string | symbol, unknown>)[method] ?? (() => {
      throw new Error(`no ${String(method)} here`);
    }),
  }),
};

describe('imports answered without jco\'s trampolines, against the glue', () => {
  before(async () => {
    await buildComponents(await loadManifest(FIXTURES, { checkSources: false }));
  });

  it('answers the monotonic clock\'s now of any 0.2 release directly, and nothing else', () => {
    const host = { 'wasi:clocks/monotonic-clock': { now: () => 2n ** 64n + 5n, resolution: () => 1n } };
    const trampoline = () => 0n;
    const other = () => 1;
    const core = {
      'wasi:clocks/monotonic-clock@0.2.10': { now: trampoline, resolution: other },
      'wasi:clocks/monotonic-clock@0.3.0': { now: trampoline },
      'wasi:clocks/wall-clock@0.2.12': { now: other },
      env: { memory: other },
    };
    const linked = withDirectImports(core, host, []).imports!;
    const now = linked['wasi:clocks/monotonic-clock@0.2.10']!.now as () => bigint;
    assert.notEqual(now, trampoline);
    assert.equal(now(), 5n, 'the result wraps to an unsigned 64-bit value, as the trampoline returns it');
    assert.equal(linked['wasi:clocks/monotonic-clock@0.2.10']!.resolution, other);
    assert.equal(linked['wasi:clocks/monotonic-clock@0.3.0']!.now, trampoline);
    assert.equal(linked['wasi:clocks/wall-clock@0.2.12'], core['wasi:clocks/wall-clock@0.2.12']);
    assert.equal(linked.env, core.env);
    assert.equal(withDirectImports({ env: core.env }, host, []).imports!.env, core.env);
  });

  it('applies to a componentize-js guest, whose core modules import the monotonic clock\'s now', async () => {
    const component = await load('handler.wasm');
    const imports = [...component.guest.coreModules.values()].flatMap((m) => WebAssembly.Module.imports(m));
    assert.ok(imports.some((i) => MONOTONIC_NOW.test(i.module) && i.name === 'now' && i.kind === 'function'));
  });

  it('gives a JavaScript handler\'s replies, handler errors and traps as the glue does', async () => {
    const component = await load('handler.wasm', 'memory = "24MiB"\n');
    const seen = await compare(component, quietHost, ['/', '/count', '/throw-error', '/retry', '/give-up', '/hog'].map((p) => event(p)));
    assert.deepEqual(
      seen.map((s) => Object.keys(s as object)[0]),
      ['reply', 'reply', 'failure', 'failure', 'failure', 'failure'],
    );
  });

  it('gives host-call results and errors as the glue does', async () => {
    const component = await load('capabilities.wasm', 'key_value_stores = ["s"]\npublish_channels = ["c"]\n');
    const commands = [
      { op: 'get', store: 's', key: 'known' },
      { op: 'get', store: 's', key: 'unknown' },
      { op: 'get', store: 'not-granted', key: 'known' },
      { op: 'set', store: 's', key: 'k', value: 'v' },
      { op: 'increment', store: 's', key: 'k', delta: 2 },
      { op: 'listKeys', store: 's', prefix: 'p/' },
      { op: 'publish', channel: 'c', data: 'x' },
      { op: 'publish', channel: 'elsewhere', data: 'x' },
      { op: 'exists', store: 's', key: 'k' },
    ];
    const seen = await compare(component, answeringHost, commands.map((c) => event('/', JSON.stringify(c))));
    const bodies = seen.map((s) => JSON.parse((s as { reply: { body: string } }).reply.body) as { ok?: unknown; err?: { tag: string } | string });
    assert.deepEqual(bodies.slice(0, 2), [{ ok: 'stored value' }, { ok: null }]);
    assert.equal((bodies[2]!.err as { tag: string }).tag, 'denied');
    assert.deepEqual(bodies[4], { ok: '42' });
    assert.equal((bodies[6]!.err as { tag: string }).tag, 'unavailable');
    assert.equal((bodies[7]!.err as { tag: string }).tag, 'denied');
    assert.equal((bodies[8]!.err as { tag: string }).tag, 'unavailable', 'a service that throws is unavailable to the guest');
  });
});

describe('jco\'s glue as Spindle stores it', () => {
  it('reads JCO_DEBUG once, not in every call', async () => {
    const component = await load('handler.wasm');
    const glue = await readFile(component.guest.gluePath, 'utf8');
    assert.equal(glue.includes('globalThis?.process?.env?.JCO_DEBUG) { return; }'), false);
    assert.match(glue, /const SPINDLE_JCO_DEBUG = Boolean\(globalThis\?\.process\?\.env\?\.JCO_DEBUG\);\n$/);
  });

  it('still logs through jco\'s debug log when JCO_DEBUG is set as it is imported', async () => {
    const dir = await makeAppDir({});
    const source = 'const _debugLog = (...args) => {\n  if (!globalThis?.process?.env?.JCO_DEBUG) { return; }\n  globalThis.logged.push(args);\n};\nexport const log = _debugLog;\n';
    const logged: unknown[] = [];
    Object.assign(globalThis, { logged });
    const importPatched = async (name: string) => {
      const file = join(dir, name);
      await writeFile(file, patchGlue(source));
      return (await import(pathToFileURL(file).href)) as { log(...args: unknown[]): void };
    };
    delete process.env.JCO_DEBUG;
    (await importPatched('quiet.mjs')).log('quiet');
    process.env.JCO_DEBUG = '1';
    try {
      (await importPatched('debug.mjs')).log('debug');
    } finally {
      delete process.env.JCO_DEBUG;
    }
    assert.deepEqual(logged, [['debug']]);
    assert.equal(patchGlue('no check here'), 'no check here');
  });
});
