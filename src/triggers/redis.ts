/**
 * Redis pub/sub trigger (`[[trigger.redis]]`): every message on a subscribed channel, or on a
 * channel matching a subscribed glob pattern, becomes an event for the component. Each
 * subscribing component gets each message. Delivery is at-most-once, as Redis pub/sub itself:
 * a message published while the subscriber is disconnected is not seen. The broker reconnects
 * and resubscribes on its own; in embedded mode the same semantics hold in process.
 *
 * A burst beyond the component's `max_concurrency` waits in the trigger rather than being
 * refused, up to `MAX_PENDING` messages per subscription; past that, messages are dropped and
 * counted in a warning, as Redis itself drops a subscriber whose output buffer overflows.
 */
import type { Message, Stoppable } from '../brokers/broker.js';
import { drain } from '../drain.js';
import { newEventId, type Dispatch, type SpindleEvent } from '../event.js';
import type { RedisTriggerConfig } from '../manifest/schema.js';
import { dispatchWhenRoom } from './dispatch-when-room.js';
import type { Trigger, TriggerContext, TriggerFactory } from './trigger.js';

export const KIND = 'redis';

/** Messages one subscription holds while its component is busy. */
const MAX_PENDING = 10_000;
/** How often a subscription that drops messages says so. */
const DROP_REPORT_MS = 1_000;

function toEvent(message: Message): SpindleEvent {
  const attributes: Array<[string, string]> = [['redis.channel', message.channel]];
  if (message.pattern !== undefined) attributes.push(['redis.pattern', message.pattern]);
  return {
    id: newEventId(),
    source: `/spindle/redis/${message.channel}`,
    type: 'spindle.redis.message',
    subject: message.channel,
    time: new Date().toISOString(),
    data: message.data,
    attributes,
  };
}

function createRedisTrigger(configs: RedisTriggerConfig[], context: TriggerContext): Trigger {
  const logger = context.logger.child({ trigger: KIND });
  const subscriptions: Stoppable[] = [];
  const inFlight = new Set<Promise<void>>();
  const buffers: Message[][] = [];
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch: Dispatch) {
      for (const config of configs) {
        const target = config.channel !== undefined ? { channel: config.channel } : { pattern: config.pattern! };
        // Messages wait here, in order, and run at most max_concurrency at a time: the
        // component's own bound, so a burst waits instead of being refused.
        const waiting: Message[] = [];
        buffers.push(waiting);
        const limit = context.manifest.component[config.component]?.max_concurrency ?? 1;
        let running = 0;
        let dropped = 0;
        let lastReport = 0;
        const handle = (message: Message) => {
          const event = toEvent(message);
          running++;
          const p = dispatchWhenRoom(dispatch, config.component, event, { stopped: () => stopping !== undefined }).then((outcome) => {
            if (!outcome.ok) {
              logger.error(
                { component: config.component, channel: message.channel, eventId: event.id, failure: outcome.failure.kind },
                `message handler failed: ${outcome.failure.message}`,
              );
            }
          });
          inFlight.add(p);
          void p.finally(() => {
            inFlight.delete(p);
            running--;
            const next = waiting.shift();
            if (next && !stopping) handle(next);
          });
        };
        const subscription = await context.broker.subscribe(target, async (message) => {
          if (stopping) return;
          if (running < limit) return handle(message);
          if (waiting.length < MAX_PENDING) {
            waiting.push(message);
            return;
          }
          dropped++;
          if (Date.now() - lastReport >= DROP_REPORT_MS) {
            logger.warn({ component: config.component, channel: message.channel, dropped, waiting: waiting.length }, 'component cannot keep up: dropping messages');
            lastReport = Date.now();
            dropped = 0;
          }
        });
        subscriptions.push(subscription);
      }
      logger.info({ subscriptions: configs.map((c) => `${c.channel ?? c.pattern} -> ${c.component}`) }, 'subscribed');
    },

    stop(options = {}) {
      stopping ??= (async () => {
        await Promise.allSettled(subscriptions.map((s) => s.stop()));
        // Pub/sub is at-most-once: messages not yet started are let go, and counted.
        const discarded = buffers.reduce((n, b) => n + b.splice(0).length, 0);
        if (discarded > 0) logger.warn({ discarded }, 'stopping: messages waiting for their component were not handled');
        if (!(await drain(inFlight, options.drainMs ?? context.manifest.runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: messages still being handled');
        }
      })();
      return stopping;
    },
  };
}

export default createRedisTrigger satisfies TriggerFactory<'redis'>;
