// What the Whiskers components share: the foods, sessions and their ids, and error replies.
import { json, type Reply, type SpindleEvent } from 'spindle/sdk';

export const FOODS = ['chicken', 'fish', 'beef', 'veg'];

export interface Session {
  id: string;
  menu: string[];
  seconds: number;
  started: number;
}

/** A game as the high scores keep it. */
export interface Game {
  session: string;
  name: string;
  score: number;
  at: string;
}

export function problem(status: number, message: string): Reply {
  return json(status, { error: message });
}

/** A session id as the routes take it: the event id it was made with. */
export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id);
}

/** The event's JSON body, or undefined when it has none that parses: callers answer 400. */
export function bodyOf<T>(event: SpindleEvent): Partial<T> | undefined {
  try {
    return event.json<Partial<T>>() ?? undefined;
  } catch {
    return undefined;
  }
}
