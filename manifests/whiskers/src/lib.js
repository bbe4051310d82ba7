// What every Whiskers component shares: JSON in and out, and the event's attributes.
import * as kv from 'spindle:app/key-value@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const FOODS = ['chicken', 'fish', 'beef', 'veg'];

export function attributes(event) {
  return Object.fromEntries(event.attributes);
}

export function bodyJson(event) {
  try {
    return JSON.parse(decoder.decode(event.data) || '{}');
  } catch {
    return undefined;
  }
}

export function json(status, value) {
  return { status, headers: [['content-type', 'application/json']], body: encoder.encode(JSON.stringify(value)) };
}

export function problem(status, message) {
  return json(status, { error: message });
}

/** An empty reply, for triggers that do not answer anyone. */
export const DONE = { headers: [] };

/** A retry-later handler error: a queue job tries again after its backoff. */
export function retryLater(message) {
  return { tag: 'err', val: { tag: 'retry-later', val: message } };
}

export function getJson(store, key) {
  const value = kv.get(store, key);
  return value === undefined ? undefined : JSON.parse(decoder.decode(value));
}

export function setJson(store, key, value) {
  kv.set(store, key, encoder.encode(JSON.stringify(value)), undefined);
}

export function getNumber(store, key) {
  const value = kv.get(store, key);
  return value === undefined ? 0 : Number(decoder.decode(value));
}

/** A session id as the routes take it: the event id it was made with. */
export function isSessionId(id) {
  return typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id);
}
