/**
 * Redis pub/sub trigger (`[[trigger.redis]]`): every message on a subscribed channel, or on a
 * channel matching a subscribed glob pattern, becomes an event for the component. Each
 * subscribing component gets each message. Delivery is at-most-once, as Redis pub/sub itself:
 * a message published while the subscriber is disconnected is not seen. The broker reconnects
 * and resubscribes on its own; in embedded mode the same semantics hold in process.
 *
 * Each subscription keeps a line of messages received and not yet handled, and hands the
 * executor at most the component's `max_concurrency` of them at once, in order; the next goes as
 * one finishes. A message waiting in line is kept as it came (its payload, its channel, when it
 * came) and becomes an event only when its turn comes: a burst of a hundred thousand messages
 * then holds a hundred thousand small records instead of as many events, each with the promises
 * of its dispatch, which the burst would push into the old generation for the collector to
 * sweep again and again. The line has its own bound, in messages and in bytes: at most
 * `MAX_WAITING` messages wait, and at most `MAX_PENDING_BYTES` of payload is received and not yet
 * handled. Past that, messages are dropped and counted in a warning, as Redis itself drops a
 * subscriber whose output buffer overflows.
 */
import type { Message, MessageHandler, Stoppable } from '../brokers/broker.js';
import { newEventId, type Dispatch, type SpindleEvent } from '../event.js';
import type { Logger } from '../log.js';
import type { RedisTriggerConfig } from '../manifest/schema.js';
import { InFlightCount } from '../util/drain.js';
import { Fifo } from '../util/fifo.js';
import { sendToDeadLetterQueue } from './dead-letter.js';
import { WAIT_FOR_ROOM, type Trigger, type TriggerAdapter, type TriggerContext } from './trigger.js';

const KIND = 'redis';

/**
 * Messages of one subscription waiting in line, beyond those its component runs at once. A
 * message in line costs a few hundred bytes beside its payload, so the byte bound below is the
 * one that matters; this one only bounds that overhead.
 */
const MAX_WAITING = 100_000;
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

/** A message in line, with when it came: its event's `time`. */
interface Received {
  message: Message;
  at: number;
}

function toEvent({ message, at }: Received): SpindleEvent {
  const attributes: Array<[string, string]> = [['redis.channel', message.channel]];
  if (message.pattern !== undefined) attributes.push(['redis.pattern', message.pattern]);
  return {
    id: newEventId(),
    source: sourceOf(message.channel),
    type: 'spindle.redis.message',
    subject: message.channel,
    time: new Date(at).toISOString(),
    data: message.data,
    attributes,
  };
}

/**
 * What one subscription does with each message: lines it up, or drops it past the line's bounds,
 * and hands the executor the next as room frees. `inFlight` counts every message from its
 * arrival until its outcome (and its dead letter) is dealt with.
 */
function receiver(config: RedisTriggerConfig, context: TriggerContext, logger: Logger, dispatch: Dispatch, inFlight: InFlightCount): MessageHandler {
  const limit = context.manifest.component[config.component]?.max_concurrency ?? 1;
  const line = new Fifo<Received>();
  let running = 0;
  let pendingBytes = 0;
  let dropped = 0;
  let lastReport = 0;

  const next = (): void => {
    while (running < limit) {
      const received = line.shift();
      if (!received) return;
      running++;
      const event = toEvent(received);
      const size = received.message.data.byteLength;
      void dispatch(config.component, event, WAIT_FOR_ROOM).then((outcome) => {
        running--;
        pendingBytes -= size;
        next();
        if (!config.dead_letter_queue) return inFlight.done();
        void sendToDeadLetterQueue(context.broker, logger, config.dead_letter_queue, config.component, event, outcome).finally(() => inFlight.done());
      });
    }
  };

  return (message) => {
    const size = message.data.byteLength;
    if (line.length >= MAX_WAITING || pendingBytes + size > MAX_PENDING_BYTES) {
      dropped++;
      context.metrics?.messagesDropped(config.component, 1);
      if (Date.now() - lastReport >= DROP_REPORT_MS) {
        logger.warn({ component: config.component, channel: message.channel, dropped, pending: running + line.length, pendingBytes }, 'component cannot keep up: dropping messages');
        lastReport = Date.now();
        dropped = 0;
      }
      return;
    }
    pendingBytes += size;
    inFlight.add();
    line.push({ message, at: Date.now() });
    next();
  };
}

function create(configs: RedisTriggerConfig[], context: TriggerContext): Trigger {
  const logger = context.logger.child({ trigger: KIND });
  const subscriptions: Stoppable[] = [];
  const inFlight = new InFlightCount();
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch: Dispatch) {
      for (const config of configs) {
        const receive = receiver(config, context, logger, dispatch, inFlight);
        const target = config.channel !== undefined ? { channel: config.channel } : { pattern: config.pattern! };
        subscriptions.push(
          await context.broker.subscribe(target, (message) => {
            if (!stopping) receive(message);
          }),
        );
      }
      logger.info({ subscriptions: configs.map((c) => `${c.channel ?? c.pattern} -> ${c.component}`) }, 'subscribed');
    },

    stop(options = {}) {
      stopping ??= (async () => {
        await Promise.allSettled(subscriptions.map((s) => s.stop()));
        if (!(await inFlight.settled(options.drainMs ?? context.manifest.runtime.drain_timeout))) {
          logger.warn({ inFlight: inFlight.size }, 'drain timeout: messages still waiting or being handled');
        }
      })();
      return stopping;
    },
  };
}

export default { check: () => [], create } satisfies TriggerAdapter<'redis'>;
