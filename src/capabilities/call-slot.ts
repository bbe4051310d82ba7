/**
 * A call slot: one worker's synchronous line to the services thread, in shared memory.
 *
 * The worker writes a request into the slot, rings the services thread's doorbell and sleeps on
 * `Atomics.wait`; the services thread, whose event loop does nothing else, takes it, serves it
 * and writes the reply back in place. No message crosses and no other thread's event loop is
 * involved, so a busy main thread does not delay the call. The slot is bounded (`SLOT_BYTES`); a
 * request or reply that does not fit crosses on the slot's port instead, read with
 * `receiveMessageOnPort` by the side that waits for it, so values of any size still work.
 *
 * A slot holds one call at a time. Its state word says whose turn it is:
 *   idle -> request (worker) -> taken (services thread) -> writing -> reply (services thread) -> idle (worker)
 * A worker that gives up on a call marks it abandoned; the services thread then drops the late
 * reply and frees the slot, and the worker's next call waits for that within its own deadline.
 * When the services thread stops, the main thread marks the slot closed: the call waiting in it
 * and every later one fail at once instead of each waiting out its timeout.
 *
 * Waking a sleeping thread costs 10-15 µs on a virtual machine, twice per call, against a few
 * microseconds for the call itself. So both ends spin briefly where the next step is due within
 * microseconds: a guest calling in a loop marks its request quick (its previous call ended
 * moments ago), and the services thread, after answering a quick request, watches the slots for
 * `SERVER_SPIN_MS` before it sleeps again; a worker whose request found the services thread
 * awake watches for its reply for `CLIENT_SPIN_MS` before sleeping, unless its last such watch
 * was in vain (a Redis round trip outlasts it). A guest that makes one call now and then never
 * makes anyone spin.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { HostCallTimeoutError } from '../executor/pool/host-call-bridge.js';
import { decodeSlotValue, encodeSlotValue, type SlotValue } from './slot-codec.js';

/** Bytes of one slot's payload: every key-value call but those with large values fits. */
export const SLOT_BYTES = 64 * 1024;

const HEADER_BYTES = 32;
/** Int32 positions in a slot's header. */
const STATE = 0;
const SEQUENCE = 1;
const LENGTH = 2;
/** Set by the services thread when it wants each call's trace context. */
const TRACED = 3;
/** Set by the worker on a request that follows its previous reply within `SERVER_SPIN_MS`. */
const QUICK = 4;
/** `LENGTH` when the payload crossed on the port. */
const ON_PORT = -1;

/** Int32 positions in the doorbell: a count of requests made, and whether the services thread is spinning. */
const RING = 0;
const AWAKE = 1;

/** How long the services thread watches for a quick guest's next request. */
const SERVER_SPIN_MS = 0.05;
/** How long a worker watches for a reply from a services thread it found awake. */
const CLIENT_SPIN_MS = 0.02;
/** A worker whose watch was in vain tries again after this many calls. */
const CLIENT_SPIN_RETRY = 16;
/** How long the services thread may keep serving quick calls before its event loop takes a turn. */
const SERVER_TURN_MS = 1;

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

/** The services thread's doorbell, shared by every slot it serves. */
export function createDoorbell(): SharedArrayBuffer {
  return new SharedArrayBuffer(8);
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
  readonly #bell: Int32Array;
  #sequence = 0;
  #lastReplyAt = -Infinity;
  /** Calls left before watching for a reply again, after a watch in vain. */
  #spinPause = 0;

  constructor(memory: SharedArrayBuffer, port: MessagePort, bell: SharedArrayBuffer) {
    ({ header: this.#header, data: this.#data } = views(memory));
    this.#port = port;
    this.#bell = new Int32Array(bell);
  }

  /** Whether the services thread wants each call's trace context. */
  get traced(): boolean {
    return Atomics.load(this.#header, TRACED) === 1;
  }

  /** Sends `request` and blocks for the reply, at most `timeoutMs`; `what` names the call in a timeout. */
  call(request: SlotValue, timeoutMs: number, what: string): SlotValue {
    const header = this.#header;
    const started = performance.now();
    const deadline = started + timeoutMs;
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
    Atomics.store(header, QUICK, started - this.#lastReplyAt < SERVER_SPIN_MS ? 1 : 0);
    // Only the main thread moves an idle slot elsewhere (to closed), so a failed exchange is that.
    if (Atomics.compareExchange(header, STATE, State.Idle, State.Request) !== State.Idle) throw stopped();
    Atomics.add(this.#bell, RING, 1);
    // A spinning services thread sees the request without being woken, and is likely to answer soon.
    const awake = Atomics.load(this.#bell, AWAKE) === 1;
    if (!awake) Atomics.notify(this.#bell, RING);
    if (awake && this.#spinPause-- <= 0) this.#spinPause = this.#watchForReply() ? 0 : CLIENT_SPIN_RETRY;
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
    this.#lastReplyAt = performance.now();
    return reply;
  }

  /** Watches for the reply for at most `CLIENT_SPIN_MS`; whether it came. */
  #watchForReply(): boolean {
    const until = performance.now() + CLIENT_SPIN_MS;
    do {
      if (Atomics.load(this.#header, STATE) === State.Reply) return true;
    } while (performance.now() < until);
    return false;
  }
}

/** Answers one request; must not reject (its errors are part of the reply). */
export type SlotService = (request: SlotValue) => Promise<SlotValue>;

/** One slot the services thread serves. */
interface ServedSlot {
  header: Int32Array;
  data: Buffer;
  port: MessagePort;
  serve: SlotService;
}

/**
 * The services thread's end: it serves every slot that rings `bell`, sleeping with
 * `Atomics.waitAsync` so its event loop stays free for its own I/O (Redis) and messages.
 */
export class SlotHost {
  readonly #bell: Int32Array;
  readonly #slots: ServedSlot[] = [];
  #listening = false;
  #closed = false;
  /** When the current run of quick calls, served without a turn of the event loop, began. */
  #runStarted = -Infinity;

  constructor(bell: SharedArrayBuffer) {
    this.#bell = new Int32Array(bell);
    this.#listen();
  }

  /** Serves `memory` with `serve`, until its port closes; `traced` asks the worker for each call's trace context. */
  add(memory: SharedArrayBuffer, port: MessagePort, serve: SlotService, traced: boolean): void {
    const slot: ServedSlot = { ...views(memory), port, serve };
    Atomics.store(slot.header, TRACED, traced ? 1 : 0);
    this.#slots.push(slot);
    port.once('close', () => {
      // Gone already when the host closed first.
      const at = this.#slots.indexOf(slot);
      if (at >= 0) this.#slots.splice(at, 1);
    });
    this.#scan();
  }

  close(): void {
    this.#closed = true;
    this.#slots.length = 0;
    // Wakes the pending wait so that it lets go of the doorbell.
    Atomics.notify(this.#bell, RING);
  }

  /** Waits for the next ring, without blocking the event loop; at most one wait is pending. */
  #listen(): void {
    while (!this.#closed && !this.#listening) {
      const rung = Atomics.load(this.#bell, RING);
      this.#scan();
      const waiting = waitAsync(this.#bell, RING, rung);
      if (!waiting.async) continue;
      this.#listening = true;
      void waiting.value.then(() => {
        this.#listening = false;
        this.#runStarted = -Infinity;
        this.#listen();
      });
    }
  }

  /** Takes every request waiting in a slot; whether there was one. */
  #scan(): boolean {
    let took = false;
    for (const slot of this.#slots) if (Atomics.load(slot.header, STATE) === State.Request) took = this.#take(slot) || took;
    return took;
  }

  #take(slot: ServedSlot): boolean {
    const { header, data, port } = slot;
    const sequence = Atomics.load(header, SEQUENCE);
    const length = Atomics.load(header, LENGTH);
    const quick = Atomics.load(header, QUICK) === 1;
    let request: SlotValue;
    let unreadable: Error | undefined;
    try {
      request = length === ON_PORT ? takeFromPort(port, sequence) : decodeSlotValue(data, length);
    } catch (err) {
      unreadable = err as Error;
    }
    if (Atomics.compareExchange(header, STATE, State.Request, State.Taken) !== State.Request) {
      this.#free(slot);
      return false;
    }
    if (unreadable) this.#answer(slot, sequence, [false, ['Error', `unreadable host call: ${unreadable.message}`]], false);
    else void slot.serve(request).then((reply) => this.#answer(slot, sequence, reply, quick));
    return true;
  }

  #free({ header }: ServedSlot): void {
    Atomics.store(header, STATE, State.Idle);
    Atomics.notify(header, STATE);
  }

  #answer(slot: ServedSlot, sequence: number, reply: SlotValue, quick: boolean): void {
    const { header, data, port } = slot;
    if (Atomics.compareExchange(header, STATE, State.Taken, State.Writing) !== State.Taken) return this.#free(slot);
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
    if (quick && !this.#closed) this.#spin();
  }

  /**
   * Watches the slots for a quick guest's next request, for at most `SERVER_SPIN_MS`. A run of
   * quick calls is served from microtasks alone, so after `SERVER_TURN_MS` the event loop gets
   * its turn (Redis replies, the main thread's calls) and the next request comes by the doorbell.
   */
  #spin(): void {
    const now = performance.now();
    if (this.#runStarted === -Infinity) this.#runStarted = now;
    else if (now - this.#runStarted > SERVER_TURN_MS) return;
    Atomics.store(this.#bell, AWAKE, 1);
    const until = now + SERVER_SPIN_MS;
    let took = false;
    do took = this.#scan();
    while (!took && performance.now() < until);
    Atomics.store(this.#bell, AWAKE, 0);
    // A worker that found this thread awake did not ring it awake: look once more after saying so.
    if (!took) this.#scan();
  }
}
