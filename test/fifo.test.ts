import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from '../src/executor/admission.js';
import { Fifo } from '../src/util/fifo.js';
import { randomUuid } from '../src/util/uuid.js';

const FLOOD = 100_000;

/**
 * Calls of the array methods that move or copy a list's elements, made while `work` runs. An
 * array emptied with `shift()` copies what is left on every call once a flood makes it large,
 * so counting these calls catches a quadratic line without timing anything.
 */
function copyingCalls(work: () => void): number {
  const names = ['shift', 'unshift', 'splice', 'slice', 'concat', 'copyWithin'] as const;
  const originals = names.map((name) => Array.prototype[name]);
  let calls = 0;
  names.forEach((name, i) => {
    const original = originals[i] as (...args: unknown[]) => unknown;
    Object.defineProperty(Array.prototype, name, {
      configurable: true,
      writable: true,
      value(this: unknown[], ...args: unknown[]) {
        calls++;
        return original.apply(this, args);
      },
    });
  });
  try {
    work();
  } finally {
    names.forEach((name, i) => Object.defineProperty(Array.prototype, name, { configurable: true, writable: true, value: originals[i] }));
  }
  return calls;
}

describe('the waiting lines under a flood', () => {
  it('keeps 100,000 items in order through interleaved pushes and shifts without copying the line', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    const calls = copyingCalls(() => {
      for (let i = 0; i < FLOOD; i++) {
        fifo.push(i);
        if (i % 3 === 0) out.push(fifo.shift()!);
      }
      for (let item = fifo.shift(); item !== undefined; item = fifo.shift()) out.push(item);
    });
    assert.equal(calls, 0);
    assert.equal(out.length, FLOOD);
    assert.ok(out.every((item, i) => item === i), 'items leave in the order they came');
  });

  it('admits a line of 100,000 waiters in order, each leave taking the next without copying the line', async () => {
    const admission = new Admission(1);
    assert.equal(admission.enter(0), true);
    const admitted: number[] = [];
    const waits = Array.from({ length: FLOOD }, (_, i) => (admission.enter(Infinity) as Promise<boolean>).then((ok) => ok && admitted.push(i)));
    assert.equal(admission.waiting, FLOOD);
    const calls = copyingCalls(() => {
      for (let i = 0; i < FLOOD; i++) admission.leave();
    });
    await Promise.all(waits);
    assert.equal(calls, 0);
    assert.equal(admitted.length, FLOOD);
    assert.ok(admitted.every((item, i) => item === i), 'waiters are admitted in the order they came');
  });
});

describe('event ids', () => {
  it('are distinct version 4 UUIDs', () => {
    const ids = Array.from({ length: 10_000 }, randomUuid);
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});
