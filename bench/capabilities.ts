/**
 * Capabilities: what one host call costs a guest. A component makes the same call many times
 * inside one event (so the event's own cost is spread thin), and the figure is calls per
 * second, beside the same operation made directly from Node on the main thread: the memory
 * driver for embedded key-value, ioredis for redis mode, `fetch` for outbound HTTP. The latency
 * of one key-value get is also measured call by call inside the guest, idle and while `wrk`, a
 * separate process, loads the same app with HTTP requests: the main thread is then busy, and a
 * call that needs its event loop waits its turn. Gets are made by two guests: the JavaScript one
 * shows what a componentize-js author sees, StarlingMonkey's own side of each call included; the
 * WAT one, whose side of a call is a few instructions, shows what the host call itself costs.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startApp, type App } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { createMemoryKeyValue } from '../src/kv/memory.js';
import { loadManifest } from '../src/app-manifest.js';
import { httpUrl } from '../test/support/harness.js';
import { writeWatComponent } from '../test/support/wat-components.js';
import { loadGenerator, wrk } from './lib/load.js';
import { percentile, ratioAtLeast, ratioRow, valueAtLeast, valueAtMost, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const KV_CALLS = 20_000;
/** Gets timed one by one, in one event, for percentiles. */
const TIMED_GETS = 6_000;
/** Calls each guest makes before anything is measured. */
const WARM_UP_CALLS = 40_000;
const WRK_SECONDS = 8;
/** Lets wrk's connections open and the app settle under load before gets are timed. */
const WRK_SETTLE_MS = 1_500;
const FETCH_CALLS = 2_000;
/** Keys one get-many of the JavaScript guest reads (`MANY` in bench/app/src/capabilities.js). */
const KEYS_PER_GET_MANY = 10;

async function rate(calls: number, run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return calls / ((performance.now() - started) / 1000);
}

async function sequential(calls: number, one: () => Promise<unknown>): Promise<number> {
  return rate(calls, async () => {
    for (let i = 0; i < calls; i++) await one();
  });
}

/** POSTs `body` to `path` of `app` and returns the answer's text, failing on any status but 200. */
async function post(app: App, path: string, body: string): Promise<string> {
  const res = await fetch(`${httpUrl(app)}${path}`, { method: 'POST', body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path} answered HTTP ${res.status}: ${text}`);
  return text;
}

/** Calls per second of `op` made `n` times in a row by the JavaScript guest. */
async function inGuest(app: App, op: string, n: number, url?: string): Promise<number> {
  const call = async (count: number) => {
    const done = Number(await post(app, '/capabilities', JSON.stringify({ op, n: count, url })));
    if (done !== count) throw new Error(`the guest made ${done} of ${count} ${op} calls`);
  };
  return rate(n, () => call(n));
}

/** Each of `n` gets' time in microseconds, as the JavaScript guest measured it around the call. */
async function jsTimedGets(app: App, n: number): Promise<number[]> {
  return JSON.parse(await post(app, '/capabilities', JSON.stringify({ op: 'get-timed', n }))) as number[];
}

/** Each of `n` gets' time in microseconds, as the WAT guest measured it around the call. */
async function watTimedGets(app: App, n: number): Promise<number[]> {
  const res = await fetch(`${httpUrl(app)}/kv-wat`, { method: 'POST', body: String(n) });
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`/kv-wat answered HTTP ${res.status}: ${new TextDecoder().decode(body)}`);
  return [...new Uint32Array(body.buffer, body.byteOffset, body.byteLength / 4)].map((ns) => Math.round(ns / 100) / 10);
}

/** Gets per second made by `timed` (`n` in one event), with every call's time sorted. */
async function getLoop(n: number, timed: (n: number) => Promise<number[]>): Promise<{ rate: number; micros: number[] }> {
  let micros: number[] = [];
  const perSecond = await rate(n, async () => {
    micros = await timed(n);
  });
  return { rate: perSecond, micros: micros.sort((a, b) => a - b) };
}

/** Runs `measure` while wrk loads `url` from its own process; returns its result and wrk's rate. */
async function underHttpLoad<T>(url: string, measure: () => Promise<T>): Promise<{ result: T; requestsPerSecond: number }> {
  const load = wrk(url, 64, WRK_SECONDS);
  await new Promise((resolve) => setTimeout(resolve, WRK_SETTLE_MS));
  const result = await measure();
  return { result, requestsPerSecond: (await load).rps };
}

/** The bench app's JavaScript components beside the WAT key-value guest, written into `ctx.dir`. */
async function writeManifest(ctx: BenchContext): Promise<string> {
  await writeWatComponent(ctx.dir, 'kv-get-timed');
  const manifest = join(ctx.dir, 'capabilities.toml');
  await writeFile(
    manifest,
    `spindle_manifest_version = 1
[application]
name = "bench-capabilities"
[[trigger.http]]
route = "/js-pooled"
component = "js-pooled"
[[trigger.http]]
route = "/capabilities"
component = "capabilities"
[[trigger.http]]
route = "/kv-wat"
component = "kv-wat"
[component.js-pooled]
source = "${ctx.appDir}/build/hello.wasm"
max_concurrency = 1000
[component.capabilities]
source = "${ctx.appDir}/build/capabilities.wasm"
key_value_stores = ["bench"]
allowed_outbound_hosts = ["http://127.0.0.1:*"]
timeout = "2m"
[component.kv-wat]
source = "kv-get-timed.wasm"
key_value_stores = ["bench"]
timeout = "2m"
`,
  );
  return manifest;
}

/**
 * Runs `use` on the app. The log is kept to errors: wrk drops its connections mid-request when
 * its time is up, and each would be a warning.
 */
async function withApp<T>(ctx: BenchContext, manifest: string, redis: string | undefined, use: (app: App) => Promise<T>): Promise<T> {
  const loaded = await loadManifest(manifest);
  const app = await startApp(loaded, { listen: '127.0.0.1:0', workers: 1, cacheDir: ctx.cacheDir, logger: createLogger({ level: 'error' }), ...(redis ? { redis } : {}) });
  try {
    return await use(app);
  } finally {
    await app.stop();
  }
}

/**
 * Runs the guests' loops until V8 has tiered their code up: StarlingMonkey's interpreter runs
 * 2-4 times slower for its first tens of thousands of host calls. Figures are for warm guests.
 */
async function warmUp(app: App): Promise<void> {
  await post(app, '/capabilities', JSON.stringify({ op: 'increment', n: WARM_UP_CALLS }));
  await post(app, '/capabilities', JSON.stringify({ op: 'get', n: WARM_UP_CALLS }));
  await watTimedGets(app, WARM_UP_CALLS);
}

const latencyRow = (name: string, sorted: number[], extra = ''): Row => ({
  group: 'capabilities',
  name,
  value: percentile(sorted, 99),
  unit: 'µs p99',
  detail: `p50 ${percentile(sorted, 50)} µs, ${sorted.length} calls${extra}`,
});

export async function benchCapabilities(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (name: string, value: number, baseline?: Row): Row => {
    const r: Row = { group: 'capabilities', name, value, unit: 'calls/s' };
    return baseline ? ratioRow(r, baseline) : r;
  };
  const manifest = await writeManifest(ctx);
  const perCallTarget = valueAtLeast(1e6 / 15, '≤ 15 µs per call');

  ctx.progress(`capabilities: key-value, embedded, ${KV_CALLS} calls, then get latency idle and under wrk load (${WRK_SECONDS} s)`);
  const memory = createMemoryKeyValue();
  const memIncrement = row('memory driver increment, main thread', await sequential(KV_CALLS, () => memory.increment('bench', 'counter', 1n)));
  const memGet = row('memory driver get, main thread', await sequential(KV_CALLS, () => memory.get('bench', 'counter')));
  await memory.close();
  const embedded = await withApp(ctx, manifest, undefined, async (app) => {
    await warmUp(app);
    const measured = {
      increment: await inGuest(app, 'increment', KV_CALLS),
      get: await inGuest(app, 'get', KV_CALLS),
      getMany: KEYS_PER_GET_MANY * (await inGuest(app, 'get-many', KV_CALLS / KEYS_PER_GET_MANY)),
      wat: await getLoop(KV_CALLS, (n) => watTimedGets(app, n)),
      jsIdle: await jsTimedGets(app, TIMED_GETS),
    };
    const timedUnderLoad = async () => ({ js: await jsTimedGets(app, TIMED_GETS), wat: await watTimedGets(app, TIMED_GETS) });
    const loaded = loadGenerator === 'wrk' ? await underHttpLoad(`${httpUrl(app)}/js-pooled`, timedUnderLoad) : undefined;
    return { ...measured, loaded };
  });
  rows.push(memIncrement, row('guest key-value increment, embedded', embedded.increment, memIncrement));
  const jsGet = row('guest key-value get, embedded, JS guest', embedded.get, memGet);
  jsGet.target = perCallTarget;
  const watGet = row('guest key-value get, embedded, WAT guest', embedded.wat.rate, memGet);
  watGet.detail = `p50 ${percentile(embedded.wat.micros, 50)} µs, p99 ${percentile(embedded.wat.micros, 99)} µs per call`;
  watGet.target = perCallTarget;
  const jsGetMany = row(`guest key-value get-many, ${KEYS_PER_GET_MANY} keys a call, embedded, JS guest (keys/s)`, embedded.getMany, memGet);
  rows.push(memGet, jsGet, watGet, jsGetMany, latencyRow('guest key-value get, embedded, JS guest, idle', embedded.jsIdle.sort((a, b) => a - b)));
  for (const guest of ['JS', 'WAT'] as const) {
    const name = `guest key-value get, embedded, ${guest} guest, while wrk loads HTTP`;
    const loaded = embedded.loaded
      ? latencyRow(name, embedded.loaded.result[guest === 'JS' ? 'js' : 'wat'].sort((a, b) => a - b), `; wrk ${Math.round(embedded.loaded.requestsPerSecond)} req/s`)
      : { group: 'capabilities', name, value: NaN, unit: 'µs p99', missing: 'wrk is not installed' };
    loaded.target = valueAtMost(50, 'p99 ≤ 50 µs');
    rows.push(loaded);
  }

  ctx.progress(`capabilities: key-value, redis mode, ${KV_CALLS} calls`);
  const redis = new Redis(ctx.redisUrl);
  const redisIncrement = row('ioredis INCRBY, sequential', await sequential(KV_CALLS, () => redis.incrby('bench:counter', 1)));
  const redisGet = row('ioredis GET, sequential', await sequential(KV_CALLS, () => redis.getBuffer('bench:counter')));
  redis.disconnect();
  const onRedis = await withApp(ctx, manifest, ctx.redisUrl, async (app) => {
    await warmUp(app);
    return {
      increment: await inGuest(app, 'increment', KV_CALLS),
      get: await inGuest(app, 'get', KV_CALLS),
      getMany: KEYS_PER_GET_MANY * (await inGuest(app, 'get-many', KV_CALLS / KEYS_PER_GET_MANY)),
      wat: await getLoop(KV_CALLS, (n) => watTimedGets(app, n)),
    };
  });
  rows.push(redisIncrement, row('guest key-value increment, redis mode', onRedis.increment, redisIncrement));
  const redisTarget = ratioAtLeast(0.8, '≥ 0.8× ioredis');
  const jsRedisGet = row('guest key-value get, redis mode, JS guest', onRedis.get, redisGet);
  jsRedisGet.target = redisTarget;
  const watRedisGet = row('guest key-value get, redis mode, WAT guest', onRedis.wat.rate, redisGet);
  watRedisGet.detail = `p50 ${percentile(onRedis.wat.micros, 50)} µs, p99 ${percentile(onRedis.wat.micros, 99)} µs per call`;
  watRedisGet.target = redisTarget;
  const jsRedisGetMany = row(`guest key-value get-many, ${KEYS_PER_GET_MANY} keys a call, redis mode, JS guest (keys/s)`, onRedis.getMany, redisGet);
  rows.push(redisGet, jsRedisGet, watRedisGet, jsRedisGetMany);

  ctx.progress(`capabilities: outbound HTTP, ${FETCH_CALLS} requests`);
  const upstream = createServer((_, res) => res.end('ok'));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/`;
  try {
    const fetchBase = row('Node fetch, sequential', await sequential(FETCH_CALLS, async () => (await fetch(url)).arrayBuffer()));
    const guest = await withApp(ctx, manifest, undefined, (app) => inGuest(app, 'fetch', FETCH_CALLS, url));
    rows.push(fetchBase, row('guest outbound HTTP (wasi:http), sequential', guest, fetchBase));
  } finally {
    upstream.close();
  }
  return rows;
}
