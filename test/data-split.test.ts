/**
 * A core module split into code and data (`load/data-split.ts`) and put back together at
 * instantiation (`worker/data-image.ts`) must give an instance whose memory is byte for byte
 * the one instantiating the module whole gives, and modules that differ only in their data
 * must have one code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from '@bytecodealliance/jco';
import { splitData } from '../src/executor/load/data-split.js';
import { withDataImages } from '../src/executor/worker/data-image.js';

const instantiate = (module: WebAssembly.Module) => WebAssembly.instantiate(module);

/** A module with its data segments: overlapping ones, ones far apart, and its own counter. */
const watModule = (data: string) => `(module
  (memory (export "mem") 2)
  (global $counter (mut i32) (i32.const 7))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.load (i32.const 1024))))
    (global.get $counter))
  ${data})`;

async function memoryOf(instance: WebAssembly.Instance): Promise<Uint8Array> {
  return new Uint8Array((instance.exports.mem as WebAssembly.Memory).buffer.slice(0));
}

describe('data split from code', () => {
  it('gives the memory whole instantiation gives, later segments overwriting those they overlap', async () => {
    const bytes = await parse(
      watModule(`
        (data (i32.const 1024) "\\05\\00\\00\\00")
        (data (i32.const 1026) "overlap")
        (data (i32.const 1030) "over the overlap")
        (data (i32.const 1100) "near")
        (data (i32.const 9000) "farther than a run's gap")
        (data (i32.const 70000) "in the second page")`),
    );
    const split = splitData(bytes)!;
    assert.ok(split, 'the module splits');
    assert.equal(split.image.memory, 'mem');
    const whole = await instantiate(await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>));
    const core = await WebAssembly.compile(split.code as Uint8Array<ArrayBuffer>);
    const rebuilt = await withDataImages((module, imports) => WebAssembly.instantiate(module, imports), new Map([[core, split.image]]))(core, {});
    assert.deepEqual(await memoryOf(rebuilt), await memoryOf(whole));
    assert.equal((rebuilt.exports.bump as () => number)(), (whole.exports.bump as () => number)(), 'the code is the same code');
  });

  it('gives modules differing only in their data one code', async () => {
    const [a, b] = await Promise.all(['"one"', '"other data, longer"'].map(async (text) => splitData(await parse(watModule(`(data (i32.const 64) ${text})`)))!));
    assert.deepEqual(a!.code, b!.code);
    assert.notDeepEqual(a!.image.data, b!.image.data);
  });

  it('leaves whole what cannot be moved exactly', async () => {
    const cases = {
      'a passive segment': '(module (memory (export "m") 1) (data "passive") (func (export "f") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 1))))',
      'an imported memory': '(module (import "env" "m" (memory 1)) (data (i32.const 0) "x"))',
      'a memory not exported': '(module (memory 1) (data (i32.const 0) "x"))',
      'an offset from a global': '(module (import "env" "base" (global i32)) (memory (export "m") 1) (data (global.get 0) "x"))',
      'no data': '(module (memory (export "m") 1))',
      'a start function, which would run before the data is written': '(module (memory (export "m") 1) (data (i32.const 0) "x") (func $s) (start $s))',
      // Written as runs, the gap the last segment closes would zero what the first wrote.
      'segments out of order': '(module (memory (export "m") 1) (data (i32.const 600) "first") (data (i32.const 256) "back") (data (i32.const 800) "on"))',
    };
    for (const [what, wat] of Object.entries(cases)) assert.equal(splitData(await parse(wat)), undefined, what);
  });
});
