/**
 * Spindle's own `handle` called straight on the guest's core instance, by the canonical ABI
 * for the one signature `wit/spindle.wit` gives it: the `event` record is written into the
 * guest's memory through its `cabi_realloc`, the core `handle` export is called with its
 * address, the `result<reply, handler-error>` is read back from the address it returns, and
 * `cabi_post_handle` frees it. jco's glue does the same per call inside its task machinery
 * (task records, current-task bookkeeping, a debug-flag read per step), which costs several
 * times the call itself; its lowering is the reference this one is tested against byte for
 * byte (`test/handler-abi.test.ts`). Allocation order and sizes follow jco's, so a guest sees
 * the same calls to its allocator either way.
 */
import type { Reply, SpindleEvent } from '../../../event.js';
import { lowerString, utf8Decoder, type GuestAllocator } from '../canonical-abi.js';
import { GuestCallError } from '../guest-errors.js';

/** The core exports a component built for Spindle's world has for `handle`. */
export interface HandlerCore extends GuestAllocator {
  handle: (event: number) => number;
  postReturn: (result: number) => void;
}

/** The core instance behind each guest instance of Spindle's world, where one was found. */
export const handlerCores = new WeakMap<object, HandlerCore>();

/** `exports` as a `HandlerCore`, when it is the core instance that implements `handle`. */
export function handlerCore(exports: WebAssembly.Exports): HandlerCore | undefined {
  const { memory, cabi_realloc: realloc, handle, cabi_post_handle: postReturn } = exports;
  if (!(memory instanceof WebAssembly.Memory) || typeof realloc !== 'function' || typeof handle !== 'function' || typeof postReturn !== 'function') {
    return undefined;
  }
  return {
    memory,
    realloc: realloc as HandlerCore['realloc'],
    handle: handle as HandlerCore['handle'],
    postReturn: postReturn as HandlerCore['postReturn'],
  };
}

/** The record's layout: eight fields, 4-aligned, 76 bytes. */
const EVENT_SIZE = 76;

/** Calls `handle` with `event`; a `handler-error` is thrown as the failure it names. */
export function callHandlerCore(core: HandlerCore, event: SpindleEvent): Reply {
  const record = core.realloc(0, 0, 4, EVENT_SIZE);
  const fields: Array<[number, number]> = [lowerString(core, event.id), lowerString(core, event.source), lowerString(core, event.type)];
  const options = [event.subject, event.time, event.datacontenttype].map((value) => (value === undefined ? undefined : lowerString(core, value)));
  const data = core.realloc(0, 0, 1, event.data.byteLength);
  new Uint8Array(core.memory.buffer, data, event.data.byteLength).set(event.data);
  const attributes = core.realloc(0, 0, 4, event.attributes.length * 16);
  const pairs = event.attributes.map(([name, value]) => [...lowerString(core, name), ...lowerString(core, value)]);

  // Memory may have grown while allocating: one view, taken after the last allocation.
  const view = new DataView(core.memory.buffer);
  fields.forEach(([ptr, len], i) => {
    view.setUint32(record + i * 8, ptr, true);
    view.setUint32(record + i * 8 + 4, len, true);
  });
  options.forEach((option, i) => {
    const at = record + 24 + i * 12;
    view.setUint8(at, option ? 1 : 0);
    if (option) {
      view.setUint32(at + 4, option[0], true);
      view.setUint32(at + 8, option[1], true);
    }
  });
  view.setUint32(record + 60, data, true);
  view.setUint32(record + 64, event.data.byteLength, true);
  pairs.forEach((pair, i) => pair.forEach((word, j) => view.setUint32(attributes + i * 16 + j * 4, word, true)));
  view.setUint32(record + 68, attributes, true);
  view.setUint32(record + 72, event.attributes.length, true);

  const result = core.handle(record);
  const reply = liftResult(core, result);
  core.postReturn(result);
  if (reply instanceof GuestCallError) throw reply;
  return reply;
}

function liftString(memory: WebAssembly.Memory, view: DataView, at: number): string {
  return utf8Decoder.decode(new Uint8Array(memory.buffer, view.getUint32(at, true), view.getUint32(at + 4, true)));
}

function checkAligned(ptr: number, align: number): void {
  if (ptr % align !== 0) throw new TypeError(`list pointer [${ptr}] is not aligned to ${align}`);
}

function liftResult(core: HandlerCore, at: number): Reply | GuestCallError {
  const { memory } = core;
  const view = new DataView(memory.buffer);
  switch (view.getUint8(at)) {
    case 0: {
      const reply: Reply = { headers: [] };
      const status = view.getUint8(at + 4);
      if (status === 1) reply.status = view.getUint16(at + 6, true);
      else if (status !== 0) throw new TypeError('invalid variant discriminant for option');
      const headers = view.getUint32(at + 8, true);
      checkAligned(headers, 4);
      for (let i = 0, n = view.getUint32(at + 12, true); i < n; i++) {
        reply.headers.push([liftString(memory, view, headers + i * 16), liftString(memory, view, headers + i * 16 + 8)]);
      }
      const body = view.getUint8(at + 16);
      if (body === 1) {
        const ptr = view.getUint32(at + 20, true);
        reply.body = new Uint8Array(memory.buffer.slice(ptr, ptr + view.getUint32(at + 24, true)));
      } else if (body !== 0) throw new TypeError('invalid variant discriminant for option');
      return reply;
    }
    case 1: {
      const tag = view.getUint8(at + 4);
      if (tag > 1) throw new TypeError('invalid variant discriminant for HandlerError');
      return new GuestCallError(tag === 0 ? 'retry-later' : 'give-up', liftString(memory, view, at + 8), false);
    }
    default:
      throw new TypeError('invalid variant discriminant for expected');
  }
}
