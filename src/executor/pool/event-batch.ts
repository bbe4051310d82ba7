/**
 * Events packed for one message to a worker. Structured-cloning an event object writes every
 * key and allocates a buffer per body, and that clone, not the wake-up, was most of what a hop
 * cost the main thread. Packed, a batch is one flat list of strings and numbers and one buffer
 * holding every body, moved to the worker rather than copied.
 */
import type { Attributes, SpindleEvent } from '../../event.js';

/** One event for one component, as a worker runs it. */
export interface RunRequest {
  component: string;
  event: SpindleEvent;
}

export interface EventBatch {
  /** Per event: component, id, source, type, subject, time, datacontenttype, body length, attribute count, then each attribute's name and value. */
  fields: Array<string | number | undefined>;
  /** Every body, one after another. */
  bodies: ArrayBuffer;
}

export function packEvents(requests: readonly RunRequest[]): EventBatch {
  let size = 0;
  for (const { event } of requests) size += event.data.byteLength;
  const bodies = new Uint8Array(size);
  const fields: EventBatch['fields'] = [];
  let at = 0;
  for (const { component, event } of requests) {
    bodies.set(event.data, at);
    at += event.data.byteLength;
    fields.push(component, event.id, event.source, event.type, event.subject, event.time, event.datacontenttype, event.data.byteLength, event.attributes.length);
    for (const [name, value] of event.attributes) fields.push(name, value);
  }
  return { fields, bodies: bodies.buffer };
}

export function unpackEvents({ fields, bodies }: EventBatch): RunRequest[] {
  const requests: RunRequest[] = [];
  let at = 0;
  let offset = 0;
  while (at < fields.length) {
    const component = fields[at] as string;
    const length = fields[at + 7] as number;
    const count = fields[at + 8] as number;
    const attributes: Attributes = [];
    for (let i = 0; i < count; i++) attributes.push([fields[at + 9 + 2 * i] as string, fields[at + 10 + 2 * i] as string]);
    const event: SpindleEvent = {
      id: fields[at + 1] as string,
      source: fields[at + 2] as string,
      type: fields[at + 3] as string,
      data: new Uint8Array(bodies, offset, length),
      attributes,
    };
    const [subject, time, datacontenttype] = [fields[at + 4], fields[at + 5], fields[at + 6]] as Array<string | undefined>;
    if (subject !== undefined) event.subject = subject;
    if (time !== undefined) event.time = time;
    if (datacontenttype !== undefined) event.datacontenttype = datacontenttype;
    requests.push({ component, event });
    offset += length;
    at += 9 + 2 * count;
  }
  return requests;
}
