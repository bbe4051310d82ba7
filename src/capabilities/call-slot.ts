/**
 * A call slot: one worker's synchronous line to the services thread, in shared memory.
 *
 * The worker writes a request into the slot, wakes the services thread with `Atomics.notify`
 * and sleeps on `Atomics.wait`; the services thread, whose event loop does nothing else, takes
 * it, serves it and writes the reply back in place. No message crosses and no other thread's
 * event loop is involved, so a busy main thread does not delay the call. The slot is bounded
 * (`SLOT_BYTES`); a request or reply that does not fit crosses on the slot's port instead, read
 * with `receiveMessageOnPort` by the side that waits for it, so values of any size still work.
 *
 * A slot holds one call at a time. Its state word says whose turn it is:
 *   idle -> request (worker) -> taken (services thread) -> writing -> reply (services thread) -> idle (worker)
 * A worker that gives up on a call marks it abandoned; the services thread then drops the late
 * reply and frees the slot, and the worker's next call waits for that within its own deadline.
 * When the services thread stops, the main thread marks the slot closed: the call waiting in it
 * and every later one fail at once instead of each waiting out its timeout.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { HostCallTimeoutError } from '../executor/pool/host-call-bridge.js';
import { decodeSlotValue, encodeSlotValue, type SlotValue } from './slot-codec.js';

/** Bytes of one slot's payload: every key-value call but those with large values fits. */
export const SLOT_BYTES = 64 * 1024;

const HEADER_BYTES = 16;
/** Int32 positions in the header. */
const STATE = 0;
const SEQUENCE = 1;
const LENGTH = 2;
/** Set by the services thread when it wants each call's trace context. */
const TRACED = 3;
/** `LENGTH` when the payload crossed on the port. */
const ON_PORT = -1;

/** Node 20 has `Atomics.waitAsync`; TypeScript's ES2022 library does not declare it yet. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}).waitAsync;

const enum State {
  Idle,
  Request,
  Taken,
  Writing,
  Reply,
  Abandoned,
  Closed,
}

/** A call through a slot whose services thread has stopped. */
export class ServicesThreadStoppedError extends Error {
  override name = 'ServicesThreadStoppedError';
}

/**
 * Marks a slot closed for good, from the main thread once the services thread has stopped, and
 * wakes the worker if it waits in it.
 */
export function closeSlotMemory(memory: SharedArrayBuffer): void {
  const { header } = views(memory);
  Atomics.store(header, STATE, State.Closed);
  Atomics.notify(header, STATE);
}

/** A message carrying a payload too large for the slot. */
interface PortPayload {
  sequence: number;
  value: SlotValue;
}

export function createSlotMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + SLOT_BYTES);
}

function views(memory: SharedArrayBuffer): { header: Int32Array; data: Buffer } {
  return { header: new Int32Array(memory, 0, HEADER_BYTES / 4), data: Buffer.from(memory, HEADER_BYTES, SLOT_BYTES) };
}

function takeFromPort(port: MessagePort, sequence: number): SlotValue {
  for (let received = receiveMessageOnPort(port); received; received = receiveMessageOnPort(port)) {
    const payload = received.message as PortPayload;
    if (payload.sequence === sequence) return payload.value;
  }
  throw new Error(`call ${sequence} was sent on the slot's port but never arrived`);
}

/** The worker's end: blocking calls. */
export class CallSlotClient {
  readonly #header: Int32Array;
  readonly #data: Buffer;
  readonly #port: MessagePort;
  #sequence = 0;

  constructor(memory: SharedArrayBuffer, port: MessagePort) {
    ({ header: this.#header, data: this.#data } = views(memory));
    this.#port = port;
  }

  /** Whether the services thread wants each call's trace context. */
  get traced(): boolean {
    return Atomics.load(this.#header, TRACED) === 1;
  }

  /** Sends `request` and blocks for the reply, at most `timeoutMs`; `what` names the call in a timeout. */
  call(request: SlotValue, timeoutMs: number, what: string): SlotValue {
    const header = this.#header;
    const deadline = performance.now() + timeoutMs;
    const timedOut = (detail: string) => new HostCallTimeoutError(`host call ${what} did not answer within ${timeoutMs} ms${detail}`);
    const stopped = () => new ServicesThreadStoppedError(`host call ${what} cannot be answered: the services thread has stopped`);
    for (let state = Atomics.load(header, STATE); state !== State.Idle; state = Atomics.load(header, STATE)) {
      if (state === State.Closed) throw stopped();
      const left = deadline - performance.now();
      if (left <= 0 || Atomics.wait(header, STATE, state, left) === 'timed-out') throw timedOut(' (an earlier call that timed out still holds the services thread)');
    }
    const sequence = (this.#sequence = (this.#sequence + 1) | 0);
    const length = encodeSlotValue(request, this.#data);
    if (length === undefined) this.#port.postMessage({ sequence, value: request } satisfies PortPayload);
    Atomics.store(header, SEQUENCE, sequence);
    Atomics.store(header, LENGTH, length ?? ON_PORT);
    // Only the main thread moves an idle slot elsewhere (to closed), so a failed exchange is that.
    if (Atomics.compareExchange(header, STATE, State.Idle, State.Request) !== State.Idle) throw stopped();
    Atomics.notify(header, STATE);
    for (let state = Atomics.load(header, STATE); state !== State.Reply; state = Atomics.load(header, STATE)) {
      if (state === State.Closed) throw stopped();
      const left = deadline - performance.now();
      if (left > 0 && Atomics.wait(header, STATE, state, left) !== 'timed-out') continue;
      // Only a call not yet being answered can be abandoned; one being written is waited for.
      if ((state === State.Request || state === State.Taken) && Atomics.compareExchange(header, STATE, state, State.Abandoned) === state) throw timedOut('');
    }
    const replyLength = Atomics.load(header, LENGTH);
    const reply = replyLength === ON_PORT ? takeFromPort(this.#port, sequence) : decodeSlotValue(this.#data, replyLength);
    // A slot closed meanwhile stays closed.
    Atomics.compareExchange(header, STATE, State.Reply, State.Idle);
    return reply;
  }
}

/** Stops serving a slot. */
export interface SlotServer {
  close(): void;
}

/**
 * The services thread's end: answers each request with `serve`, which must not reject (its
 * errors are part of the reply). `traced` asks the worker for each call's trace context.
 */
export function serveCallSlot(memory: SharedArrayBuffer, port: MessagePort, serve: (request: SlotValue) => Promise<SlotValue>, traced: boolean): SlotServer {
  const { header, data } = views(memory);
  Atomics.store(header, TRACED, traced ? 1 : 0);
  let closed = false;

  const free = () => {
    Atomics.store(header, STATE, State.Idle);
    Atomics.notify(header, STATE);
    watch();
  };
  const answer = (sequence: number, reply: SlotValue) => {
    if (Atomics.compareExchange(header, STATE, State.Taken, State.Writing) !== State.Taken) return free();
    let length: number | undefined;
    try {
      length = encodeSlotValue(reply, data);
    } catch (err) {
      length = encodeSlotValue([false, ['Error', `the reply cannot cross threads: ${(err as Error).message}`]], data);
    }
    if (length === undefined) port.postMessage({ sequence, value: reply } satisfies PortPayload);
    Atomics.store(header, LENGTH, length ?? ON_PORT);
    Atomics.store(header, STATE, State.Reply);
    Atomics.notify(header, STATE);
    watch();
  };
  const take = () => {
    const sequence = Atomics.load(header, SEQUENCE);
    const length = Atomics.load(header, LENGTH);
    let request: SlotValue;
    let unreadable: Error | undefined;
    try {
      request = length === ON_PORT ? takeFromPort(port, sequence) : decodeSlotValue(data, length);
    } catch (err) {
      unreadable = err as Error;
    }
    if (Atomics.compareExchange(header, STATE, State.Request, State.Taken) !== State.Request) return free();
    if (unreadable) return answer(sequence, [false, ['Error', `unreadable host call: ${unreadable.message}`]]);
    void serve(request).then((reply) => answer(sequence, reply));
  };
  /** Waits, without blocking this thread's event loop, for the worker's next request. */
  function watch(): void {
    if (closed) return;
    const state = Atomics.load(header, STATE);
    if (state === State.Request) return take();
    const waiting = waitAsync(header, STATE, state);
    if (waiting.async) void waiting.value.then(watch);
    else setImmediate(watch);
  }

  port.once('close', () => close());
  function close(): void {
    closed = true;
    // Wakes the pending wait so it sees the slot is closed and lets go of it.
    Atomics.notify(header, STATE);
  }
  watch();
  return { close };
}
