// POST /tally {session, food, wanted}: one click, published for the scorer. Answering does not
// wait for the score; the page reads it from /score.
import { publish } from 'spindle:app/pubsub@0.1.0';
import { FOODS, bodyJson, getJson, isSessionId, json, problem } from './lib.js';

export function handle(event) {
  const click = bodyJson(event);
  if (!click || !isSessionId(click.session) || !FOODS.includes(click.food) || !FOODS.includes(click.wanted)) {
    return problem(400, 'expected {"session": "<id>", "food": "<food>", "wanted": "<food>"}');
  }
  if (!getJson('sessions', `session:${click.session}`)) return problem(404, `no session ${click.session}`);
  // The event id names this click, so a scorer in each of several processes counts it once.
  const message = { click: event.id, session: click.session, food: click.food, wanted: click.wanted, at: Date.now() };
  publish('whiskers.tally', new TextEncoder().encode(JSON.stringify(message)));
  return json(202, { counted: true });
}
