import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse, print } from '@bytecodealliance/jco';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { buildComponents } from '../src/build/build.js';
import { newEventId, type Outcome, type SpindleEvent } from '../src/event.js';
import { Executor } from '../src/executor/executor.js';
import { WASM_PAGE } from '../src/executor/guest-spec.js';
import { MemoryMinimumError, capMemories, capPages } from '../src/executor/load/memory-cap.js';
import { collectingLogger, makeAppDir } from './support/harness.js';

const JS_FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url));

/** The memory declarations of a module, as WAT lines. */
async function memories(module: Uint8Array): Promise<string[]> {
  return (await print(module)).split('\n').map((l) => l.trim()).filter((l) => l.includes('(memory'));
}

describe('memory cap', () => {
  it('gives a memory without a maximum the cap', async () => {
    const capped = capMemories(await parse('(module (memory 1))'), 32);
    assert.deepEqual(await memories(capped), ['(memory (;0;) 1 32)']);
  });

  it('lowers a maximum above the cap and keeps one below it', async () => {
    assert.deepEqual(await memories(capMemories(await parse('(module (memory 1 100))'), 32)), ['(memory (;0;) 1 32)']);
    const within = await parse('(module (memory 1 100))');
    assert.equal(capMemories(within, 200), within, 'nothing to lower: the same bytes come back');
  });

  it('refuses a module whose minimum is above the cap', async () => {
    const module = await parse('(module (memory 1) (memory 40 50))');
    assert.throws(() => capMemories(module, 32), (err: unknown) => {
      assert.ok(err instanceof MemoryMinimumError);
      assert.deepEqual([err.memoryIndex, err.minPages, err.capPages], [1, 40, 32]);
      return true;
    });
  });

  it('caps every defined memory, keeps the shared flag and leaves imported memories alone', async () => {
    const module = await parse('(module (import "env" "m" (memory 1)) (memory 2 3) (memory 1 70000 shared))');
    assert.deepEqual(await memories(capMemories(module, 64)), [
      '(import "env" "m" (memory (;0;) 1))',
      '(memory (;1;) 2 3)',
      '(memory (;2;) 1 64 shared)',
    ]);
  });

  it('changes nothing but the memory limits', async () => {
    const module = await parse(`(module
      (memory (export "memory") 1)
      (data (i32.const 0) "payload")
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const capped = capMemories(module, 1000);
    const text = (await print(capped)).replace('(memory (;0;) 1 1000)', '(memory (;0;) 1)');
    assert.equal(text, await print(module));
  });

  it('makes the engine refuse growth past the cap', async () => {
    const module = await parse('(module (memory (export "memory") 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))');
    const { instance } = await WebAssembly.instantiate(capMemories(module, 4) as Uint8Array<ArrayBuffer>);
    const grow = instance.exports.grow as (pages: number) => number;
    assert.equal(grow(3), 1, 'growing to the cap works');
    assert.equal(grow(1), -1, 'one page past it fails inside the guest');
    assert.equal((instance.exports.memory as WebAssembly.Memory).buffer.byteLength, 4 * WASM_PAGE);
  });

  it('rejects what it cannot cap', async () => {
    assert.throws(() => capMemories(new TextEncoder().encode('not wasm at all'), 1), /not a core Wasm module/);
    assert.throws(() => capMemories(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]), 1), /not a core Wasm module/, 'a component');
    const memory64 = await parse('(module (memory i64 1))');
    assert.throws(() => capMemories(memory64, 1), /flags 0x04 \(64-bit/);
  });

  it('converts a limit in bytes to whole pages within the 32-bit range', () => {
    assert.deepEqual([2 * 1024 ** 2, WASM_PAGE - 1, 1_000_000, 2 ** 40].map(capPages), [32, 0, 15, 65_536]);
  });
});

/** `/hog` allocates 64 KiB at a time until it fails; `/keep` holds on to 256 KiB more each event. */
const MANIFEST = `
spindle_manifest_version = 1
[application]
name = "memory-test"
# recycle_above_memory as large as memory: instances are never replaced for their size.
[component.grower]
source = "grow-per-event.wasm"
memory = "576KiB"
recycle_above_memory = "576KiB"
[component.recycled-grower]
source = "grow-per-event.wasm"
memory = "576KiB"
[component.js]
source = "${join(JS_FIXTURES, 'build', 'handler.wasm')}"
memory = "24MiB"
recycle_above_memory = "24MiB"
[component.recycled-js]
source = "${join(JS_FIXTURES, 'build', 'handler.wasm')}"
memory = "24MiB"
`;

function event(path = ''): SpindleEvent {
  return { id: newEventId(), source: '/test', type: 'test.event', data: new Uint8Array(), attributes: [['http.path-info', path]] };
}

/** An outcome as 'ok <body>' or '<failure kind>: <message>'. */
function summary(outcome: Outcome): string {
  return outcome.ok ? `ok ${new TextDecoder().decode(outcome.reply.body)}` : `${outcome.failure.kind}: ${outcome.failure.message}`;
}

/** The call count a `counter`-like WAT guest replies with. */
function count(outcome: Outcome): string {
  if (!outcome.ok) return `${outcome.failure.kind}: ${outcome.failure.message}`;
  return String(new DataView(outcome.reply.body!.buffer, outcome.reply.body!.byteOffset).getUint32(0, true));
}

describe('a guest at its memory limit', () => {
  let dir: string;
  let executor: Executor;
  before(async () => {
    await buildComponents(await loadManifest(join(JS_FIXTURES, 'spindle.toml'), { checkSources: false }));
    dir = await makeAppDir({ wat: ['grow-per-event'] });
    const { manifest } = await parseManifest(MANIFEST, join(dir, 'spindle.toml'));
    // The fixtures' own transpile cache, shared with the other tests that run them.
    executor = await Executor.load(manifest, { cacheDir: join(JS_FIXTURES, '.spindle', 'cache'), logger: collectingLogger([]), workers: 1 });
  });
  after(async () => {
    await executor?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a WAT guest refused a step short of the cap as a memory-limit failure', async () => {
    // 64 KiB to start, 3 pages more each event: 256 KiB, 448 KiB, then 640 KiB is refused
    // with 128 KiB still free under the 576 KiB cap.
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(count(await executor.dispatch('grower', event())));
    const [first, second, failed, next] = outcomes;
    assert.deepEqual([first, second, next], ['1', '2', '1'], 'the trapped instance is replaced');
    assert.match(failed!, /^memory-limit: memory limit of 576KiB reached \(448KiB in use\): guest trapped: .*unreachable/);
  });

  it('reports a JavaScript guest that allocates without bound as a memory-limit failure', async () => {
    const outcome = summary(await executor.dispatch('js', event('/hog')));
    assert.match(outcome, /^memory-limit: memory limit of 24MiB reached \([\d.]+MiB in use\): guest trapped: .*unreachable/);
    assert.equal(summary(await executor.dispatch('js', event('/ok'))), 'ok ok /ok', 'a fresh instance serves the next event');
  });

  it('reports a JavaScript guest that grows a little every event as a memory-limit failure when it reaches the cap', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 80 && !outcomes.some((o) => !o.startsWith('ok')); i++) outcomes.push(summary(await executor.dispatch('js', event('/keep'))));
    const failed = outcomes.at(-1)!;
    assert.match(failed, /^memory-limit: memory limit of 24MiB reached \([\d.]+MiB in use\): guest trapped: /);
    assert.ok(outcomes.length > 20, `the guest held on to 256 KiB an event for ${outcomes.length - 1} events first`);
  });

  it('replaces a pooled WAT guest that grows every event before it reaches its cap', async () => {
    // Past 75% of 576 KiB (432 KiB) after its second event, so no instance reaches a third.
    const counts = [];
    for (let i = 0; i < 6; i++) counts.push(count(await executor.dispatch('recycled-grower', event())));
    assert.deepEqual(counts, ['1', '2', '1', '2', '1', '2']);
  });

  it('replaces a pooled JavaScript guest that grows every event before it reaches its cap', async () => {
    // The same guest fails within 80 events when never replaced (above); here none fails.
    const outcomes: string[] = [];
    for (let i = 0; i < 160; i++) outcomes.push(summary(await executor.dispatch('recycled-js', event('/keep'))));
    assert.deepEqual(outcomes.filter((o) => !o.startsWith('ok')), []);
    const counts = outcomes.map((o) => Number(o.slice('ok '.length)));
    const replaced = counts.filter((c, i) => i > 0 && c <= counts[i - 1]!).length;
    assert.ok(replaced >= 2, `instances were replaced ${replaced} times: ${counts.join(' ')}`);
  });
});
