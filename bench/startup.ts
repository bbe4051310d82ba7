/**
 * Start-up: process start to first answered request with a cold and a warm transpile cache;
 * each component's load time; memory per instance of a small and of a JS component.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadComponent } from '../src/executor/load/component.js';
import { prepareGuest } from '../src/executor/worker/guest.js';
import { quietHost } from '../test/support/quiet-host.js';
import { memoryInUse } from '../src/executor/worker/memory-watch.js';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { buildComponents } from '../src/build/build.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { startChild, SPINDLE_BIN } from './lib/processes.js';
import { valueAtMost, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

async function firstResponse(manifest: string, path: string, cacheDir: string): Promise<{ ms: number; loads: string }> {
  const started = performance.now();
  const c = startChild([SPINDLE_BIN, 'up', manifest, '--listen', '127.0.0.1:0'], { SPINDLE_CACHE_DIR: cacheDir });
  const [, url] = await c.waitFor(/"msg":"listening on (http:\/\/[^"]+)"/, 120_000);
  for (;;) {
    const ok = await fetch(`${url}${path}`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const ms = performance.now() - started;
  const loads = [...c.output().matchAll(/"component":"([^"]+)","world":"[^"]+","ms":(\d+)/g)].map((m) => `${m[1]} ${m[2]} ms`).join(', ');
  await c.stop();
  return { ms, loads };
}

/**
 * Memory one more instance holds: its linear memories plus what its glue adds to the JS heap.
 * (RSS moves with the allocator and the collector far more than one instance weighs.)
 */
async function memoryPerInstance(file: string, manifestDir: string, count: number): Promise<{ linear: number; heap: number }> {
  const { manifest } = await parseManifest(`spindle_manifest_version = 1\n[application]\nname = "m"\n[component.c]\nsource = "${file}"\n`, join(manifestDir, 'm.toml'));
  const component = await loadComponent('c', manifest.component.c!, { cacheDir: join(manifestDir, 'cache') });
  const guest = await prepareGuest(component.guest, quietHost);
  const keep = [await guest.instantiate()];
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++) keep.push(await guest.instantiate());
  gc?.();
  const heap = (process.memoryUsage().heapUsed - before) / count;
  const linear = memoryInUse(keep[0]!);
  return { linear, heap };
}

export async function benchStartup(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const cache = await mkdtemp(join(ctx.dir, 'startup-cache-'));
  const app = join(ctx.appDir, 'spindle.toml');
  ctx.progress('start-up: cold transpile cache');
  const cold = await firstResponse(app, '/js-pooled', cache);
  ctx.progress('start-up: warm transpile cache');
  const warm = await firstResponse(app, '/js-pooled', cache);
  rows.push({ group: 'start-up', name: 'process start → first response, cold cache', value: cold.ms, unit: 'ms', detail: `component loads: ${cold.loads}` });
  rows.push({
    group: 'start-up',
    name: 'process start → first response, warm cache',
    value: warm.ms,
    unit: 'ms',
    detail: `component loads: ${warm.loads}`,
  });

  ctx.progress('start-up: Whiskers, eight JS components (building them when out of date)');
  const whiskers = join(ctx.root, 'manifests', 'whiskers', 'spindle.toml');
  await buildComponents(await loadManifest(whiskers, { checkSources: false }));
  await firstResponse(whiskers, '/highscore', cache);
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push((await firstResponse(whiskers, '/highscore', cache)).ms);
  await rm(cache, { recursive: true, force: true });
  runs.sort((a, b) => a - b);
  rows.push({
    group: 'start-up',
    name: 'Whiskers (8 JS components): process start → first response, warm cache',
    value: runs[1]!,
    unit: 'ms',
    detail: `median of 3, range ${Math.round(runs[0]!)}-${Math.round(runs[2]!)} ms`,
    target: valueAtMost(300, '≤ 300 ms'),
  });

  ctx.progress('memory per instance');
  await writeWatComponent(ctx.dir, 'hello');
  const wat = await memoryPerInstance(join(ctx.dir, 'hello.wasm'), ctx.dir, 200);
  const js = await memoryPerInstance(join(ctx.appDir, 'build', 'hello.wasm'), ctx.dir, 10);
  const kib = (n: number) => `${Math.round(n / 1024).toLocaleString('en-US')} KiB`;
  rows.push({ group: 'memory', name: 'per instance, WAT component', value: (wat.linear + wat.heap) / 1024, unit: 'KiB', detail: `linear memory ${kib(wat.linear)}, JS heap ${kib(wat.heap)}` });
  rows.push({ group: 'memory', name: 'per instance, JS component', value: (js.linear + js.heap) / 1024 ** 2, unit: 'MiB', detail: `linear memory ${kib(js.linear)}, JS heap ${kib(js.heap)}` });
  return rows;
}
