/**
 * Spindle's capability imports answered directly (`worker/capability-abi.ts`) against jco's
 * trampolines: the same calls, on fresh instances linked either way, must reach the host with
 * the same arguments and leave the guest the same bytes — the result at its return pointer and
 * every allocation made through its realloc, in the same order, sizes and alignment — or the
 * same trap. A WAT guest makes one import call per event with arguments the test lays out and
 * answers with those bytes; a JavaScript guest (componentize-js) runs the same kinds of calls
 * through its own bindings.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { loadManifest, parseManifest } from '../src/app-manifest.js';
import { buildComponents } from '../src/build/build.js';
import { CapabilityInvalidError, type BlockingHostServices } from '../src/capabilities/contract.js';
import type { SpindleEvent } from '../src/event.js';
import type { CoreInstantiate } from '../src/executor/worker/memory-watch.js';
import { loadComponent, type LoadedComponent } from '../src/executor/load/component.js';
import { withDataImages } from '../src/executor/worker/data-image.js';
import { prepareGuest, type GuestHost } from '../src/executor/worker/guest.js';
import { directInstantiate, withDirectImports } from '../src/executor/worker/lean-imports.js';
import { callHandler } from '../src/executor/worker/worlds/handler.js';
import { makeAppDir } from './support/harness.js';
import { quietHost } from './support/quiet-host.js';

const WIT_FILE = new URL('../../wit/spindle.wit', import.meta.url);
const JS_FIXTURES = fileURLToPath(new URL('../../test/fixtures/js/spindle.toml', import.meta.url));
const JS_BUILD = join(fileURLToPath(new URL('../../test/fixtures/js/', import.meta.url)), 'build');

const GRANTS = `key_value_stores = ["s", "away"]
publish_channels = ["c.*"]
enqueue_queues = ["q"]
variables = { greeting = "grüße ☃ 𝄞" }
`;

/** A key the fake store refuses as too large, as the real limits do (`kv/limits.ts`). */
const MAX_KEY_BYTES = 250;
const MAX_S64 = 2n ** 63n - 1n;
const MIN_S64 = -(2n ** 63n);

/**
 * Synchronous services over a small map, recording every call. Store `away` fails as a store
 * that is down fails (unavailable); an oversized key, a value that is not a counter and an
 * overflowing increment are refused as bad input (invalid).
 */
function fakeServices(calls: unknown[][]): Partial<BlockingHostServices> {
  const encoder = new TextEncoder();
  const entries = new Map<string, Uint8Array>([
    ['present', encoder.encode('stored value')],
    ['empty', new Uint8Array()],
    ['large', Uint8Array.from({ length: 150_000 }, (_, i) => (i * 7 + 3) & 0xff)],
    ['ключ ☃ 𝄞', encoder.encode('значение ☃ 𝄞 \u{10FFFF}')],
    ['counter', encoder.encode('41')],
    ['max', encoder.encode(String(MAX_S64))],
    ['min', encoder.encode(String(MIN_S64))],
    ['text', encoder.encode('not a number')],
    ...Array.from({ length: 1500 }, (_, i) => [`many/${String(i).padStart(4, '0')}-ü`, encoder.encode(String(i))] as [string, Uint8Array]),
  ]);
  const served = <A extends unknown[], R>(name: string, fn: (...args: A) => R) => (...args: A): R => {
    calls.push([name, ...args]);
    if (args[0] === 'away') throw new Error(`store "away" is not answering`);
    return fn(...args);
  };
  const checkKey = (key: string) => {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new CapabilityInvalidError(`key of ${Buffer.byteLength(key)} bytes is above the limit`);
  };
  return {
    kvGet: served('kvGet', (_store: string, key: string) => entries.get(key)),
    kvSet: served('kvSet', (_store: string, key: string, value: Uint8Array) => {
      checkKey(key);
      entries.set(key, value);
    }),
    kvDelete: served('kvDelete', (_store: string, key: string) => entries.delete(key)),
    kvExists: served('kvExists', (_store: string, key: string) => entries.has(key)),
    kvIncrement: served('kvIncrement', (_store: string, key: string, delta: bigint) => {
      checkKey(key);
      const text = entries.has(key) ? new TextDecoder().decode(entries.get(key)) : '0';
      if (!/^-?\d+$/.test(text)) throw new CapabilityInvalidError(`the value at "${key}" is not an integer`);
      const sum = BigInt(text) + delta;
      if (sum > MAX_S64 || sum < MIN_S64) throw new CapabilityInvalidError(`incrementing "${key}" by ${delta} overflows a 64-bit integer`);
      entries.set(key, encoder.encode(String(sum)));
      return sum;
    }),
    kvListKeys: served('kvListKeys', (_store: string, prefix: string) => [...entries.keys()].filter((k) => k.startsWith(prefix)).sort()),
    publish: served('publish', () => undefined),
    enqueue: served('enqueue', (queue: string, data: Uint8Array, options: object) => `job ${queue} ${data.byteLength} ${JSON.stringify(options)} ✓`),
  };
}

/** A host recording service calls and log lines; with `failingLog`, logging throws as a broken host would. */
function recordingHost(calls: unknown[][], failingLog = false): GuestHost {
  const services = fakeServices(calls);
  return {
    ...quietHost,
    log: (level, fields, message) => {
      calls.push(['log', level, fields, message]);
      if (failingLog) throw new Error('the log is broken');
    },
    services: () =>
      new Proxy(services as BlockingHostServices, {
        get: (target, method) =>
          target[method as keyof BlockingHostServices] ??
          (() => {
            throw new Error(`no ${String(method)} here`);
          }),
      }),
  };
}

/**
 * A handler whose event data is one import call: byte 0 the function, bytes 2–3 a mask of the
 * arguments that are offsets into the data (made pointers by adding the data's address), then
 * twelve 8-byte arguments from byte 8, then the payload they point into. It calls the import
 * with its return pointer at R (8 MiB, prefilled with 0xAA), its realloc logging each call
 * (old pointer, old size, alignment, size, result) from R+32 and allocating from R+128 KiB,
 * past the end of the initial memory so that every allocation grows it. The reply's body is
 * everything from R to the last allocation's end.
 */
const RECORDER = `(module
  (import "spindle:app/key-value@0.1.0" "get" (func $get (param i32 i32 i32 i32 i32)))
  (import "spindle:app/key-value@0.1.0" "set" (func $set (param i32 i32 i32 i32 i32 i32 i32 i64 i32)))
  (import "spindle:app/key-value@0.1.0" "delete" (func $delete (param i32 i32 i32 i32 i32)))
  (import "spindle:app/key-value@0.1.0" "exists" (func $exists (param i32 i32 i32 i32 i32)))
  (import "spindle:app/key-value@0.1.0" "increment" (func $increment (param i32 i32 i32 i32 i64 i32)))
  (import "spindle:app/key-value@0.1.0" "list-keys" (func $list_keys (param i32 i32 i32 i32 i32)))
  (import "spindle:app/pubsub@0.1.0" "publish" (func $publish (param i32 i32 i32 i32 i32)))
  (import "spindle:app/queue@0.1.0" "enqueue" (func $enqueue (param i32 i32 i32 i32 i32 i64 i32 i32 i32 i32 i32 i32)))
  (import "spindle:app/variables@0.1.0" "get" (func $variable (param i32 i32 i32)))
  (import "spindle:app/log@0.1.0" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 130)
  (global $heap (mut i32) (i32.const 65536))
  (global $recording (mut i32) (i32.const 0))
  (global $top (mut i32) (i32.const 0))
  (global $data (mut i32) (i32.const 0))
  (global $mask (mut i32) (i32.const 0))
  (func $fits (param $end i32)
    (block $done (loop $grow
      (br_if $done (i32.le_u (local.get $end) (i32.shl (memory.size) (i32.const 16))))
      (drop (memory.grow (i32.const 1)))
      (br $grow))))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32) (local $entry i32)
    (if (global.get $recording)
      (then
        (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
        (global.set $top (i32.add (local.get $p) (local.get $size)))
        (call $fits (global.get $top))
        (local.set $entry (i32.add (i32.const 0x800024) (i32.mul (i32.load (i32.const 0x800020)) (i32.const 20))))
        (i32.store (local.get $entry) (local.get $old))
        (i32.store offset=4 (local.get $entry) (local.get $old_size))
        (i32.store offset=8 (local.get $entry) (local.get $align))
        (i32.store offset=12 (local.get $entry) (local.get $size))
        (i32.store offset=16 (local.get $entry) (local.get $p))
        (i32.store (i32.const 0x800020) (i32.add (i32.load (i32.const 0x800020)) (i32.const 1)))
        (return (local.get $p))))
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (call $fits (global.get $heap))
    (local.get $p))
  (func (export "cabi_post_handle") (param i32) (global.set $heap (i32.const 65536)))
  (func $a64 (param $i i32) (result i64)
    (i64.add (i64.load offset=8 (i32.add (global.get $data) (i32.shl (local.get $i) (i32.const 3))))
      (select (i64.extend_i32_u (global.get $data)) (i64.const 0)
        (i32.and (global.get $mask) (i32.shl (i32.const 1) (local.get $i))))))
  (func $a (param $i i32) (result i32) (i32.wrap_i64 (call $a64 (local.get $i))))
  (func (export "handle") (param $ev i32) (result i32)
    (global.set $data (i32.load offset=60 (local.get $ev)))
    (global.set $mask (i32.load16_u offset=2 (global.get $data)))
    (memory.fill (i32.const 0x800000) (i32.const 0xAA) (i32.const 32))
    (i32.store (i32.const 0x800020) (i32.const 0))
    (global.set $top (i32.const 0x820000))
    (global.set $recording (i32.const 1))
    (block $call
      (block $l (block $v (block $q (block $p (block $lk (block $inc (block $ex (block $del (block $s (block $g
        (br_table $g $s $del $ex $inc $lk $p $q $v $l $call (i32.load8_u (global.get $data))))
        (call $get (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3)) (i32.const 0x800000))
        (br $call))
        (call $set (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3))
          (call $a (i32.const 4)) (call $a (i32.const 5)) (call $a (i32.const 6)) (call $a64 (i32.const 7)) (i32.const 0x800000))
        (br $call))
        (call $delete (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3)) (i32.const 0x800000))
        (br $call))
        (call $exists (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3)) (i32.const 0x800000))
        (br $call))
        (call $increment (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3))
          (call $a64 (i32.const 4)) (i32.const 0x800000))
        (br $call))
        (call $list_keys (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3)) (i32.const 0x800000))
        (br $call))
        (call $publish (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3)) (i32.const 0x800000))
        (br $call))
        (call $enqueue (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2)) (call $a (i32.const 3))
          (call $a (i32.const 4)) (call $a64 (i32.const 5)) (call $a (i32.const 6)) (call $a (i32.const 7))
          (call $a (i32.const 8)) (call $a (i32.const 9)) (call $a (i32.const 10)) (i32.const 0x800000))
        (br $call))
        (call $variable (call $a (i32.const 0)) (call $a (i32.const 1)) (i32.const 0x800000))
        (br $call))
      (call $log (call $a (i32.const 0)) (call $a (i32.const 1)) (call $a (i32.const 2))))
    (global.set $recording (i32.const 0))
    ;; ok(reply { status: 200, headers: [], body: R .. top })
    (i32.store8 (i32.const 512) (i32.const 0))
    (i32.store8 (i32.const 516) (i32.const 1))
    (i32.store16 (i32.const 518) (i32.const 200))
    (i32.store (i32.const 520) (i32.const 4))
    (i32.store (i32.const 524) (i32.const 0))
    (i32.store8 (i32.const 528) (i32.const 1))
    (i32.store (i32.const 532) (i32.const 0x800000))
    (i32.store (i32.const 536) (i32.sub (select (global.get $top) (i32.const 0x820000) (i32.gt_u (global.get $top) (i32.const 0x820000))) (i32.const 0x800000)))
    (i32.const 512)))`;

const OPS = ['get', 'set', 'delete', 'exists', 'increment', 'list-keys', 'publish', 'enqueue', 'variable', 'log'] as const;

/** An argument: a number, a bigint for an i64, or bytes (UTF-8 for a string) passed as pointer and length. */
type Arg = number | bigint | string | Uint8Array | { at: string | Uint8Array };

/** One call's event data; a string or bytes argument takes two slots, its pointer (an offset into the data) then its length. */
function command(op: (typeof OPS)[number], args: Arg[]): Uint8Array {
  const slots: bigint[] = [];
  let mask = 0;
  const payload: number[] = [];
  const place = (value: string | Uint8Array) => {
    const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    const offset = 8 + 12 * 8 + payload.length;
    payload.push(...bytes);
    return { offset, length: bytes.byteLength };
  };
  for (const arg of args) {
    if (typeof arg === 'number' || typeof arg === 'bigint') {
      slots.push(BigInt(arg));
    } else {
      const { offset, length } = place(arg instanceof Uint8Array || typeof arg === 'string' ? arg : arg.at);
      mask |= 1 << slots.length;
      slots.push(BigInt(offset));
      if (arg instanceof Uint8Array || typeof arg === 'string') slots.push(BigInt(length));
    }
  }
  const data = new Uint8Array(8 + 12 * 8 + payload.length);
  const view = new DataView(data.buffer);
  data[0] = OPS.indexOf(op);
  view.setUint16(2, mask, true);
  slots.forEach((slot, i) => view.setBigInt64(8 + i * 8, BigInt.asIntN(64, slot), true));
  data.set(payload, 8 + 12 * 8);
  return data;
}

const event = (data: Uint8Array): SpindleEvent => ({ id: 'ev', source: '/spindle/http', type: 'spindle.http.request', data, attributes: [] });

/** Everything the guest and the host saw of one event on a fresh instance. */
async function outcome(component: LoadedComponent, directImports: boolean, data: Uint8Array, failingLog = false) {
  const calls: unknown[][] = [];
  const instance = await (await prepareGuest(component.guest, recordingHost(calls, failingLog), { directImports })).instantiate();
  try {
    return { body: callHandler(instance, event(data)).body, calls };
  } catch (err) {
    const { kind, message, poisoned } = err as { kind: string; message: string; poisoned: boolean };
    return { failure: { kind, message, poisoned }, calls };
  }
}

async function same(component: LoadedComponent, data: Uint8Array, failingLog = false) {
  const viaGlue = await outcome(component, false, data, failingLog);
  const direct = await outcome(component, true, data, failingLog);
  assert.deepEqual(direct, viaGlue);
  return direct;
}

/** The return area and the realloc log of a recorded call. */
function recorded(body: Uint8Array | undefined) {
  assert.ok(body);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint32(32, true);
  const allocations = Array.from({ length: count }, (_, i) => [0, 4, 8, 12, 16].map((o) => view.getUint32(36 + i * 20 + o, true)));
  return { ret: body.subarray(0, 32), allocations };
}

describe('capability imports answered directly, against jco\'s trampolines', () => {
  let wat: LoadedComponent;
  let js: LoadedComponent;

  before(async () => {
    const dir = await makeAppDir({});
    const witSource = await readFile(WIT_FILE, 'utf8');
    await writeFile(join(dir, 'recorder.wasm'), await componentNew(await componentEmbed({ binary: await parse(RECORDER), witSource, world: 'handler' })));
    await buildComponents(await loadManifest(JS_FIXTURES, { checkSources: false }));
    const load = async (source: string) => {
      const text = `spindle_manifest_version = 1\n[application]\nname = "direct"\n[component.c]\nsource = "${source}"\nmemory = "64MiB"\n${GRANTS}`;
      const { manifest } = await parseManifest(text, join(dir, 'spindle.toml'));
      return loadComponent('c', manifest.component.c!, { cacheDir: join(dir, 'cache') });
    };
    wat = await load(join(dir, 'recorder.wasm'));
    js = await load(join(JS_BUILD, 'capabilities.wasm'));
  });

  it('answers every spindle:app import of a module that exports its memory and realloc, and keeps the trampoline otherwise', () => {
    const trampoline = () => {};
    const host = { 'spindle:app/key-value': { get: () => undefined }, 'spindle:app/log': { log: () => {} } };
    const core = { 'spindle:app/key-value@0.1.0': { get: trampoline, set: trampoline }, 'spindle:app/log@0.1.0': { log: trampoline } };
    const memoryOnly: WebAssembly.ModuleExportDescriptor[] = [{ name: 'memory', kind: 'memory' }];
    const both = [...memoryOnly, { name: 'cabi_realloc', kind: 'function' as const }];
    const linked = withDirectImports(core, host, both).imports!;
    assert.notEqual(linked['spindle:app/key-value@0.1.0']!.get, trampoline);
    assert.equal(linked['spindle:app/key-value@0.1.0']!.set, trampoline, 'a function the host does not give keeps its trampoline');
    assert.notEqual(linked['spindle:app/log@0.1.0']!.log, trampoline);
    const withoutRealloc = withDirectImports(core, host, memoryOnly).imports!;
    assert.equal(withoutRealloc['spindle:app/key-value@0.1.0']!.get, trampoline, 'a result needs the realloc to be lowered');
    assert.notEqual(withoutRealloc['spindle:app/log@0.1.0']!.log, trampoline, 'log allocates nothing');
    assert.equal(withDirectImports(core, host, []).imports!['spindle:app/log@0.1.0']!.log, trampoline);
    assert.equal(withDirectImports({ 'spindle:app/log@0.2.0': { log: trampoline } }, host, both).imports!['spindle:app/log@0.2.0']!.log, trampoline);
  });

  it('gets present, missing, empty, large and non-ASCII values with the same bytes and allocations', async () => {
    const bodies = [];
    for (const key of ['present', 'absent', 'empty', 'large', 'ключ ☃ 𝄞', '\u{FEFF}present', '']) {
      bodies.push((await same(wat, command('get', ['s', key]))).body);
    }
    const [present, absent, empty, large, nonAscii, bom] = bodies.map(recorded);
    assert.deepEqual([...present!.ret.subarray(0, 5)], [0, 0xaa, 0xaa, 0xaa, 1], 'ok, then some');
    assert.deepEqual(present!.allocations.map(([, , align, size]) => [align, size]), [[1, 12]]);
    assert.deepEqual([...absent!.ret.subarray(0, 5)], [0, 0xaa, 0xaa, 0xaa, 0], 'ok, then none');
    assert.deepEqual(absent!.allocations, []);
    assert.deepEqual(empty!.allocations.map(([, , align, size]) => [align, size]), [[1, 0]], 'empty bytes still take an allocation');
    assert.equal(large!.allocations[0]![3], 150_000);
    assert.equal(nonAscii!.allocations[0]![3], new TextEncoder().encode('значение ☃ 𝄞 \u{10FFFF}').byteLength);
    assert.deepEqual(bom!.ret.subarray(0, 5), present!.ret.subarray(0, 5), 'a leading byte order mark is dropped from the key, as by jco');
  });

  it('sets with and without a time to live, and values beyond 64 KiB', async () => {
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
    const ttls: Array<[number, bigint]> = [[0, 0n], [1, 1500n], [1, -1n]];
    for (const [hasTtl, ttl] of ttls) {
      const { calls } = await same(wat, command('set', ['s', 'k ☃', new Uint8Array([0, 255, 1]), hasTtl, ttl]));
      assert.deepEqual(calls, [['kvSet', 's', 'k ☃', new Uint8Array([0, 255, 1]), hasTtl ? Number(BigInt.asUintN(64, ttl)) : undefined]]);
    }
    const { calls } = await same(wat, command('set', ['s', 'big', big, 0, 0n]));
    assert.deepEqual(calls[0]![3], big);
    await same(wat, command('set', ['s', 'nothing', new Uint8Array(), 0, 0n]));
  });

  it('deletes, checks and increments, up to the ends of s64', async () => {
    for (const key of ['present', 'absent']) {
      await same(wat, command('delete', ['s', key]));
      await same(wat, command('exists', ['s', key]));
    }
    const cases: Array<[string, bigint]> = [['counter', 1n], ['absent', MAX_S64], ['absent', MIN_S64], ['max', -1n], ['min', 1n], ['max', 1n], ['min', -1n], ['text', 1n]];
    const results = [];
    for (const [key, delta] of cases) {
      const { body } = await same(wat, command('increment', ['s', key, delta]));
      const { ret } = recorded(body);
      const view = new DataView(ret.buffer, ret.byteOffset);
      results.push(ret[0] === 0 ? view.getBigInt64(8, true) : ['err', ret[8]]);
    }
    assert.deepEqual(results, [42n, MAX_S64, MIN_S64, MAX_S64 - 1n, MIN_S64 + 1n, ['err', 1], ['err', 1], ['err', 1]]);
  });

  it('lists many keys, one record array and then each string', async () => {
    const { body } = await same(wat, command('list-keys', ['s', 'many/']));
    const { ret, allocations } = recorded(body);
    const view = new DataView(ret.buffer, ret.byteOffset);
    assert.equal(view.getUint32(8, true), 1500);
    assert.deepEqual(allocations[0]!.slice(2, 4), [4, 1500 * 8]);
    assert.equal(allocations.length, 1501);
    await same(wat, command('list-keys', ['s', 'none/']));
  });

  it('gives denied, invalid and unavailable errors the same bytes', async () => {
    const kinds = [];
    for (const data of [
      command('get', ['not-granted', 'k']),
      command('set', ['s', 'k'.repeat(MAX_KEY_BYTES + 1), new Uint8Array([1]), 0, 0n]),
      command('exists', ['away', 'k']),
      command('list-keys', ['away', '']),
      command('increment', ['away', 'k', 1n]),
      command('variable', ['not-mapped']),
      command('publish', ['elsewhere', new Uint8Array([1])]),
      command('enqueue', ['other', new Uint8Array(), 0, 0n, 0, 0, 0, 0, 0]),
    ]) {
      const { ret } = recorded((await same(wat, data)).body);
      kinds.push([ret[0], ret[4]]);
    }
    // increment's error sits at 8, after its s64 payload's alignment.
    assert.deepEqual(kinds, [[1, 0], [1, 1], [1, 2], [1, 2], [1, 0xaa], [1, 0], [1, 0], [1, 0]]);
  });

  it('publishes, enqueues with and without options, reads a variable and logs', async () => {
    const publish = await same(wat, command('publish', ['c.ü', Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff)]));
    assert.equal((publish.calls[0]![2] as Uint8Array).byteLength, 70_000);
    const withOptions = await same(wat, command('enqueue', ['q', new Uint8Array([9, 8]), 1, 2n ** 64n - 1n, 1, 0xffffffff, 1, 'job ☃']));
    assert.deepEqual(withOptions.calls, [['enqueue', 'q', new Uint8Array([9, 8]), { delayMs: 2 ** 64, attempts: 0xffffffff, jobId: 'job ☃' }]]);
    await same(wat, command('enqueue', ['q', new Uint8Array(), 0, 0n, 0, 0, 0, 0, 0]));
    const variable = await same(wat, command('variable', ['greeting']));
    assert.equal(recorded(variable.body).allocations[0]![3], new TextEncoder().encode('grüße ☃ 𝄞').byteLength);
    for (const level of [0, 1, 2, 3]) await same(wat, command('log', [level, 'line ☃']));
  });

  it('traps as jco does when the host throws what is not a capability error, or the guest passes what cannot be lifted', async () => {
    const denied = await same(wat, command('get', ['not-granted', 'k']), true);
    assert.deepEqual(denied.failure, { kind: 'internal', message: 'the log is broken', poisoned: true });
    const logged = await same(wat, command('log', [1, 'line']), true);
    assert.equal(logged.failure?.kind, 'internal');
    const badLevel = await same(wat, command('log', [7, 'line']));
    assert.match(badLevel.failure?.message ?? '', /invalid discriminant specified for Level/);
    const badOption = await same(wat, command('set', ['s', 'k', new Uint8Array(), 2, 0n]));
    assert.match(badOption.failure?.message ?? '', /invalid variant discriminant for option/);
    const outOfBounds = await same(wat, command('get', [{ at: 's' }, 2 ** 31, 's']));
    assert.equal(outOfBounds.failure?.kind, 'internal');
  });

  it('reads whatever a host function returns or throws as jco does', async () => {
    const glue = (await import(pathToFileURL(wat.guest.gluePath).href)) as {
      instantiate(getCore: (name: string) => WebAssembly.Module, imports: object, instantiateCore: CoreInstantiate): Promise<{ handle(event: object): { body?: Uint8Array } }>;
    };
    const images = new Map([...wat.guest.coreData].map(([name, image]) => [wat.guest.coreModules.get(name)!, image]));
    const answers: Array<[string, () => unknown]> = [
      ['an err result returned', () => ({ tag: 'err', val: { tag: 'invalid', val: 'returned' } })],
      ['an ok result returned', () => ({ tag: 'ok', val: new Uint8Array([7]) })],
      ['an error with a payload', () => { throw Object.assign(new Error('wrapped'), { payload: { tag: 'denied', val: 'from payload' } }); }],
      ['an array of bytes', () => [1, 2, 3]],
      ['an array with a bad byte', () => [1, 256]],
      ['a bytes view into a larger buffer', () => new Uint8Array(new ArrayBuffer(16), 4, 3)],
      ['a thrown string', () => { throw 'text'; }],
      ['a thrown null', () => { throw null; }],
      ['an unknown error tag', () => { throw { tag: 'gone', val: 'x' }; }],
      ['an error that is not a string', () => { throw { tag: 'denied', val: 5 }; }],
      ['a thrown trap', () => { throw new WebAssembly.RuntimeError('host trapped'); }],
    ];
    for (const [what, answer] of answers) {
      const run = async (direct: boolean) => {
        const unused = () => assert.fail(`${what}: only get is called`);
        const host = {
          'spindle:app/key-value': { get: answer, set: unused, delete: unused, exists: unused, increment: unused, listKeys: unused },
          'spindle:app/log': { log: unused },
          'spindle:app/pubsub': { publish: unused },
          'spindle:app/queue': { enqueue: unused },
          'spindle:app/variables': { get: unused },
        };
        const core: CoreInstantiate = withDataImages(async (module, imports) => WebAssembly.instantiate(module, imports), images);
        const instance = await glue.instantiate((name) => wat.guest.coreModules.get(name)!, host, direct ? directInstantiate(core, host) : core);
        const guestEvent = { ...event(command('get', ['s', 'k'])), subject: undefined, time: undefined, datacontenttype: undefined };
        try {
          return { body: instance.handle(guestEvent).body };
        } catch (err) {
          return { thrown: (err as Error)?.constructor?.name, message: (err as Error)?.message };
        }
      };
      assert.deepEqual(await run(true), await run(false), what);
    }
  });

  it('gives a JavaScript guest the same results and errors', async () => {
    const commands = [
      { op: 'get', store: 's', key: 'present' },
      { op: 'get', store: 's', key: 'absent' },
      { op: 'get', store: 's', key: 'large' },
      { op: 'get', store: 's', key: 'ключ ☃ 𝄞' },
      { op: 'get', store: 'not-granted', key: 'k' },
      { op: 'get', store: 'away', key: 'k' },
      { op: 'set', store: 's', key: 'k ☃', value: 'v'.repeat(80_000) },
      { op: 'set', store: 's', key: 'k', value: '', ttlMs: 1000 },
      { op: 'set', store: 's', key: 'k'.repeat(MAX_KEY_BYTES + 1), value: 'v' },
      { op: 'delete', store: 's', key: 'present' },
      { op: 'exists', store: 's', key: 'absent' },
      { op: 'increment', store: 's', key: 'counter', delta: 1 },
      { op: 'increment', store: 's', key: 'text', delta: 1 },
      { op: 'increment', store: 'away', key: 'text', delta: 1 },
      { op: 'increment', store: 's', key: 'absent', delta: 9007199254740992 },
      { op: 'listKeys', store: 's', prefix: 'many/' },
      { op: 'publish', channel: 'c.x', data: 'x' },
      { op: 'enqueue', queue: 'q', data: 'job', delayMs: 5, attempts: 3, jobId: 'j ☃' },
      { op: 'variable', name: 'greeting' },
      { op: 'log', level: 'warn', message: 'line ☃' },
    ];
    const bodies = [];
    for (const c of commands) bodies.push(JSON.parse(new TextDecoder().decode((await same(js, new TextEncoder().encode(JSON.stringify(c)))).body)));
    assert.equal(bodies[0].ok, 'stored value');
    assert.equal(bodies[1].ok, null);
    assert.equal(typeof bodies[2].ok, 'string');
    assert.equal(bodies[3].ok, 'значение ☃ 𝄞 \u{10FFFF}');
    assert.deepEqual([bodies[4].err.tag, bodies[5].err.tag, bodies[8].err.tag], ['denied', 'unavailable', 'invalid']);
    assert.deepEqual([bodies[11].ok, bodies[12].err.tag, bodies[13].err.tag, bodies[14].ok], ['42', 'invalid', 'unavailable', '9007199254740992']);
    assert.equal(bodies[15].ok.length, 1500);
    assert.equal(bodies[18].ok, 'grüße ☃ 𝄞');
  });
});
