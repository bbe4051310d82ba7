/**
 * The contract every trigger adapter implements. A trigger turns what its source delivers into
 * a `SpindleEvent`, hands it to `dispatch` and settles the source with the outcome. It knows
 * nothing of Wasm; limits, sandboxing and deadlines live in the executor.
 *
 * Each trigger kind is one file in this folder, `<kind>.ts`, whose default export is a
 * `TriggerFactory`; the app loads it by the kind's name in the manifest.
 */
import type { Broker } from '../brokers/broker.js';
import type { Dispatch } from '../event.js';
import type { Logger } from '../log.js';
import type { Manifest, Triggers, TriggerKind } from '../manifest/schema.js';

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

/** What a trigger factory is given besides its own manifest entries. */
export interface TriggerContext {
  manifest: Manifest;
  logger: Logger;
  /** Pub/sub, queues and schedules, embedded or on Redis. */
  broker: Broker;
}

export type TriggerFactory<K extends TriggerKind> = (configs: Triggers[K], context: TriggerContext) => Trigger;
