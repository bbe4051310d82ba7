/**
 * Spindle's own world (`spindle:app/handler` in `wit/spindle.wit`): the event is passed to the
 * guest's `handle` export as a record, and its `result<reply, handler-error>` becomes the reply
 * or a `retry-later` / `give-up` failure.
 */
import type { Reply, SpindleEvent } from '../../../event.js';
import { classifyGuestError } from '../guest-errors.js';
import { callHandlerCore, handlerCores } from './handler-abi.js';
import type { GuestInstance } from '../guest.js';

interface GuestEvent {
  id: string;
  source: string;
  type: string;
  subject: string | undefined;
  time: string | undefined;
  datacontenttype: string | undefined;
  data: Uint8Array;
  attributes: Array<[string, string]>;
}

interface GuestReply {
  status?: number;
  headers: Array<[string, string]>;
  body?: Uint8Array;
}

/**
 * Calls Spindle's `handle` export: straight on its core instance when the component has the
 * core exports the canonical ABI names (`handler-abi.ts`), through jco's glue otherwise.
 */
export function callHandler(instance: GuestInstance, event: SpindleEvent): Reply {
  const core = handlerCores.get(instance);
  if (core) {
    try {
      return callHandlerCore(core, event);
    } catch (err) {
      throw classifyGuestError(err);
    }
  }
  const guestEvent: GuestEvent = {
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time,
    datacontenttype: event.datacontenttype,
    data: event.data,
    attributes: event.attributes,
  };
  let reply: GuestReply;
  try {
    reply = instance.handle(guestEvent) as GuestReply;
  } catch (err) {
    throw classifyGuestError(err);
  }
  const out: Reply = { headers: reply.headers };
  if (reply.status !== undefined) out.status = reply.status;
  if (reply.body !== undefined) out.body = reply.body;
  return out;
}
