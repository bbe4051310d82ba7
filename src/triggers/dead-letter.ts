/**
 * Dead letters for triggers whose source cannot retry: a pub/sub message or a cron tick that
 * failed is otherwise gone. When the trigger names a `dead_letter_queue`, the failure becomes a
 * job there, with what is needed to look into it or replay it: where the event came from, the
 * component, the failure and the event's data (as text when it is UTF-8, else base64).
 * Events cancelled by the app stopping are not failures of the event and are not sent.
 */
import type { Broker } from '../brokers/broker.js';
import { errorMessage } from '../errors.js';
import type { Outcome, SpindleEvent } from '../event.js';
import type { Logger } from '../log.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function dataFields(data: Uint8Array): { data: string } | { data_base64: string } {
  try {
    return { data: utf8.decode(data) };
  } catch {
    return { data_base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
  }
}

/** Sends `event`'s failure to `queue` when there is one to send; a failure to send is logged, never thrown. */
export async function sendToDeadLetterQueue(broker: Broker, logger: Logger, queue: string | undefined, component: string, event: SpindleEvent, outcome: Outcome): Promise<void> {
  if (!queue || outcome.ok || outcome.failure.kind === 'cancelled') return;
  const letter = {
    eventId: event.id,
    source: event.source,
    type: event.type,
    ...(event.subject ? { subject: event.subject } : {}),
    component,
    failure: { kind: outcome.failure.kind, message: outcome.failure.message },
    failedAt: new Date().toISOString(),
    ...dataFields(event.data),
  };
  try {
    await broker.enqueue(queue, new TextEncoder().encode(JSON.stringify(letter)));
  } catch (err) {
    logger.error({ component, eventId: event.id, queue, err: errorMessage(err) }, 'could not send a failed event to its dead-letter queue; it is lost');
  }
}
