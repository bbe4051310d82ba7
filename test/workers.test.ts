import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newEventId, type Outcome, type SpindleEvent } from '../src/event.js';
import { ComponentLoadError } from '../src/errors.js';
import { Executor } from '../src/executor/executor.js';
import { parseManifest } from '../src/app-manifest.js';
import { collectingLogger, makeAppDir, result, startTestApp, type TestApp } from './support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "workers-test"
[component.loop]
source = "loop.wasm"
timeout = "300ms"
[component.hello]
source = "hello.wasm"
[component.counter]
source = "counter.wasm"
isolation = "pooled"
[component.bomb]
source = "memory-bomb.wasm"
memory = "2MiB"
[component.trap]
source = "trap.wasm"
memory = "2MiB"
`;

function event(data = ''): SpindleEvent {
  return { id: newEventId(), source: '/test', type: 'test.event', data: new TextEncoder().encode(data), attributes: [] };
}

function failure(outcome: Outcome): [string, string] | null {
  return outcome.ok ? null : [outcome.failure.kind, outcome.failure.message];
}

function count(outcome: Outcome): number {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return new DataView(outcome.reply.body!.buffer, outcome.reply.body!.byteOffset).getUint32(0, true);
}

describe('executor on worker threads', () => {
  let dir: string;
  const executors: Executor[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const load = async (manifest = MANIFEST, workers = 2) => {
    const parsed = await parseManifest(manifest, join(dir, 'spindle.toml'));
    const executor = await Executor.load(parsed.manifest, { cacheDir: join(dir, 'cache'), logger: collectingLogger(logs), workers });
    executors.push(executor);
    return executor;
  };
  before(async () => {
    dir = await makeAppDir({ wat: ['loop', 'hello', 'counter', 'memory-bomb', 'trap'] });
  });
  after(async () => {
    await Promise.all(executors.map((e) => e.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('stops an endless loop at its deadline while another component keeps being served', async () => {
    const executor = await load();
    let loopSettled = false;
    const loopEvent = event();
    const loop = executor.dispatch('loop', loopEvent).finally(() => (loopSettled = true));
    for (let i = 0; i < 5; i++) assert.ok((await executor.dispatch('hello', event())).ok);
    assert.equal(loopSettled, false, 'hello was answered while the loop held the other worker');

    assert.deepEqual(failure(await loop), ['timeout', 'component "loop" ran past its 300ms timeout']);
    const replaced = logs.find((l) => l.eventId === loopEvent.id && l.worker !== undefined);
    assert.deepEqual([replaced?.component, replaced?.timeoutMs], ['loop', 300], 'the replaced worker is logged with the event that cost it');

    const next = await Promise.all([executor.dispatch('hello', event()), executor.dispatch('hello', event())]);
    assert.ok(next.every((o) => o.ok), 'both workers serve again, one of them the replacement');
  });

  it('fails a guest that outgrows its memory limit as memory-limit, and keeps serving', async () => {
    const executor = await load();
    for (let i = 0; i < 2; i++) {
      const outcome = await executor.dispatch('bomb', event());
      const [kind, message] = failure(outcome) ?? [];
      assert.equal(kind, 'memory-limit');
      assert.match(message!, /^memory limit of 2MiB reached \([\d.]+[KM]iB in use\): guest trapped: .*unreachable/);
    }
    assert.ok((await executor.dispatch('hello', event())).ok);
    const [kind, message] = failure(await executor.dispatch('trap', event())) ?? [];
    assert.equal(kind, 'trap');
    assert.doesNotMatch(message!, /memory/, 'a trap far from the limit is not blamed on it');
  });

  it('runs the events queued behind a timed-out event on its worker elsewhere', async () => {
    const executor = await load(MANIFEST, 1);
    const loop = executor.dispatch('loop', event());
    const queued = Array.from({ length: 3 }, () => executor.dispatch('hello', event()));
    assert.equal(failure(await loop)?.[0], 'timeout');
    const outcomes = await Promise.all(queued);
    assert.ok(outcomes.every((o) => o.ok), JSON.stringify(outcomes.map((o) => (o.ok ? 'ok' : o.failure.message))));
  });

  it('spreads concurrent events across the workers', async () => {
    const executor = await load();
    const counts = (await Promise.all(Array.from({ length: 20 }, () => executor.dispatch('counter', event())))).map(count);
    // Each worker keeps its own pooled instance, so the counts are two independent runs 1..a and 1..b.
    const a = Math.max(...counts);
    const b = counts.length - a;
    const runs = [...Array.from({ length: a }, (_, i) => i + 1), ...Array.from({ length: b }, (_, i) => i + 1)];
    assert.ok(b >= 1, `one worker took every event: ${counts.join(' ')}`);
    assert.deepEqual([...counts].sort((x, y) => x - y), runs.sort((x, y) => x - y));
  });

  it('settles a running event when closed, and closes only once', async () => {
    const executor = await load();
    const running = executor.dispatch('loop', event());
    await Promise.all([executor.close(), executor.close()]);
    assert.deepEqual(failure(await running), ['cancelled', 'the app stopped while the event ran']);
    assert.deepEqual(failure(await executor.dispatch('hello', event())), ['cancelled', 'the app is stopping']);
  });

  it('refuses to load a component whose memory starts above its limit', async () => {
    const manifest = 'spindle_manifest_version = 1\n[application]\nname = "tiny"\n[component.tiny]\nsource = "hello.wasm"\nmemory = "32KiB"\n';
    await assert.rejects(load(manifest), (err: unknown) => {
      assert.ok(err instanceof ComponentLoadError);
      assert.equal(err.context.component, 'tiny');
      assert.match(err.message, /component "tiny" needs 64KiB of memory to start \(core module .*\), above its memory limit of 32KiB/);
      return true;
    });
  });
});

describe('deadlines over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      workers: 1,
      wat: ['loop-on-data'],
      manifest: `
spindle_manifest_version = 1
[application]
name = "deadline-test"
[[trigger.http]]
route = "/count"
component = "count"
[component.count]
source = "loop-on-data.wasm"
timeout = "300ms"
`,
    });
  });
  after(() => t.stop());

  it('answers 504 for a guest past its deadline and serves the next request from a fresh worker', async () => {
    const counted = async () => {
      const res = await fetch(`${t.url}/count`);
      assert.equal(res.status, 200);
      return new DataView(await res.arrayBuffer()).getUint32(0, true);
    };
    assert.deepEqual([await counted(), await counted()], [1, 2], 'one warm instance in the only worker');

    const stuck = await fetch(`${t.url}/count`, { method: 'POST', body: 'loop' });
    assert.equal(stuck.status, 504);
    const eventId = stuck.headers.get('x-spindle-event-id');
    const observed = t.events.find((e) => e.event.id === eventId);
    assert.equal(observed && result(observed), 'timeout');

    assert.equal(await counted(), 1, 'the only worker was replaced, and with it the warm instance');
  });
});
