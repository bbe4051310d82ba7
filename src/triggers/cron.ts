/**
 * Cron trigger (`[[trigger.cron]]`): each tick of a 5- or 6-field expression becomes an event
 * carrying the schedule and the time the tick was due. Embedded, node-cron keeps time; on
 * Redis, BullMQ job schedulers do, so one tick fires once across every process. A tick that
 * comes while the previous one still runs is skipped (embedded) or waits as the single next
 * job (Redis): ticks never pile up.
 */
import { validate as validateCron } from 'node-cron';
import type { Stoppable } from '../brokers/broker.js';
import type { ManifestProblem } from '../errors.js';
import { newEventId, type SpindleEvent } from '../event.js';
import type { CronTriggerConfig } from '../manifest/schema.js';
import { sendToDeadLetterQueue } from './dead-letter.js';
import { WAIT_FOR_ROOM, type Trigger, type TriggerAdapter, type TriggerContext } from './trigger.js';

const KIND = 'cron';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function check(configs: CronTriggerConfig[]): ManifestProblem[] {
  return configs.flatMap((t, i) => [
    ...(validateCron(t.schedule) ? [] : [{ path: `trigger.cron[${i}].schedule`, message: `invalid cron expression "${t.schedule}"` }]),
    ...(t.timezone === undefined || isTimeZone(t.timezone) ? [] : [{ path: `trigger.cron[${i}].timezone`, message: `unknown time zone "${t.timezone}"` }]),
  ]);
}

function toEvent(config: CronTriggerConfig, scheduledAt: Date): SpindleEvent {
  const firedAt = new Date();
  return {
    id: newEventId(),
    source: '/spindle/cron',
    type: 'spindle.cron.tick',
    subject: config.schedule,
    time: scheduledAt.toISOString(),
    data: new Uint8Array(),
    attributes: [
      ['cron.schedule', config.schedule],
      ['cron.timezone', config.timezone ?? 'UTC'],
      ['cron.scheduled-at', scheduledAt.toISOString()],
      ['cron.fired-at', firedAt.toISOString()],
    ],
  };
}

function create(configs: CronTriggerConfig[], context: TriggerContext): Trigger {
  const logger = context.logger.child({ trigger: KIND });
  const app = context.manifest.application.name;
  const schedules: Stoppable[] = [];
  let stopping: Promise<void> | undefined;

  return {
    kind: KIND,

    async start(dispatch) {
      for (const [i, config] of configs.entries()) {
        const schedule = await context.broker.schedule(
          { id: `${app}.${config.component}.${i}`, cron: config.schedule, timezone: config.timezone ?? 'UTC' },
          async ({ scheduledAt }) => {
            if (stopping) return;
            const event = toEvent(config, scheduledAt);
            logger.debug({ component: config.component, schedule: config.schedule, scheduledAt: event.time, eventId: event.id }, 'tick');
            // One tick at a time per schedule, so a tick may wait for room as long as it takes.
            context.metrics?.cronTick(config.component, true);
            const outcome = await dispatch(config.component, event, WAIT_FOR_ROOM);
            await sendToDeadLetterQueue(context.broker, logger, config.dead_letter_queue, config.component, event, outcome);
          },
          () => context.metrics?.cronTick(config.component, false),
        );
        schedules.push(schedule);
      }
      logger.info({ schedules: configs.map((c) => `${c.schedule} -> ${c.component}`) }, 'scheduled');
    },

    stop(options = {}) {
      stopping ??= Promise.allSettled(schedules.map((s) => s.stop(options.drainMs ?? context.manifest.runtime.drain_timeout))).then(() => {});
      return stopping;
    },
  };
}

export default { check, create } satisfies TriggerAdapter<'cron'>;
