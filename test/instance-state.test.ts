import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from '@bytecodealliance/jco';
import { exportMutableGlobals } from '../src/executor/load/global-export.js';
import { GLOBAL_EXPORT_PREFIX } from '../src/executor/guest-spec.js';

async function instantiate(wat: string, imports: WebAssembly.Imports = {}) {
  const rewritten = exportMutableGlobals(await parse(wat));
  assert.ok(rewritten, 'the module is understood');
  const { instance } = (await WebAssembly.instantiate(rewritten.module as Uint8Array<ArrayBuffer>, imports)) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
  return { exports: instance.exports as Record<string, unknown>, names: rewritten.names };
}

describe('exporting mutable globals', () => {
  it('exports each defined mutable global by its index, leaving immutable ones and other exports alone', async () => {
    const { exports, names } = await instantiate(`(module
      (global $a (mut i32) (i32.const 7))
      (global $b i64 (i64.const 1))
      (global $c (mut f64) (f64.const 2.5))
      (func (export "bump") (global.set $a (i32.add (global.get $a) (i32.const 1)))))`);
    assert.deepEqual(names, [`${GLOBAL_EXPORT_PREFIX}0`, `${GLOBAL_EXPORT_PREFIX}2`]);
    const a = exports[`${GLOBAL_EXPORT_PREFIX}0`] as WebAssembly.Global;
    assert.equal(a.value, 7);
    (exports.bump as () => void)();
    assert.equal(a.value, 8, 'the export is the live global');
    a.value = 7;
    assert.equal((exports[`${GLOBAL_EXPORT_PREFIX}2`] as WebAssembly.Global).value, 2.5);
    assert.equal(exports[`${GLOBAL_EXPORT_PREFIX}1`], undefined);
  });

  it('numbers defined globals after imported ones, and adds an export section when there is none', async () => {
    const { exports, names } = await instantiate(
      `(module (import "env" "g" (global i32)) (import "env" "f" (func)) (global (mut i32) (i32.const 3)) (memory 1) (data (i32.const 0) "x"))`,
      { env: { g: 1, f: () => {} } },
    );
    assert.deepEqual(names, [`${GLOBAL_EXPORT_PREFIX}1`]);
    assert.equal((exports[`${GLOBAL_EXPORT_PREFIX}1`] as WebAssembly.Global).value, 3);
  });

  it('returns a module without mutable globals as it is', async () => {
    const module = await parse('(module (global i32 (i32.const 1)) (func (export "f")))');
    assert.deepEqual(exportMutableGlobals(module), { module, names: [] });
  });

  it('gives up, rather than guessing, on a constant expression it cannot read', async () => {
    const module = await parse('(module (global (mut v128) (v128.const i32x4 1 2 3 4)) (global (mut i32) (i32.const 1)))');
    // v128.const is read; flip its 0x0c immediate to an unknown vector opcode.
    const bytes = new Uint8Array(module);
    const at = bytes.findIndex((b, i) => b === 0xfd && bytes[i + 1] === 0x0c);
    bytes[at + 1] = 0x0d;
    assert.equal(exportMutableGlobals(bytes), undefined);
  });
});
