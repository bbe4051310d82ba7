/**
 * HTTP: requests/s and latency for plain node:http, Spindle with a WAT component and with
 * componentize-js components in each isolation mode, and `jco serve --isolate-requests
 * instance` with the same fetch-handler component.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeWatComponent } from '../test/support/wat-components.js';
import { measureHttp } from './lib/load.js';
import { JCO_BIN, startChild, startSpindle } from './lib/processes.js';
import { ratioAtLeast, ratioRow, valueAtLeast, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

export async function benchHttp(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const group = 'HTTP';
  const row = (name: string, r: Awaited<ReturnType<typeof measureHttp>>): Row => ({
    group,
    name,
    value: r.rps,
    unit: 'req/s',
    detail: `p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} errors` : ''}, load by ${r.generator}`,
  });

  ctx.progress('HTTP: plain node:http');
  const plain = startChild([join(ctx.distBench, 'servers', 'plain-http.js'), 'hello world']);
  const [, plainUrl] = await plain.waitFor(/listening on (\S+)/);
  const baseline = row('plain node:http', await measureHttp(plainUrl!, ctx.load));
  await plain.stop();
  rows.push(baseline);

  await writeWatComponent(ctx.dir, 'hello');
  const manifest = join(ctx.dir, 'http.toml');
  await writeFile(
    manifest,
    `spindle_manifest_version = 1
[application]
name = "bench-http"
[[trigger.http]]
route = "/wat-pooled"
component = "wat-pooled"
[[trigger.http]]
route = "/wat-per-event"
component = "wat-per-event"
[[trigger.http]]
route = "/js/..."
component = "js"
[[trigger.http]]
route = "/js-per-event/..."
component = "js-per-event"
[[trigger.http]]
route = "/js-fetch/..."
component = "js-fetch"
[component.wat-pooled]
source = "hello.wasm"
max_concurrency = 1000
[component.wat-per-event]
source = "hello.wasm"
isolation = "per-event"
max_concurrency = 1000
[component.js]
source = "${ctx.appDir}/build/hello.wasm"
max_concurrency = 1000
[component.js-per-event]
source = "${ctx.appDir}/build/hello.wasm"
isolation = "per-event"
max_concurrency = 1000
[component.js-fetch]
source = "${ctx.appDir}/build/fetch.wasm"
max_concurrency = 1000
`,
  );
  const spindle = await startSpindle(manifest, [], { SPINDLE_CACHE_DIR: ctx.cacheDir });
  const cases: Array<[string, string, number?]> = [
    ['Spindle, WAT component, pooled', '/wat-pooled'],
    ['Spindle, WAT component, per-event', '/wat-per-event'],
    ['Spindle, JS component, pooled', '/js/'],
    ['Spindle, JS component, per-event', '/js-per-event/'],
    ['Spindle, JS wasi:http fetch handler (per-event)', '/js-fetch/'],
  ];
  const measured = new Map<string, Row>();
  for (const [name, path] of cases) {
    ctx.progress(`HTTP: ${name}`);
    const r = ratioRow(row(name, await measureHttp(`${spindle.url}${path}`, ctx.load)), baseline);
    measured.set(path, r);
    rows.push(r);
  }
  await spindle.stop();

  ctx.progress('HTTP: jco serve --isolate-requests instance');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const jco = startChild([JCO_BIN, 'serve', join(ctx.appDir, 'build', 'fetch.wasm'), '--isolate-requests', 'instance', '--port', String(port), '--host', '127.0.0.1']);
  await jco.waitFor(/Server listening|listening/i, 120_000);
  const jcoRow = ratioRow(row('jco serve --isolate-requests instance (same fetch handler)', await measureHttp(`http://127.0.0.1:${port}/`, { ...ctx.load, connections: 10 })), baseline);
  await jco.stop();
  rows.push(jcoRow);

  measured.get('/wat-pooled')!.target = ratioAtLeast(0.5, '≥ 0.5× plain (stretch 0.6×)');
  measured.get('/wat-per-event')!.target = valueAtLeast(5_000, '≥ 5,000 req/s');
  const js = measured.get('/js/')!;
  js.target = ratioAtLeast(0.2, '≥ 0.2× plain');
  jcoRow.detail = `${jcoRow.detail}; the JS component pooled serves ${Math.round(js.value / jcoRow.value)}× this`;
  measured.get('/js-per-event/')!.target = valueAtLeast(2_500, '≥ 2,500 req/s');
  return rows;
}
