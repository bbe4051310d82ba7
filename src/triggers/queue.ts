/**
 * Queue trigger (`[[trigger.queue]]`): each job becomes an event; the reply body becomes the
 * job's return value. A handler's `retry-later`, a trap and a timeout fail the attempt, and the
 * job is retried with the queue's backoff while attempts remain; `give-up` fails it at once.
 * Failed jobs are kept (`keep_failed`) for `spindle jobs` to show. On Redis, BullMQ runs each
 * job once across processes and hands the job of a process that died to another.
 */
import { GiveUpError, ReturnToQueueError, type Job, type RetryPolicy, type Stoppable } from '../brokers/broker.js';
import { describePolicy, samePolicy } from '../brokers/queue-policy.js';
import type { ManifestProblem } from '../errors.js';
import { traceAttributes, type SpindleEvent } from '../event.js';
import type { QueueTriggerConfig } from '../manifest/schema.js';
import { WAIT_FOR_ROOM, type Trigger, type TriggerAdapter, type TriggerContext } from './trigger.js';

const KIND = 'queue';

function toEvent(job: Job): SpindleEvent {
  return {
    id: `${job.queue}:${job.id}:${job.attempt}`,
    source: `/spindle/queue/${job.queue}`,
    type: 'spindle.queue.job',
    subject: job.id,
    time: new Date(job.enqueuedAt).toISOString(),
    data: job.data,
    attributes: [
      ['queue.name', job.queue],
      ['queue.job-id', job.id],
      ['queue.attempt', String(job.attempt)],
      ['queue.attempts', String(job.attempts)],
      ...traceAttributes(job.trace),
    ],
  };
}

const policyOf = (config: QueueTriggerConfig): RetryPolicy => ({ attempts: config.attempts, backoff: config.backoff });

/** A queue has one retry policy, so two entries consuming it must agree on it. */
function check(configs: QueueTriggerConfig[]): ManifestProblem[] {
  const first = new Map<string, number>();
  return configs.flatMap((config, i) => {
    const j = first.get(config.queue);
    if (j === undefined) {
      first.set(config.queue, i);
      return [];
    }
    const other = policyOf(configs[j]!);
    if (samePolicy(policyOf(config), other)) return [];
    return [{
      path: `trigger.queue[${i}]`,
      message: `queue "${config.queue}" declares ${describePolicy(policyOf(config))}, but trigger.queue[${j}] declares ${describePolicy(other)} for it; a queue has one retry policy`,
    }];
  });
}

function create(configs: QueueTriggerConfig[], context: TriggerContext): Trigger {
  const logger = context.logger.child({ trigger: KIND });
  const consumers: Stoppable[] = [];
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch) {
      for (const config of configs) {
        const policy = policyOf(config);
        await context.broker.declareQueue(config.queue, policy, context.manifest.application.name);
        const consumer = await context.broker.consume(
          config.queue,
          { concurrency: config.concurrency, policy, keepCompleted: config.keep_completed, keepFailed: config.keep_failed, lockMs: config.lock_duration },
          async (job) => {
            const event = toEvent(job);
            if (logger.isLevelEnabled('debug')) {
              logger.debug({ component: config.component, queue: config.queue, jobId: job.id, attempt: job.attempt, eventId: event.id }, 'job started');
            }
            // A job keeps its lock while it waits, and the consumer's concurrency bounds how
            // many wait: waiting for room never costs an attempt.
            const outcome = await dispatch(config.component, event, WAIT_FOR_ROOM);
            if (outcome.ok) return outcome.reply.body;
            const { kind, message } = outcome.failure;
            if (kind === 'give-up') throw new GiveUpError(message);
            if (kind === 'cancelled') throw new ReturnToQueueError(message);
            throw new Error(`${kind}: ${message}`);
          },
        );
        consumers.push(consumer);
      }
      logger.info({ queues: configs.map((c) => `${c.queue} -> ${c.component} (concurrency ${c.concurrency})`) }, 'consuming');
    },

    stop(options = {}) {
      stopping ??= Promise.allSettled(consumers.map((c) => c.stop(options.drainMs ?? context.manifest.runtime.drain_timeout))).then(() => {});
      return stopping;
    },
  };
}

export default { check, create } satisfies TriggerAdapter<'queue'>;
