import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, print } from '@bytecodealliance/jco';
import { WASM_PAGE } from '../src/executor/guest-spec.js';
import { MemoryMinimumError, capMemories, capPages } from '../src/executor/load/memory-cap.js';

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
