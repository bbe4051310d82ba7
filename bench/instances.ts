/**
 * Fresh instances: what a new instance costs (pooled components pay it once per instance,
 * per-event ones would pay it per event) and what restoring a kept instance costs (what
 * per-event components pay now), for a small WAT component and a componentize-js one.
 */
import { join } from 'node:path';
import { loadComponent } from '../src/executor/load/component.js';
import { prepareGuest } from '../src/executor/worker/guest.js';
import { quietHost } from '../test/support/quiet-host.js';
import { captureState, restoreState } from '../src/executor/worker/instance-state.js';
import { parseManifest } from '../src/app-manifest.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { valueAtMost, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

async function costs(ctx: BenchContext, file: string, instantiations: number, restores: number) {
  const { manifest } = await parseManifest(`spindle_manifest_version = 1\n[application]\nname = "i"\n[component.c]\nsource = "${file}"\n`, join(ctx.dir, 'i.toml'));
  const component = await loadComponent('c', manifest.component.c!, { cacheDir: ctx.cacheDir });
  const guest = await prepareGuest(component.guest, quietHost);
  await guest.instantiate();
  let started = performance.now();
  for (let i = 0; i < instantiations; i++) await guest.instantiate();
  const instantiate = (performance.now() - started) / instantiations;
  const state = captureState(await guest.instantiate());
  started = performance.now();
  for (let i = 0; i < restores; i++) restoreState(state);
  const restore = (performance.now() - started) / restores;
  return { instantiate, restore, restorable: component.guest.restorable };
}

export async function benchInstances(ctx: BenchContext): Promise<Row[]> {
  ctx.progress('fresh instances: instantiate and restore');
  await writeWatComponent(ctx.dir, 'hello');
  const wat = await costs(ctx, join(ctx.dir, 'hello.wasm'), 500, 5_000);
  const js = await costs(ctx, join(ctx.appDir, 'build', 'hello.wasm'), 10, 200);
  const row = (name: string, c: typeof wat, target: number): Row => ({
    group: 'instances',
    name,
    value: c.restore,
    unit: 'ms per fresh instance (restore)',
    detail: `a new instance: ${c.instantiate.toFixed(2)} ms${c.restorable ? '' : '; not restorable'}`,
    target: valueAtMost(target, `≤ ${target} ms`),
  });
  return [row('fresh instance, WAT component', wat, 0.2), row('fresh instance, JS component', js, 2)];
}
