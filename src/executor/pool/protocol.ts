/**
 * The messages between the main thread and a guest worker thread, and the conversions that
 * make values survive `postMessage`. A worker is told to load once and then to run events, which
 * it is handed in batches (every event the pool hands it at once travels in one message) and
 * runs one after another; it answers each event with exactly one outcome, in order, and sends
 * log records whenever a guest writes a line or something goes wrong.
 */
import type { ServicesLane } from '../../capabilities/contract.js';
import type { Failure, Outcome, Reply } from '../../event.js';
import { errorMessage } from '../../errors.js';
import type { LogLevel } from '../../log.js';
import type { GuestSpec } from '../guest-spec.js';
import type { EventBatch } from './event-batch.js';

/** `run` holds the events in the order the worker is to run them. */
/** `servicesLane`, when given, is the worker's lane to the services thread (its port transferred). */
export type ToWorker =
  /** A glue module the components to come import: the worker compiles it while they still load. */
  | { type: 'preload'; gluePath: string }
  | { type: 'load'; guests: GuestSpec[]; servicesLane?: ServicesLane }
  | { type: 'run'; batch: EventBatch };

/** A log record made in a worker, logged by the main thread. */
export interface WorkerLog {
  type: 'log';
  level: LogLevel;
  component: string;
  eventId?: string;
  fields: Record<string, unknown>;
  msg: string;
}

/**
 * Where the instance that ran an event came from: made for it, put back to its state from an
 * earlier event (per-event isolation), or kept warm from an earlier event (pooled).
 */
export type InstanceSource = 'created' | 'restored' | 'reused';

export type FromWorker =
  | { type: 'ready' }
  | { type: 'load-failed'; component: string; error: SerializedError }
  /** `instance` is absent when no instance could be had. */
  | { type: 'outcome'; outcome: WireOutcome; instance?: InstanceSource }
  | WorkerLog;

/** An error reduced to what crosses threads intact; arbitrary thrown values may not clone. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
}

/** An `Outcome` whose failure cause is serialized. */
export type WireOutcome = { ok: true; reply: Reply } | { ok: false; failure: Omit<Failure, 'cause'> & { cause?: SerializedError } };

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: errorMessage(err) };
  const out: SerializedError = { name: err.name, message: err.message };
  if (err.stack) out.stack = err.stack;
  // A short chain is all a log needs; a cyclic one must not recurse forever.
  if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

export function deserializeError(serialized: SerializedError): Error {
  const err = new Error(serialized.message, serialized.cause ? { cause: deserializeError(serialized.cause) } : undefined);
  err.name = serialized.name;
  if (serialized.stack) err.stack = serialized.stack;
  return err;
}

export function toWireOutcome(outcome: Outcome): WireOutcome {
  if (outcome.ok) return outcome;
  const { cause, ...failure } = outcome.failure;
  return { ok: false, failure: cause === undefined ? failure : { ...failure, cause: serializeError(cause) } };
}

export function fromWireOutcome(wire: WireOutcome): Outcome {
  if (wire.ok) return wire;
  const { cause, ...failure } = wire.failure;
  return { ok: false, failure: cause === undefined ? failure : { ...failure, cause: deserializeError(cause) } };
}

/**
 * `bytes` as an array that owns exactly its buffer. Posting a view clones (or transfers) its
 * whole buffer, and a Node `Buffer` is often a view into a shared 8 KiB pool.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  return whole ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
