/**
 * Capabilities: what one host call costs a guest. A component makes the same call many times
 * inside one event (so the event's own cost is spread thin), and the figure is calls per
 * second, beside the same operation made directly from Node on the main thread: the memory
 * driver for embedded key-value, ioredis for redis mode, `fetch` for outbound HTTP. The latency
 * of one key-value get is also measured call by call inside the guest, idle and while `wrk`, a
 * separate process, loads the same app with HTTP requests: the main thread is then busy, and a
 * call that needs its event loop waits its turn.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startApp, type App } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { createMemoryKeyValue } from '../src/kv/memory.js';
import { loadManifest } from '../src/app-manifest.js';
import { httpUrl } from '../test/support/harness.js';
import { loadGenerator, wrk } from './lib/load.js';
import { percentile, ratioAtLeast, ratioRow, valueAtLeast, valueAtMost, type Row } from './lib/report.js';
import type { BenchContext } from './context.js';

const KV_CALLS = 20_000;
/** Gets timed one by one in each of `TIMED_EVENTS` events. */
const TIMED_GETS = 2_000;
const TIMED_EVENTS = 3;
const WRK_SECONDS = 8;
/** Lets wrk's connections open and the app settle under load before gets are timed. */
const WRK_SETTLE_MS = 1_500;
const FETCH_CALLS = 2_000;

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

async function inGuest(app: App, op: string, n: number, url?: string): Promise<number> {
  const base = httpUrl(app);
  const call = async (count: number) => {
    const res = await fetch(`${base}/capabilities`, { method: 'POST', body: JSON.stringify({ op, n: count, url }) });
    const done = Number(await res.text());
    if (res.status !== 200 || done !== count) throw new Error(`the guest made ${done} of ${count} ${op} calls (HTTP ${res.status})`);
  };
  await call(Math.ceil(n / 10));
  return rate(n, () => call(n));
}

/** Each get's time in microseconds, as the guest measured it around the call. */
async function timedGets(app: App): Promise<number[]> {
  const micros: number[] = [];
  for (let i = 0; i < TIMED_EVENTS; i++) {
    const res = await fetch(`${httpUrl(app)}/capabilities`, { method: 'POST', body: JSON.stringify({ op: 'get-timed', n: TIMED_GETS }) });
    if (res.status !== 200) throw new Error(`timed gets failed: HTTP ${res.status} ${await res.text()}`);
    micros.push(...(JSON.parse(await res.text()) as number[]));
  }
  return micros.sort((a, b) => a - b);
}


/** Runs `measure` while wrk loads `url` from its own process; returns its result and wrk's rate. */
async function underHttpLoad<T>(url: string, measure: () => Promise<T>): Promise<{ result: T; requestsPerSecond: number }> {
  const load = wrk(url, 64, WRK_SECONDS);
  await new Promise((resolve) => setTimeout(resolve, WRK_SETTLE_MS));
  const result = await measure();
  return { result, requestsPerSecond: (await load).rps };
}

/**
 * Runs `use` on the bench app. `quiet` keeps the log to errors: wrk drops its connections
 * mid-request when its time is up, and each would be a warning.
 */
async function withApp<T>(ctx: BenchContext, redis: string | undefined, use: (app: App) => Promise<T>, quiet = false): Promise<T> {
  const loaded = await loadManifest(join(ctx.appDir, 'spindle.toml'));
  const app = await startApp(loaded, { listen: '127.0.0.1:0', workers: 1, cacheDir: ctx.cacheDir, logger: createLogger({ level: quiet ? 'error' : 'warn' }), ...(redis ? { redis } : {}) });
  try {
    return await use(app);
  } finally {
    await app.stop();
  }
}

export async function benchCapabilities(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (name: string, value: number, baseline?: Row): Row => {
    const r: Row = { group: 'capabilities', name, value, unit: 'calls/s' };
    return baseline ? ratioRow(r, baseline) : r;
  };

  ctx.progress(`capabilities: key-value, embedded, ${KV_CALLS} calls`);
  const memory = createMemoryKeyValue();
  const memIncrement = row('memory driver increment, main thread', await sequential(KV_CALLS, () => memory.increment('bench', 'counter', 1n)));
  const memGet = row('memory driver get, main thread', await sequential(KV_CALLS, () => memory.get('bench', 'counter')));
  await memory.close();
  const embedded = await withApp(ctx, undefined, async (app) => ({
    increment: await inGuest(app, 'increment', KV_CALLS),
    get: await inGuest(app, 'get', KV_CALLS),
  }));
  rows.push(memIncrement, row('guest key-value increment, embedded', embedded.increment, memIncrement));
  const guestGet = row('guest key-value get, embedded', embedded.get, memGet);
  guestGet.target = valueAtLeast(1e6 / 15, '≤ 15 µs per call');
  rows.push(memGet, guestGet);

  ctx.progress(`capabilities: key-value get latency, embedded, idle and under wrk load (${WRK_SECONDS} s)`);
  const latency = await withApp(
    ctx,
    undefined,
    async (app) => ({
      idle: await timedGets(app),
      loaded: loadGenerator === 'wrk' ? await underHttpLoad(`${httpUrl(app)}/js-pooled`, () => timedGets(app)) : undefined,
    }),
    true,
  );
  const latencyRow = (name: string, sorted: number[], extra = ''): Row => ({
    group: 'capabilities',
    name,
    value: percentile(sorted, 99),
    unit: 'µs p99',
    detail: `p50 ${percentile(sorted, 50)} µs, ${sorted.length} calls${extra}`,
  });
  const loadedName = 'guest key-value get, embedded, while wrk loads HTTP';
  const loaded = latency.loaded
    ? latencyRow(loadedName, latency.loaded.result, `; wrk ${Math.round(latency.loaded.requestsPerSecond)} req/s`)
    : { group: 'capabilities', name: loadedName, value: NaN, unit: 'µs p99', missing: 'wrk is not installed' };
  loaded.target = valueAtMost(50, 'p99 ≤ 50 µs');
  rows.push(latencyRow('guest key-value get, embedded, idle', latency.idle), loaded);

  ctx.progress(`capabilities: key-value, redis mode, ${KV_CALLS} calls`);
  const redis = new Redis(ctx.redisUrl);
  const redisIncrement = row('ioredis INCRBY, sequential', await sequential(KV_CALLS, () => redis.incrby('bench:counter', 1)));
  const redisGet = row('ioredis GET, sequential', await sequential(KV_CALLS, () => redis.getBuffer('bench:counter')));
  redis.disconnect();
  const onRedis = await withApp(ctx, ctx.redisUrl, async (app) => ({
    increment: await inGuest(app, 'increment', KV_CALLS),
    get: await inGuest(app, 'get', KV_CALLS),
  }));
  rows.push(redisIncrement, row('guest key-value increment, redis mode', onRedis.increment, redisIncrement));
  const guestRedisGet = row('guest key-value get, redis mode', onRedis.get, redisGet);
  guestRedisGet.target = ratioAtLeast(0.8, '≥ 0.8× ioredis');
  rows.push(redisGet, guestRedisGet);

  ctx.progress(`capabilities: outbound HTTP, ${FETCH_CALLS} requests`);
  const upstream = createServer((_, res) => res.end('ok'));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}/`;
  try {
    const fetchBase = row('Node fetch, sequential', await sequential(FETCH_CALLS, async () => (await fetch(url)).arrayBuffer()));
    const guest = await withApp(ctx, undefined, (app) => inGuest(app, 'fetch', FETCH_CALLS, url));
    rows.push(fetchBase, row('guest outbound HTTP (wasi:http), sequential', guest, fetchBase));
  } finally {
    upstream.close();
  }
  return rows;
}
