/**
 * Composition: the cost of a call from a component into its dependency beside the same work done
 * inside the component. Both are measured in this thread on one instance (the pair made by
 * `prepareGuest`, as a worker makes it), calling `handle` with the `s` and `l` events of
 * `test/support/composed-components.ts`: a string passed to the dependency and returned in a
 * result, against the component building the same result itself.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest } from '../src/app-manifest.js';
import { loadComponent } from '../src/executor/load/component.js';
import { prepareGuest } from '../src/executor/worker/guest.js';
import { buildRenderer, buildUser } from '../test/support/composed-components.js';
import type { BenchContext } from './context.js';
import { quietHost } from '../test/support/quiet-host.js';
import type { Row } from './lib/report.js';

const CALLS = 50_000;

export async function benchComposition(ctx: BenchContext): Promise<Row[]> {
  ctx.progress('composition: a call into a dependency against one inside the component');
  const [renderer, user] = await Promise.all([buildRenderer(), buildUser()]);
  await writeFile(join(ctx.dir, 'renderer.wasm'), renderer);
  await writeFile(join(ctx.dir, 'user.wasm'), user);
  const toml = `spindle_manifest_version = 1\n[application]\nname = "c"\n[component.user]\nsource = "user.wasm"\n[component.user.dependencies]\n"acme:text" = { path = "renderer.wasm" }\n`;
  const { manifest } = await parseManifest(toml, join(ctx.dir, 'c.toml'));
  const component = await loadComponent('user', manifest.component.user!, { cacheDir: ctx.cacheDir });
  const instance = await (await prepareGuest(component.guest, quietHost)).instantiate();
  const event = (data: string) => ({
    id: 'bench',
    source: '/bench',
    type: 'bench',
    subject: undefined,
    time: undefined,
    datacontenttype: undefined,
    data: new TextEncoder().encode(data),
    attributes: [],
  });
  const perCall = (data: string) => {
    const input = event(data);
    for (let i = 0; i < 1_000; i++) instance.handle(input);
    const started = performance.now();
    for (let i = 0; i < CALLS; i++) instance.handle(input);
    return ((performance.now() - started) * 1_000) / CALLS;
  };
  const text = `s${'x'.repeat(64)}`;
  const inside = perCall(`l${text.slice(1)}`);
  const across = perCall(text);
  const row = (name: string, value: number, detail: string): Row => ({ group: 'composition', name, value, unit: 'µs per event', detail });
  return [
    row('handle, work inside the component', inside, 'a 64-byte string into a result<string, string>'),
    row('handle, work in its dependency', across, `the same string across the boundary and back: +${(across - inside).toFixed(2)} µs a call`),
  ];
}
