// POST /tally {session, food, wanted}: one click, published for the scorer. Answering does not
// wait for the score; the page reads it from /score.
import { json, kv, onHttp, publish } from 'spindle/sdk';
import { FOODS, bodyOf, isSessionId, problem } from './game.js';

export const handle = onHttp((event) => {
  const click = bodyOf<{ session: string; food: string; wanted: string }>(event);
  if (!click || !isSessionId(click.session) || !FOODS.includes(click.food ?? '') || !FOODS.includes(click.wanted ?? '')) {
    return problem(400, 'expected {"session": "<id>", "food": "<food>", "wanted": "<food>"}');
  }
  if (!kv.exists('sessions', `session:${click.session}`)) return problem(404, `no session ${click.session}`);
  // The event id names this click, so a scorer in each of several processes counts it once.
  publish('whiskers.tally', { click: event.id, session: click.session, food: click.food, wanted: click.wanted, at: Date.now() });
  return json(202, { counted: true });
});
