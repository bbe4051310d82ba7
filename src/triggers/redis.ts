/**
 * Redis pub/sub trigger (`[[trigger.redis]]`): every message on a subscribed channel, or on a
 * channel matching a subscribed glob pattern, becomes an event for the component. Each
 * subscribing component gets each message. Delivery is at-most-once, as Redis pub/sub itself:
 * a message published while the subscriber is disconnected is not seen. The broker reconnects
 * and resubscribes on its own; in embedded mode the same semantics hold in process.
 */
import type { Message, Stoppable } from '../brokers/broker.js';
import { drain } from '../brokers/drain.js';
import { newEventId, type Dispatch, type SpindleEvent } from '../event.js';
import type { RedisTriggerConfig } from '../manifest/schema.js';
import type { Trigger, TriggerContext, TriggerFactory } from './trigger.js';

export const KIND = 'redis';

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
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch: Dispatch) {
      for (const config of configs) {
        const target = config.channel !== undefined ? { channel: config.channel } : { pattern: config.pattern! };
        const subscription = await context.broker.subscribe(target, async (message) => {
          if (stopping) return;
          const event = toEvent(message);
          const p = dispatch(config.component, event).then((outcome) => {
            if (!outcome.ok) {
              logger.error(
                { component: config.component, channel: message.channel, eventId: event.id, failure: outcome.failure.kind },
                `message handler failed: ${outcome.failure.message}`,
              );
            }
          });
          inFlight.add(p);
          await p.finally(() => inFlight.delete(p));
        });
        subscriptions.push(subscription);
      }
      logger.info({ subscriptions: configs.map((c) => `${c.channel ?? c.pattern} -> ${c.component}`) }, 'subscribed');
    },

    stop(options = {}) {
      stopping ??= (async () => {
        await Promise.allSettled(subscriptions.map((s) => s.stop()));
        if (!(await drain(inFlight, options.drainMs ?? context.manifest.runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: messages still being handled');
        }
      })();
      return stopping;
    },
  };
}

export default createRedisTrigger satisfies TriggerFactory<'redis'>;
