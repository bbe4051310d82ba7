/**
 * Spindle's capability imports (`spindle:app/*` in `wit/spindle.wit`) answered by the canonical
 * ABI without jco's trampolines: a guest's call reads its arguments straight from the guest's
 * memory, calls the same host function jco would (`capabilities/guest-imports.ts`), and writes
 * the `result<…, capability-error>` to the return pointer. jco's trampoline does the same inside
 * a task and a subtask of the running export, each entered, resolved and exited, with lookups of
 * the current task at each step, for nothing these functions use, since none of them blocks,
 * suspends or takes a resource (docs/DESIGN-NOTES.md has what it cost a key-value `get`).
 *
 * Every step mirrors jco's generated lowering for these signatures, which is the reference the
 * tests compare against byte for byte (`test/capability-abi.test.ts`): the same decoder, the
 * same allocations in the same order and sizes through the guest's realloc, the same writes, and
 * the same errors for what cannot be lowered. A host function's return value is the `ok` case
 * (or, as jco reads it, a `{ tag: 'ok' | 'err' }` object is the result itself); what it throws
 * is the `err` case, taken from an error's `payload` when it has one; an `Error` without one,
 * or a Wasm trap, is thrown on through the guest, which traps it as it does in jco.
 */
import { lowerString, utf8Decoder, type Realloc } from './canonical-abi.js';

/**
 * The memory and realloc of the core instance that imports the functions, known once that
 * instance exists; the functions are made before, since they are among its imports.
 */
export class ImportTarget {
  memory!: WebAssembly.Memory;
  realloc!: Realloc;
  #view = new DataView(new ArrayBuffer(0));

  /** A view of the memory as it is now: any allocation may have grown it. */
  view(): DataView {
    const buffer = this.memory.buffer;
    if (this.#view.buffer !== buffer) this.#view = new DataView(buffer);
    return this.#view;
  }
}

type HostFunction = (...args: any[]) => unknown;
type CoreFunction = (...args: any[]) => void;

/** How one core import is made: the host function it calls, and whether it needs the guest's realloc. */
interface DirectFunction {
  host: string;
  allocates: boolean;
  make(host: HostFunction, target: ImportTarget): CoreFunction;
}

/** What the host function gave: its return value or what it threw, as jco's trampoline reads them. */
interface Outcome {
  tag: 'ok' | 'err';
  val: unknown;
}

function returned(value: unknown): Outcome {
  const tag = value !== null && typeof value === 'object' ? (value as Outcome).tag : undefined;
  return tag === 'ok' || tag === 'err' ? (value as Outcome) : { tag: 'ok', val: value };
}

function thrown(err: unknown): Outcome {
  if (err instanceof WebAssembly.RuntimeError) throw err;
  if (err && Object.prototype.hasOwnProperty.call(err, 'payload')) return { tag: 'err', val: (err as { payload: unknown }).payload };
  if (err instanceof Error) throw err;
  return { tag: 'err', val: err };
}

function liftString(target: ImportTarget, ptr: number, len: number): string {
  return utf8Decoder.decode(new Uint8Array(target.memory.buffer, ptr, len));
}

/** A `list<u8>` argument, copied out of guest memory as jco copies it (a range past the end is cut short, not refused). */
function liftBytes(target: ImportTarget, ptr: number, len: number): Uint8Array {
  return new Uint8Array(target.memory.buffer.slice(ptr, ptr + len));
}

function liftOption<T>(discriminant: number, some: () => T): T | undefined {
  if (discriminant === 0) return undefined;
  if (discriminant === 1) return some();
  throw new TypeError('invalid variant discriminant for option');
}

const CAPABILITY_ERROR_TAGS = ['denied', 'invalid', 'unavailable'];

/** Lowers `text` and stores its pointer and length at `at` (a string's place in a record or list). */
function storeString(target: ImportTarget, at: number, text: unknown): void {
  const [ptr, len] = lowerString(target, text);
  const view = target.view();
  view.setUint32(at, ptr, true);
  view.setUint32(at + 4, len, true);
}

/** A `capability-error` at `at`: its tag, then the string's pointer and length. */
function lowerCapabilityError(target: ImportTarget, at: number, error: unknown): void {
  // Read as jco reads it, so that a thrown null or undefined fails with the same words.
  const tag = (error as { tag: unknown }).tag;
  const index = CAPABILITY_ERROR_TAGS.indexOf(tag as string);
  if (index < 0) throw new TypeError(`invalid variant tag value \`${JSON.stringify(tag)}\` (received \`${error}\`) specified for \`CapabilityError\``);
  target.view().setInt8(at, index);
  storeString(target, at + 4, (error as { val: unknown }).val);
}

/** Writes the `ok` payload of a result whose discriminant is at `ret`. */
type LowerOk = (target: ImportTarget, ret: number, value: unknown) => void;

/**
 * Writes `outcome` as a `result<T, capability-error>` at `ret`: the discriminant, then the
 * payload, whose offset (`payloadAt`) is the larger of T's alignment and the error's.
 */
function lowerResult(target: ImportTarget, ret: number, payloadAt: number, outcome: Outcome, lowerOk: LowerOk): void {
  if (outcome.tag === 'ok') {
    target.view().setInt8(ret, 0);
    lowerOk(target, ret, outcome.val);
  } else {
    target.view().setInt8(ret, 1);
    lowerCapabilityError(target, ret + payloadAt, outcome.val);
  }
}

const lowerNothing: LowerOk = () => {};

const lowerBool: LowerOk = (target, ret, value) => target.view().setInt8(ret + 4, value ? 1 : 0);

const lowerS64: LowerOk = (target, ret, value) => target.view().setBigInt64(ret + 8, BigInt.asIntN(64, BigInt(value as bigint)), true);

const lowerText: LowerOk = (target, ret, value) => storeString(target, ret + 4, value);

function isU8(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 255;
}

/** `option<list<u8>>`: the bytes are allocated even when there are none, as jco does. */
const lowerOptionalBytes: LowerOk = (target, ret, value) => {
  if (value === null || value === undefined) {
    target.view().setInt8(ret + 4, 0);
    return;
  }
  target.view().setInt8(ret + 4, 1);
  const bytes = value as ArrayLike<number> & { buffer?: ArrayBufferLike; byteOffset?: number; byteLength?: number };
  const len = Array.isArray(bytes) ? bytes.length : bytes.byteLength!;
  const ptr = target.realloc(0, 0, 1, len);
  if (Array.isArray(bytes)) {
    const view = target.view();
    bytes.forEach((v: unknown, i) => {
      if (!isU8(v)) throw new TypeError(`invalid u8 value [${v}]`);
      view.setUint8(ptr + i, v as number);
    });
  } else {
    new Uint8Array(target.memory.buffer, ptr, len).set(new Uint8Array(bytes.buffer || (bytes as unknown as ArrayBuffer), bytes.byteOffset, len));
  }
  const view = target.view();
  view.setUint32(ret + 12, len, true);
  view.setUint32(ret + 8, ptr, true);
};

/** `list<string>`: the list's records first, then each string in order. */
const lowerStrings: LowerOk = (target, ret, value) => {
  const list = value as unknown[];
  const len = list.length;
  const records = target.realloc(0, 0, 4, len * 8);
  for (let i = 0; i < list.length; i++) storeString(target, records + i * 8, list[i]);
  const view = target.view();
  view.setUint32(ret + 8, len, true);
  view.setUint32(ret + 4, records, true);
};

/** Calls the host function with the lifted arguments and takes what it gives or throws. */
function invoke(fn: HostFunction, args: unknown[]): Outcome {
  try {
    return returned(fn(...args));
  } catch (err) {
    return thrown(err);
  }
}

/**
 * A function returning `result<T, capability-error>`: its core signature is the flat arguments
 * `lift` reads, then the pointer the result is written to.
 */
function resultFunction(host: string, payloadAt: number, lowerOk: LowerOk, lift: (target: ImportTarget, flat: any[]) => unknown[]): DirectFunction {
  return {
    host,
    allocates: true,
    make: (fn, target) => (...flat: any[]) => {
      const ret = flat.pop() as number;
      lowerResult(target, ret, payloadAt, invoke(fn, lift(target, flat)), lowerOk);
    },
  };
}

/** `(store: string, key: string)`, the arguments of most key-value functions. */
const storeAndKey = (target: ImportTarget, [storePtr, storeLen, keyPtr, keyLen]: number[]) => [
  liftString(target, storePtr!, storeLen!),
  liftString(target, keyPtr!, keyLen!),
];

const LEVELS = ['debug', 'info', 'warn', 'error'];

/**
 * Per interface, the core functions answered directly, by their names in the core module's
 * imports. Their flat signatures follow from `wit/spindle.wit`: a string or list is a pointer
 * and a length, an option a discriminant and its payload, and a result is written to memory at
 * a pointer passed last.
 */
export const CAPABILITY_FUNCTIONS: Record<string, Record<string, DirectFunction>> = {
  'spindle:app/log': {
    log: {
      host: 'log',
      allocates: false,
      // No result to lower: whatever the host throws goes on through the guest, as in jco.
      make: (fn, target) => (level: number, ptr: number, len: number) => {
        const name = LEVELS[level];
        if (name === undefined) throw new TypeError('invalid discriminant specified for Level');
        fn(name, liftString(target, ptr, len));
      },
    },
  },
  'spindle:app/pubsub': {
    publish: resultFunction('publish', 4, lowerNothing, (target, [channelPtr, channelLen, dataPtr, dataLen]) => [
      liftString(target, channelPtr, channelLen),
      liftBytes(target, dataPtr, dataLen),
    ]),
  },
  'spindle:app/queue': {
    enqueue: resultFunction(
      'enqueue',
      4,
      lowerText,
      (target, [queuePtr, queueLen, dataPtr, dataLen, hasDelay, delayMs, hasAttempts, attempts, hasJobId, jobIdPtr, jobIdLen]) => [
        liftString(target, queuePtr, queueLen),
        liftBytes(target, dataPtr, dataLen),
        {
          delayMs: liftOption(hasDelay, () => BigInt.asUintN(64, delayMs)),
          attempts: liftOption(hasAttempts, () => attempts >>> 0),
          jobId: liftOption(hasJobId, () => liftString(target, jobIdPtr, jobIdLen)),
        },
      ],
    ),
  },
  'spindle:app/key-value': {
    get: resultFunction('get', 4, lowerOptionalBytes, storeAndKey),
    delete: resultFunction('delete', 4, lowerBool, storeAndKey),
    exists: resultFunction('exists', 4, lowerBool, storeAndKey),
    'list-keys': resultFunction('listKeys', 4, lowerStrings, storeAndKey),
    set: resultFunction('set', 4, lowerNothing, (target, [storePtr, storeLen, keyPtr, keyLen, valuePtr, valueLen, hasTtl, ttlMs]) => [
      liftString(target, storePtr, storeLen),
      liftString(target, keyPtr, keyLen),
      liftBytes(target, valuePtr, valueLen),
      liftOption(hasTtl, () => BigInt.asUintN(64, ttlMs)),
    ]),
    // The delta is the i64 as V8 passes it, a signed bigint, as jco passes it on.
    increment: resultFunction('increment', 8, lowerS64, (target, [storePtr, storeLen, keyPtr, keyLen, delta]) => [
      liftString(target, storePtr, storeLen),
      liftString(target, keyPtr, keyLen),
      delta,
    ]),
  },
  'spindle:app/variables': {
    get: resultFunction('get', 4, lowerText, (target, [namePtr, nameLen]) => [liftString(target, namePtr, nameLen)]),
  },
};
