/**
 * Redis pub/sub trigger (`[[trigger.redis]]`): every message on a subscribed channel, or on a
 * channel matching a subscribed glob pattern, becomes an event for the component. Each
 * subscribing component gets each message. Delivery is at-most-once, as Redis pub/sub itself:
 * a message published while the subscriber is disconnected is not seen. The broker reconnects
 * and resubscribes on its own; in embedded mode the same semantics hold in process.
 *
 * A burst beyond the component's `max_concurrency` waits for room in the executor, in order,
 * rather than being refused. What this trigger keeps is its own bound, in messages and in bytes:
 * a subscription holds what its component may run at once plus `MAX_WAITING` messages, and at
 * most `MAX_PENDING_BYTES` of payload, received and not yet handled. Past that, messages are
 * dropped and counted in a warning, as Redis itself drops a subscriber whose output buffer
 * overflows.
 */
import type { Message, Stoppable } from '../brokers/broker.js';
import { newEventId, type Dispatch, type SpindleEvent } from '../event.js';
import type { RedisTriggerConfig } from '../manifest/schema.js';
import { drain } from '../util/drain.js';
import { sendToDeadLetterQueue } from './dead-letter.js';
import { WAIT_FOR_ROOM, type Trigger, type TriggerAdapter, type TriggerContext } from './trigger.js';

const KIND = 'redis';

/** Messages of one subscription waiting for room, beyond those its component may run at once. */
const MAX_WAITING = 10_000;
/** Payload bytes of one subscription received and not yet handled, at most. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** How often a subscription that drops messages says so. */
const DROP_REPORT_MS = 1_000;

/** An event's `source` for each channel seen: one string per channel rather than one per message. */
const sources = new Map<string, string>();

function sourceOf(channel: string): string {
  let source = sources.get(channel);
  if (source === undefined) {
    source = `/spindle/redis/${channel}`;
    // Pattern subscriptions may see unboundedly many channels; the cache stays small.
    if (sources.size >= 1_000) sources.clear();
    sources.set(channel, source);
  }
  return source;
}

function toEvent(message: Message): SpindleEvent {
  const attributes: Array<[string, string]> = [['redis.channel', message.channel]];
  if (message.pattern !== undefined) attributes.push(['redis.pattern', message.pattern]);
  return {
    id: newEventId(),
    source: sourceOf(message.channel),
    type: 'spindle.redis.message',
    subject: message.channel,
    time: new Date().toISOString(),
    data: message.data,
    attributes,
  };
}

function create(configs: RedisTriggerConfig[], context: TriggerContext): Trigger {
  const logger = context.logger.child({ trigger: KIND });
  const subscriptions: Stoppable[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch: Dispatch) {
      for (const config of configs) {
        const maxPending = (context.manifest.component[config.component]?.max_concurrency ?? 0) + MAX_WAITING;
        let pending = 0;
        let pendingBytes = 0;
        let dropped = 0;
        let lastReport = 0;
        const subscription = await context.broker.subscribe(config.channel !== undefined ? { channel: config.channel } : { pattern: config.pattern! }, async (message) => {
          if (stopping) return;
          const size = message.data.byteLength;
          if (pending >= maxPending || pendingBytes + size > MAX_PENDING_BYTES) {
            dropped++;
            context.metrics?.messagesDropped(config.component, 1);
            if (Date.now() - lastReport >= DROP_REPORT_MS) {
              logger.warn({ component: config.component, channel: message.channel, dropped, pending, pendingBytes }, 'component cannot keep up: dropping messages');
              lastReport = Date.now();
              dropped = 0;
            }
            return;
          }
          pending++;
          pendingBytes += size;
          const event = toEvent(message);
          const handled = dispatch(config.component, event, WAIT_FOR_ROOM).then((outcome) => {
            pending--;
            pendingBytes -= size;
            if (config.dead_letter_queue) return sendToDeadLetterQueue(context.broker, logger, config.dead_letter_queue, config.component, event, outcome);
          });
          inFlight.add(handled);
          void handled.finally(() => inFlight.delete(handled));
        });
        subscriptions.push(subscription);
      }
      logger.info({ subscriptions: configs.map((c) => `${c.channel ?? c.pattern} -> ${c.component}`) }, 'subscribed');
    },

    stop(options = {}) {
      stopping ??= (async () => {
        await Promise.allSettled(subscriptions.map((s) => s.stop()));
        if (!(await drain(inFlight, options.drainMs ?? context.manifest.runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: messages still waiting or being handled');
        }
      })();
      return stopping;
    },
  };
}

export default { check: () => [], create } satisfies TriggerAdapter<'redis'>;
