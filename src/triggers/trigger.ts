/**
 * The contract every trigger adapter implements. A trigger turns what its source delivers into
 * a `SpindleEvent`, hands it to `dispatch` and settles the source with the outcome. It knows
 * nothing of Wasm: admission, sandboxing and deadlines live in the executor, and the one log
 * line a failed event gets is written by the app around `dispatch`.
 *
 * Each trigger kind is one file in this folder whose default export is a `TriggerAdapter`, and
 * one line in `registry.ts`, which the compiler checks against the manifest schema's kinds.
 */
import type { Broker } from '../brokers/broker.js';
import type { ManifestProblem } from '../errors.js';
import type { Dispatch, DispatchOptions } from '../event.js';
import type { Logger } from '../log.js';
import type { Manifest, Triggers, TriggerKind } from '../manifest/schema.js';

/**
 * For events no caller is waiting on (a message, a job, a tick): they wait for room in their
 * component as long as it takes rather than fail as overloaded. One object for every event.
 */
export const WAIT_FOR_ROOM: Readonly<DispatchOptions> = Object.freeze({ waitForRoomMs: Infinity });

export interface StopOptions {
  /** How long to wait for events in flight before giving up on them. */
  drainMs?: number;
}

export interface Trigger {
  readonly kind: TriggerKind;
  /** Resolves once the trigger is listening or subscribed. */
  start(dispatch: Dispatch): Promise<void>;
  /** Stops taking events and waits for those in flight. Idempotent. */
  stop(options?: StopOptions): Promise<void>;
}

/** What triggers count that only they see; the app's metrics implement it. */
export interface TriggerMetrics {
  /** Pub/sub messages of `component` dropped past its buffer. */
  messagesDropped(component: string, count: number): void;
  /** A cron tick for `component`: fired, or skipped because the previous one still ran. */
  cronTick(component: string, fired: boolean): void;
}

/** What a trigger is given besides its own manifest entries. */
export interface TriggerContext {
  manifest: Manifest;
  logger: Logger;
  /** Pub/sub, queues and schedules, embedded or on Redis. */
  broker: Broker;
  metrics?: TriggerMetrics;
}

export interface TriggerAdapter<K extends TriggerKind> {
  /**
   * What the schema cannot see in this kind's entries (a route's syntax, a cron expression),
   * each problem with its field path, e.g. `trigger.http[2].route`.
   */
  check(configs: Triggers[K], manifest: Manifest): ManifestProblem[];
  create(configs: Triggers[K], context: TriggerContext): Trigger;
}
