import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newEventId, type Outcome, type SpindleEvent } from '../src/event.js';
import { ComponentLoadError } from '../src/errors.js';
import { Executor } from '../src/executor/executor.js';
import { rewriteCached } from '../src/executor/load/rewrite-cache.js';
import { transpileCached, transpileFile } from '../src/executor/load/transpile-cache.js';
import { parseManifest } from '../src/app-manifest.js';
import { parse } from '@bytecodealliance/jco';
import { collectingLogger, makeAppDir } from './support/harness.js';

const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "executor-test"
[component.pooled]
source = "counter.wasm"
isolation = "pooled"
[component.per-event]
source = "counter.wasm"
isolation = "per-event"
[component.recycled]
source = "counter.wasm"
recycle_after_events = 3
[component.leaky]
source = "grow-per-event.wasm"
recycle_above_memory = "200KiB"
[component.steady]
source = "counter.wasm"
recycle_above_memory = "32KiB"
[component.flaky]
source = "trap-on-data.wasm"
[component.bounded]
source = "hello.wasm"
max_concurrency = 2
[component.patient]
source = "counter.wasm"
max_concurrency = 1
overload_wait = "10s"
[component.impatient]
source = "spin.wasm"
max_concurrency = 1
overload_wait = "50ms"
[component.retry]
source = "retry.wasm"
[component.give-up]
source = "give-up.wasm"
`;

function event(data = ''): SpindleEvent {
  return { id: newEventId(), source: '/test', type: 'test.event', data: new TextEncoder().encode(data), attributes: [] };
}

function count(outcome: Outcome): number {
  assert.ok(outcome.ok, `expected success, got ${JSON.stringify(outcome)}`);
  return new DataView(outcome.reply.body!.buffer, outcome.reply.body!.byteOffset).getUint32(0, true);
}

describe('executor', () => {
  let dir: string;
  let executor: Executor;
  before(async () => {
    dir = await makeAppDir({ wat: ['counter', 'grow-per-event', 'trap-on-data', 'hello', 'retry', 'give-up', 'spin'] });
    const { manifest } = await parseManifest(MANIFEST, join(dir, 'spindle.toml'));
    executor = await Executor.load(manifest, { cacheDir: join(dir, 'cache'), logger: collectingLogger([]) });
  });
  after(() => executor.close());

  it('keeps guest state across events in a pooled instance', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(count(await executor.dispatch('pooled', event())));
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it('replaces a pooled instance after recycle_after_events events', async () => {
    const counts = [];
    for (let i = 0; i < 7; i++) counts.push(count(await executor.dispatch('recycled', event())));
    assert.deepEqual(counts, [1, 2, 3, 1, 2, 3, 1]);
  });

  it('replaces a pooled instance whose memory grew past recycle_above_memory', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(count(await executor.dispatch('leaky', event())));
    assert.deepEqual(counts, [1, 1, 1], 'from 64 KiB to 256 KiB in one event is past a 200 KiB threshold');
  });

  it('keeps a pooled instance that has not grown, even above recycle_above_memory', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(count(await executor.dispatch('steady', event())));
    assert.deepEqual(counts, [1, 2, 3], 'a fresh 64 KiB instance would be no smaller');
  });

  it('gives every event a fresh instance in per-event isolation', async () => {
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(count(await executor.dispatch('per-event', event())));
    assert.deepEqual(counts, [1, 1, 1]);
  });

  it('reports a trap with the component and event id, and never reuses the trapped instance', async () => {
    const e = event('boom');
    const failed = await executor.dispatch('flaky', e);
    assert.equal(failed.ok, false);
    assert.equal(failed.ok || failed.failure.kind, 'trap');
    assert.equal(failed.ok || failed.failure.component, 'flaky');
    assert.equal(failed.ok || failed.failure.eventId, e.id);
    const next = await executor.dispatch('flaky', event());
    assert.ok(next.ok, 'the next event runs on a working instance');
  });

  it('tells retry-later from give-up', async () => {
    const retry = await executor.dispatch('retry', event());
    const giveUp = await executor.dispatch('give-up', event());
    assert.deepEqual(retry.ok ? null : [retry.failure.kind, retry.failure.message], ['retry-later', 'try again']);
    assert.deepEqual(giveUp.ok ? null : [giveUp.failure.kind, giveUp.failure.message], ['give-up', 'bad input']);
  });

  it('refuses events beyond max_concurrency instead of queueing them without bound', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => executor.dispatch('bounded', event())));
    const kinds = outcomes.map((o) => (o.ok ? 'ok' : o.failure.kind));
    assert.deepEqual(kinds, ['ok', 'ok', 'overloaded', 'overloaded', 'overloaded']);
    assert.ok((await executor.dispatch('bounded', event())).ok, 'capacity returns once events finish');
  });

  it('lets events wait for room when overload_wait is set, in order and never past the bound', async () => {
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => executor.dispatch('patient', event())));
    // One at a time, so one warm instance serves them all in arrival order.
    assert.deepEqual(outcomes.map(count), [1, 2, 3, 4, 5]);
  });

  it('refuses an event whose overload_wait runs out', async () => {
    const [slow, refused] = await Promise.all([executor.dispatch('impatient', event('300')), executor.dispatch('impatient', event('0'))]);
    assert.ok(slow.ok);
    assert.equal(refused.ok ? 'ok' : refused.failure.kind, 'overloaded');
  });

  it('answers an unknown component with a failure, not an exception', async () => {
    const outcome = await executor.dispatch('nope', event());
    assert.deepEqual(outcome.ok ? null : [outcome.failure.kind, outcome.failure.message], ['internal', 'no component "nope"']);
  });

  it('reuses the transpile cache on a second load', async () => {
    const { manifest } = await parseManifest(MANIFEST, join(dir, 'spindle.toml'));
    assert.ok([...executor.components.values()].every((c) => !c.cached), 'the first load transpiles');
    const again = await Executor.load(manifest, { cacheDir: join(dir, 'cache'), logger: collectingLogger([]) });
    assert.ok([...again.components.values()].every((c) => c.cached), 'the second load reads the cache');
    await again.close();
  });
});

describe('transpile cache', () => {
  it('transpiles one component file once when several components load it at the same time', async () => {
    const dir = await makeAppDir({ wat: ['hello'] });
    const bytes = await readFile(join(dir, 'hello.wasm'));
    const results = await Promise.all(Array.from({ length: 4 }, () => transpileCached(bytes, join(dir, 'cache'))));
    assert.ok(results.every((r) => r === results[0]), 'one transpile serves every caller');
    const again = await transpileCached(bytes, join(dir, 'cache'));
    assert.equal(again.cached, true);
    assert.deepEqual((await readdir(join(dir, 'cache'))).sort(), [basename(again.dir), 'glue'].sort(), 'no staging directory is left behind');
  });

  it('rewrites a core module once per page cap and reads it back after', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'spindle-rewrite-')), 'component');
    let rewrites = 0;
    const rewrite = (restorable: boolean) => async () => (rewrites++, { bytes: Uint8Array.of(rewrites), restorable });
    const first = await rewriteCached(dir, 'core.wasm', 16, rewrite(true));
    assert.deepEqual([[...(await first.readCode())], first.restorable], [[1], true]);
    const again = await rewriteCached(dir, 'core.wasm', 16, rewrite(false));
    assert.deepEqual([rewrites, [...(await again.readCode())], again.restorable, again.code], [1, [1], true, first.code], 'the second call reads what the first wrote');
    const other = await rewriteCached(dir, 'core.wasm', 32, rewrite(false));
    assert.deepEqual([[...(await other.readCode())], other.restorable], [[2], false], 'another cap is another module');
  });

  it('stores code once for modules that differ only in their data, and each one\'s data beside it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'spindle-rewrite-'));
    const module = (text: string) => parse(`(module (memory (export "memory") 1) (func (export "f")) (data (i32.const 16) "${text}"))`);
    const [a, b] = await Promise.all(['alpha', 'omega'].map(async (text) => rewriteCached(join(root, text), 'core.wasm', 16, async () => ({ bytes: await module(text), restorable: true }))));
    assert.equal(a!.code, b!.code, 'one code for both');
    assert.deepEqual((await readdir(join(root, 'code'))).length, 1);
    const again = await rewriteCached(join(root, 'omega'), 'core.wasm', 16, async () => assert.fail('read back, not rewritten'));
    assert.equal(new TextDecoder().decode(again.image!.data), 'omega');
    assert.ok(again.image!.data.buffer instanceof SharedArrayBuffer, 'workers share the data instead of copying it');
  });

  it('keeps one copy of glue that components share, so a worker imports it once', async () => {
    const dir = await makeAppDir({ wat: ['hello', 'echo'] });
    const [hello, echo] = await Promise.all(['hello', 'echo'].map(async (name) => transpileCached(await readFile(join(dir, `${name}.wasm`)), join(dir, 'cache'))));
    assert.notEqual(hello!.dir, echo!.dir, 'two components, two cache entries');
    assert.equal(hello!.gluePath, echo!.gluePath);
    assert.deepEqual((await readdir(dirname(hello!.gluePath))).sort(), [basename(hello!.gluePath), 'package.json'].sort());
  });

  it('finds an unchanged file\'s component without reading the file, and reads it again once it changes', async () => {
    const dir = await makeAppDir({ wat: ['hello', 'echo'] });
    const file = join(dir, 'component.wasm');
    await copyFile(join(dir, 'hello.wasm'), file);
    let reads = 0;
    const read = () => (reads++, readFile(file));
    const first = await transpileFile(file, join(dir, 'cache'), read);
    const second = await transpileFile(file, join(dir, 'cache'), read);
    assert.equal(reads, 1, 'the unchanged file was not read again');
    assert.equal(second.dir, first.dir);
    await copyFile(join(dir, 'echo.wasm'), file);
    const changed = await transpileFile(file, join(dir, 'cache'), read);
    assert.equal(reads, 2, 'the changed file was read');
    assert.notEqual(changed.dir, first.dir);
  });
});

describe('executor load errors', () => {
  it('names the component and the file that is not a component', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spindle-bad-'));
    await writeFile(join(dir, 'junk.wasm'), 'this is not wasm');
    const { manifest } = await parseManifest(
      'spindle_manifest_version = 1\n[application]\nname = "bad"\n[component.junk]\nsource = "junk.wasm"\n',
      join(dir, 'spindle.toml'),
    );
    await assert.rejects(Executor.load(manifest, { cacheDir: join(dir, 'cache'), logger: collectingLogger([]) }), (err: unknown) => {
      assert.ok(err instanceof ComponentLoadError);
      assert.equal(err.context.component, 'junk');
      assert.match(err.message, /component "junk": not a valid component: .*junk\.wasm/);
      return true;
    });
  });
});
